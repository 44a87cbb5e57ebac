"""The tasks inbox of the home page (issue 14 §2): what waits for the signed-in user or their area.

The home page lives low (accounts) and imports none of the apps that own the work. Each app
registers a *task source* when it loads (``AppConfig.ready``, in its ``tasks.py``), as the home
cards and the person page's panels are registered. A source is ``fn(actor) -> list[Task]``:

- it returns nothing for a user without the capability the work needs (an auditor approves
  nothing, a liaison records no payment);
- its counts come from the app's own area-scoped selectors (a facilitator counts their kelurahan,
  the office the city) and are set-based: one aggregate query per source, never one per row;
- a task with a count of zero is left out by :func:`tasks_for`.

The inbox lists the tasks most urgent first, in the order the apps load within one urgency.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from jaring.core.errors import NotFound, PermissionDenied

log = logging.getLogger(__name__)

# How pressing a task is; the inbox shows the overdue first.
INFO = 0
NORMAL = 1
URGENT = 2


@dataclass(frozen=True)
class Task:
    key: str  # stable, for tests and the page's anchors: "targeting.rounds_to_approve"
    label: str | Promise  # what waits, in a few words, without the count ("Putaran alokasi menunggu persetujuan")
    count: int
    url: str  # where the work is done (a list filtered to it when the list can be)
    urgency: int = NORMAL


TaskSource = Callable[[Any], Iterable[Task]]
task_sources: list[TaskSource] = []


def register_task_source(source: TaskSource) -> TaskSource:
    if source not in task_sources:
        task_sources.append(source)
    return source


def tasks_for(actor: Any) -> list[Task]:
    """The actor's tasks with something waiting, most urgent first. A source refused for the actor
    (``PermissionDenied``, ``NotFound``) contributes nothing rather than breaking the home page."""
    found: list[Task] = []
    for source in task_sources:
        try:
            found.extend(task for task in source(actor) if task.count > 0)
        except (PermissionDenied, NotFound):
            log.debug("task source %s refused for %s", getattr(source, "__qualname__", source), actor)
    return sorted(found, key=lambda task: -task.urgency)  # stable: the apps' order within an urgency
