"""Extra sections of the person page, contributed by higher floors (memberships, claims…).

The registry knows nothing of memberships; the membership app registers a panel here when it
loads (``AppConfig.ready``), and the person page renders whatever panels are registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jaring.accounts.types import AuthenticatedHttpRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]


PanelFactory = Callable[[AuthenticatedHttpRequest, Any], Panel | None]
person_panels: list[PanelFactory] = []


def register_person_panel(factory: PanelFactory) -> PanelFactory:
    if factory not in person_panels:
        person_panels.append(factory)
    return factory


def panels_for(request: AuthenticatedHttpRequest, person: Any) -> list[Panel]:
    return [panel for factory in person_panels if (panel := factory(request, person)) is not None]


# The duplicate review shows, for each of the two persons, what higher floors hold for them
# (memberships and dues), so a pair is never merged blind; same pattern, its own list.
duplicate_panels: list[PanelFactory] = []


def register_duplicate_panel(factory: PanelFactory) -> PanelFactory:
    if factory not in duplicate_panels:
        duplicate_panels.append(factory)
    return factory


def duplicate_panels_for(request: AuthenticatedHttpRequest, person: Any) -> list[Panel]:
    return [panel for factory in duplicate_panels if (panel := factory(request, person)) is not None]
