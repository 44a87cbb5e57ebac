"""Saying, inside a write's transaction, which persons' figures it changed (decision 0046).

The dashboard's snapshots are kept by ``reports``, above every app whose rows they count: a lower
service cannot call it. A service that changes what the snapshots count — a payment recorded with
an earlier date, BPJSTK's payment file applied, an import that changes persons or households' deciles —
calls ``persons_touched`` (or ``households_touched``) with what it touched (a queryset of ids, or
the ids) and the first day whose figures may change (``None``: every month). ``reports`` registers a listener in its
``AppConfig.ready`` that notes the persons' kelurahan in one ``INSERT … SELECT`` (its own table, in
the same transaction); it refreshes those kelurahan and months later, alone.

With no listener registered (an app without reports) the call does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

# listener(kind, rows, since): kind "persons" or "households"; rows a queryset of their ids or the
# ids; since the first day changed, or None for every month.
TouchListener = Callable[[str, Any, dt.date | None], None]
_listeners: list[TouchListener] = []


def register_touch_listener(listener: TouchListener) -> TouchListener:
    """Called once from an app's ``ready``; registering the same listener twice keeps one."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def persons_touched(persons: Any | Iterable[int], since: dt.date | None = None) -> None:
    """The persons (a queryset giving their ids, e.g. ``Due.objects.filter(…).values("person_id")``,
    or their ids) whose figures changed from ``since`` on. Call it inside the write's transaction."""
    for listener in _listeners:
        listener("persons", persons, since)


def households_touched(households: Any | Iterable[int], since: dt.date | None = None) -> None:
    """The households (a queryset giving their ids, or their ids) whose figures changed, e.g. a
    new welfare decile."""
    for listener in _listeners:
        listener("households", households, since)
