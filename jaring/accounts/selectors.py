"""Area scoping: which regions a user may see. Every domain selector starts here."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.conf import settings
from django.db.models import Q

from jaring.accounts.models import Role, User
from jaring.regions.selectors import region_subtree_q


class Scope:
    """The regions a user sees. Superusers and region-less admins see the tenant region."""

    def __init__(self, user: User):
        self.user = user

    @cached_property
    def codes(self) -> list[str]:
        codes = list(self.user.areas.values_list("region__code", flat=True))
        if not codes and (self.user.is_superuser or self.user.role in (Role.ADMIN, Role.AUDITOR,
                                                                        Role.OPERATOR, Role.LIAISON)):
            codes = [settings.JARING_TENANT_REGION]
        return codes

    def q(self, field: str) -> Q:
        """A filter on a region-code field (e.g. ``kelurahan__code``)."""
        return region_subtree_q(self.codes, field=field)

    @cached_property
    def covers_every_kelurahan(self) -> bool:
        """True when no kelurahan lies outside the scope: the area filter is then a no-op and
        is left out, so city-wide searches walk one index instead of joining the region tree."""
        from jaring.regions.models import Region

        return not (Region.objects.filter(level=Region.Level.KELURAHAN)
                    .exclude(region_subtree_q(self.codes)).exists())

    @cached_property
    def region_ids(self) -> list[int]:
        from jaring.regions.models import Region

        return list(Region.objects.filter(region_subtree_q(self.codes)).values_list("id", flat=True))

    def region_ids_q(self, field: str) -> Q:
        """A filter on a region foreign key (e.g. ``kelurahan_id``).

        The ids are listed literally: a query planner that sees ``IN (17)`` picks the
        (kelurahan, name) index for a facilitator's search; behind a subquery it cannot tell.
        """
        return Q(**{f"{field}__in": self.region_ids})

    def contains_code(self, code: str) -> bool:
        return any(code == c or code.startswith(c + ".") for c in self.codes)


def scope_for(user: User) -> Scope:
    cached = getattr(user, "_jaring_scope", None)
    if cached is None:
        cached = Scope(user)
        user._jaring_scope = cached  # type: ignore[attr-defined]
    return cached


def login_block(*, keys: dict[str, str]) -> tuple[str, dt.datetime] | None:
    """The scope and end of the longest block among an attempt's throttle keys, if any."""
    from django.utils import timezone

    from jaring.accounts.models import LoginThrottle

    row = (LoginThrottle.objects.filter(key__in=keys.values(), blocked_until__gt=timezone.now())
           .order_by("-blocked_until").values_list("scope", "blocked_until").first())
    return (row[0], row[1]) if row and row[1] else None
