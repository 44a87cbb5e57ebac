"""Reads for the household screens: the membership history of a household or a person, area-scoped.

A history row can name a person or a household that now lies outside the user's area (someone who
moved away): such a row is kept in the list, but without that person's name or that household's KK.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.registry.models import Household, HouseholdMembershipChange, Person

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class HistoryRow:
    change: HouseholdMembershipChange
    person: Person | None  # None: the person now lives outside the user's area
    from_household: Household | None
    to_household: Household | None
    from_hidden: bool  # the household is outside the user's area
    to_hidden: bool

    @property
    def kind(self) -> str:
        c = self.change
        if c.from_household_id == c.to_household_id:
            return "relationship"
        if c.from_household_id is None:
            return "joined"
        if c.to_household_id is None:
            return "left"
        return "moved"


def _rows(actor: User, changes: list[HouseholdMembershipChange]) -> list[HistoryRow]:
    visible = scope_for(actor).contains_code

    rows = []
    for c in changes:
        person = c.person if visible(c.person.kelurahan.code) and not c.person.merged_into_id else None
        source, target = c.from_household, c.to_household
        rows.append(HistoryRow(
            change=c, person=person,
            from_household=source if source is not None and visible(source.kelurahan.code) else None,
            to_household=target if target is not None and visible(target.kelurahan.code) else None,
            from_hidden=source is not None and not visible(source.kelurahan.code),
            to_hidden=target is not None and not visible(target.kelurahan.code)))
    return rows


def _changes(condition: Q) -> list[HouseholdMembershipChange]:
    return list(HouseholdMembershipChange.objects.filter(condition)
                .select_related("person__kelurahan", "from_household__kelurahan", "to_household__kelurahan",
                                "changed_by")
                .order_by("-changed_at", "-id")[:HISTORY_LIMIT])


def household_history(*, actor: User, household: Household) -> list[HistoryRow]:
    """Who joined, left or changed relationship in this household (the caller read the household
    through ``household_get``, so it lies in the user's area); newest first."""
    return _rows(actor, _changes(Q(from_household=household) | Q(to_household=household)))


def person_household_history(*, actor: User, person: Person) -> list[HistoryRow]:
    """The households a person (read through ``person_get``) belonged to, newest change first."""
    return _rows(actor, _changes(Q(person=person)))
