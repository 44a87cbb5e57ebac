"""What a facilitator's phone keeps for work offline: the least the field work needs, from the
facilitator's own area, read through the owning apps' area-scoped selectors (decision 0039).

NIK and KK numbers are masked; no poverty data, no phone numbers but those of members in arrears
(the facilitator calls them), no KPJ. The snapshot is bounded (``conf.max_persons``) and made in a
fixed number of queries whatever the area's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.utils import timezone

from jaring.accounts.capabilities import can, require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.claims.models import Claim
from jaring.claims.selectors import DEADLINE_LABELS, claim_deadlines_list
from jaring.contributions.models import Due
from jaring.contributions.selectors import at_risk
from jaring.core.context import rules_lang
from jaring.core.money import month_start
from jaring.core.parameters import current_parameters
from jaring.membership.models import Membership, Payer
from jaring.membership.selectors import membership_queryset
from jaring.offline import conf
from jaring.regions.models import Region
from jaring.registry.models import Occupation, Person
from jaring.registry.selectors import household_queryset, person_queryset
from jaring.rules.protection import DueFacts, MembershipFacts, protection_on

SNAPSHOT_VERSION = 1


def field_kelurahan(*, actor: User) -> list[Region]:
    """The kelurahan of the actor's area, for the household and person forms."""
    scope = scope_for(actor)
    return list(Region.objects.filter(scope.q("code"), level=Region.Level.KELURAHAN).order_by("name"))


def field_payers(*, actor: User) -> list[Payer]:
    """The payers the actor may enrol with, as the web's enrol form offers them."""
    payers = Payer.objects.filter(is_active=True).order_by("kind", "name")
    if not can(actor, "membership.enrol_collective"):
        payers = payers.filter(kind=Payer.Kind.SELF)
    return list(payers)


def _persons(actor: User, limit: int) -> tuple[list[dict[str, Any]], bool]:
    rows = list(person_queryset(actor=actor).select_related("kelurahan")
                .only("id", "nik_encrypted", "full_name", "birth_date", "sex", "household", "relationship",
                      "death_date", "kelurahan__code")
                .order_by("name_key", "id")[:limit + 1])
    truncated = len(rows) > limit
    return [{"id": p.pk, "nik": p.nik_masked, "name": p.full_name, "birth_date": p.birth_date.isoformat(),
             "sex": p.sex, "kelurahan": p.kelurahan.code, "household": p.household_id,
             "relationship": p.relationship, "dead": p.death_date is not None}
            for p in rows[:limit]], truncated


def _households(actor: User, ids: set[int]) -> list[dict[str, Any]]:
    rows = (household_queryset(actor=actor).filter(pk__in=ids).select_related("kelurahan")
            .only("id", "kk_encrypted", "address", "kelurahan__code").order_by("id"))
    return [{"id": h.pk, "kk": h.kk_masked, "address": h.address, "kelurahan": h.kelurahan.code} for h in rows]


def _memberships(actor: User, person_ids: set[int], today: dt.date) -> list[dict[str, Any]]:
    """Each person's membership that covers today, with its protection state.

    The covering membership is chosen as ``contributions.selectors.protection`` chooses it (the
    latest started by today, else the next to start) and judged by the one rule,
    ``rules.protection.protection_on``, fed with its dues — for the whole area in two queries."""
    memberships = list(membership_queryset(actor=actor).filter(person_id__in=person_ids).select_related("payer")
                       .order_by("person_id", "start_date", "id"))
    by_person: dict[int, list[Membership]] = defaultdict(list)
    for m in memberships:
        by_person[m.person_id].append(m)
    covering: dict[int, Membership] = {}
    for person_id, history in by_person.items():
        started = [m for m in history if m.start_date <= today]
        covering[person_id] = started[-1] if started else history[0]
    dues: dict[int, list[DueFacts]] = defaultdict(list)
    for due in (Due.objects.filter(membership_id__in=[m.pk for m in covering.values()], period__lte=month_start(today))
                .exclude(status=Due.Status.VOID).only("membership_id", "period", "due_date", "paid_on", "status")):
        dues[due.membership_id].append(
            DueFacts(due.period, due.due_date, due.paid_on if due.status == Due.Status.PAID else None))
    lang = rules_lang()
    out = []
    for person_id, m in sorted(covering.items()):
        state = protection_on(today, membership=MembershipFacts(
            status=m.status, start=m.start_date, ended_on=m.ended_on, end_reason=m.end_reason), dues=dues[m.pk])
        out.append({"id": m.pk, "person": person_id, "payer": m.payer.name, "payer_is_self": m.payer.is_self,
                    "programs": [p.upper() for p in m.programmes], "status": m.status,
                    "status_label": str(m.get_status_display()), "start_date": m.start_date.isoformat(),
                    "protected": state.protected, "protected_text": state.message.text(lang)})
    return out


def _at_risk(actor: User, today: dt.date, person_ids: set[int]) -> list[dict[str, Any]]:
    return [{"membership": r.membership_id, "person": r.person_id, "name": r.full_name, "phone": r.phone,
             "unpaid_months": r.unpaid_months, "owed_idr": r.owed_idr,
             "lapses_on": r.lapses_on.isoformat() if r.lapses_on else None, "payer_is_self": r.payer_is_self}
            for r in at_risk(actor=actor, today=today) if r.person_id in person_ids]


def _claim_deadlines(actor: User, today: dt.date, person_ids: set[int]) -> list[dict[str, Any]]:
    if not can(actor, "claims.read"):
        return []
    types = dict(Claim.Type.choices)
    return [{"claim": row.claim.pk, "person": row.claim.person_id, "name": row.claim.person.full_name,
             "type": row.claim.type, "type_label": str(types.get(row.claim.type, row.claim.type)),
             "deadline": row.kind, "deadline_label": str(DEADLINE_LABELS.get(row.kind, row.kind)),
             "date": row.date.isoformat(), "overdue": row.overdue, "days_left": (row.date - today).days}
            for row in claim_deadlines_list(actor=actor, today=today) if row.claim.person_id in person_ids]


def _visit_options() -> dict[str, list[dict[str, str]]]:
    """The visit form's choices when the fieldwork app (``POST /api/v1/visits/``) is installed; looked up
    by name, so this app works with or without it."""
    if not apps.is_installed("jaring.fieldwork"):
        return {"visit_outcomes": [], "visit_channels": []}
    visit: Any = apps.get_model("fieldwork", "Visit")
    return {"visit_outcomes": [{"code": c, "name": str(label)} for c, label in visit.Outcome.choices],
            "visit_channels": [{"code": c, "name": str(label)} for c, label in visit.Channel.choices]}


def _options(actor: User, today: dt.date) -> dict[str, Any]:
    brackets = current_parameters().on(today, field="start").value("income_brackets", "brackets_idr")
    english = rules_lang() == "en"
    return {
        "kelurahan": [{"code": r.code, "name": r.name} for r in field_kelurahan(actor=actor)],
        "payers": [{"code": p.code, "name": p.name, "is_self": p.is_self} for p in field_payers(actor=actor)],
        "brackets_idr": list(brackets),
        "occupations": [{"code": o.code, "name": o.name_en if english else o.name}
                        for o in Occupation.objects.order_by("sort_order", "name")],
        "relationships": [{"code": c, "name": str(label)} for c, label in Person.Relationship.choices],
        "sexes": [{"code": c, "name": str(label)} for c, label in Person.Sex.choices],
        "claim_types": [{"code": c, "name": str(label)} for c, label in Claim.Type.choices
                        if c != Claim.Type.SCHOLARSHIP],
        **_visit_options(),
    }


def field_snapshot(*, actor: User, today: dt.date | None = None) -> dict[str, Any]:
    """The facilitator's area as the phone keeps it (``GET /api/v1/field/snapshot/``)."""
    require(actor, "field.offline")
    today = today or timezone.localdate()
    persons, truncated = _persons(actor, conf.max_persons())
    person_ids = {p["id"] for p in persons}
    household_ids = {p["household"] for p in persons if p["household"]}
    return {
        "version": SNAPSHOT_VERSION,
        "user": {"id": actor.pk, "username": actor.username, "name": actor.name},
        "synced_at": timezone.now().isoformat(),
        "today": today.isoformat(),
        "max_days": conf.max_days(),
        "truncated": truncated,
        "persons": persons,
        "households": _households(actor, household_ids),
        "memberships": _memberships(actor, person_ids, today),
        "at_risk": _at_risk(actor, today, person_ids),
        "claim_deadlines": _claim_deadlines(actor, today, person_ids),
        "options": _options(actor, today),
    }
