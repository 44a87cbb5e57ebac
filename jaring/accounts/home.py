"""Cards of the home page, contributed by the apps above accounts.

The home page belongs to accounts (a login lands there), but what it shows — the registry's
search and counts, later other floors' summaries — lives on floors above accounts, which accounts
may not import (the "house" contract in pyproject.toml). Each of them registers a card when it
loads (``AppConfig.ready``), as the person page's panels do (``registry.panels``); the home page
renders the registered cards in the order the apps load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jaring.accounts.types import AuthenticatedHttpRequest


@dataclass(frozen=True)
class HomeCard:
    template: str  # rendered with the page's context plus ``card`` (the context below)
    context: dict[str, Any]


HomeCardFactory = Callable[[AuthenticatedHttpRequest], HomeCard | None]
home_cards: list[HomeCardFactory] = []


def register_home_card(factory: HomeCardFactory) -> HomeCardFactory:
    if factory not in home_cards:
        home_cards.append(factory)
    return factory


def cards_for(request: AuthenticatedHttpRequest) -> list[HomeCard]:
    return [card for factory in home_cards if (card := factory(request)) is not None]
