"""The registry's card on the home page (registered in ``RegistryConfig.ready``): search, the
counts of the user's area, and the way to the list of persons."""

from __future__ import annotations

from jaring.accounts.home import HomeCard
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.registry.selectors import registry_summary


def registry_home_card(request: AuthenticatedHttpRequest) -> HomeCard:
    return HomeCard(template="registry/_home_card.html",
                    context={"summary": registry_summary(actor=request.user)})
