"""Reads of claims, area-scoped through the person; the deadlines computed at read time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.claims.models import Claim, ClaimChild
from jaring.contributions.models import Due
from jaring.core.errors import NotFound
from jaring.core.money import month_start
from jaring.core.parameters import current_parameters
from jaring.registry.models import Person
from jaring.registry.selectors import person_queryset
from jaring.rules import RulesInputError
from jaring.rules.claims import (
    ClaimDeadlines,
    ScholarshipChildren,
    claim_deadlines,
    document_checklist,
    scholarship_children,
    scholarship_level_code,
)
from jaring.rules.text import Message

# What each deadline is called on the claim page, the list and the claim packet.
DEADLINE_LABELS = {
    "stage1_report": gettext_lazy("Laporan tahap I"),
    "stage2_report": gettext_lazy("Laporan tahap II"),
    "lapses_on": gettext_lazy("Hak gugur"),
    "payment_due": gettext_lazy("Batas pembayaran BPJSTK"),
    "scholarship_reapply": gettext_lazy("Pengajuan ulang beasiswa"),
}


def claim_queryset(*, actor: User) -> QuerySet[Claim]:
    """The claims of the persons in the actor's area."""
    return Claim.objects.filter(person__in=person_queryset(actor=actor))


def claim_get(*, actor: User, claim_id: int) -> Claim:
    """One claim in the actor's area (``NotFound`` outside it); needs ``claims.read``."""
    require(actor, "claims.read")
    claim = (claim_queryset(actor=actor).select_related("person__kelurahan", "membership__payer")
             .filter(pk=claim_id).first())
    if claim is None:
        raise NotFound(_("Klaim tidak ditemukan."))
    return claim


def deadlines_of(claim: Claim) -> ClaimDeadlines:
    """The claim's deadlines (``rules.claims.claim_deadlines``): never stored, always computed."""
    return claim_deadlines(claim.type, claim.event_date, outcome_date=claim.outcome_date,
                           complete_on=claim.complete_on, params=current_parameters())


def checklist_labels(claim_type: str, lang: str = "id") -> dict[str, str]:
    """Document code → its label in ``lang``, from the checklist in force today."""
    items = document_checklist(claim_type, on=timezone.localdate(), params=current_parameters())
    return {item.code: item.label_en if lang == "en" else item.label for item in items}


def paid_months(person: Person, day: dt.date) -> int:
    """The person's paid contribution months up to the month of ``day`` (the benefit estimate's and
    the JKM scholarship's count)."""
    return Due.objects.filter(person=person, status=Due.Status.PAID, period__lte=month_start(day)).count()


def scholarship_order(claim: Claim) -> tuple[list[ClaimChild], list[ClaimChild]]:
    """A death or total-disability claim's children as the scholarship ranks them, and the others.

    The first list goes to ``rules.claims.scholarship_children``: the children who already have a
    follow-up (they keep their place: their scholarship started), then those not ended, each group
    in the order recorded. The second: children ended before any follow-up (they take no place)."""
    children = list(claim.children.prefetch_related("follow_ups").order_by("id"))
    started = [c for c in children if c.follow_ups.all()]
    waiting = [c for c in children if not c.follow_ups.all() and c.ended_on is None]
    return started + waiting, [c for c in children if not c.follow_ups.all() and c.ended_on is not None]


def scholarship_of(claim: Claim, ranked: list[ClaimChild]) -> ScholarshipChildren | Message:
    """Which of ``ranked`` (``scholarship_order``) get the claim's scholarship and why the others do
    not (``rules.benefits``' rule: the children who started keep their place, counted as chosen);
    a ``Message`` when the rules refuse the data (e.g. a level name no longer in force)."""
    try:
        return scholarship_children(
            claim_type=claim.type, outcome=claim.outcome, event_date=claim.event_date,
            contribution_months=paid_months(claim.person, claim.event_date),
            children=[{"birth_date": c.birth_date, "level": c.level, "chosen": c.chosen or bool(c.follow_ups.all())}
                      for c in ranked], params=current_parameters())
    except RulesInputError as exc:
        return Message("scholarship_rules_refused", exc.message, exc.message_en)


def child_history(child: ClaimChild, level: str) -> tuple[int, int]:
    """(years paid at the level named ``level``, rupiah paid in all) for a child's scholarship: the
    paid follow-ups, each counted at the level it paid (``Claim.school_level``)."""
    paid = list(child.follow_ups.filter(status=Claim.Status.PAID))
    code = scholarship_level_code(level, timezone.localdate(), current_parameters()) if level else ""
    years = sum(1 for follow_up in paid if code and follow_up.school_level == code)
    return years, sum(f.paid_idr or 0 for f in paid)


def _children_as_dicts(claim: Claim, lang: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A JKK or JKM claim's children in ``scholarship_order`` (the numbers in the scholarship's notes
    count them in this order), and the scholarship's decision."""
    ranked, others = scholarship_order(claim)
    decision = scholarship_of(claim, ranked)
    taken = set(decision.taken) if isinstance(decision, ScholarshipChildren) else set()
    rows = [{"id": c.pk, "name": c.name, "birth_date": c.birth_date.isoformat(), "level": c.level or None,
             "chosen": c.chosen, "taken": index in taken,
             "ended_on": c.ended_on.isoformat() if c.ended_on else None, "end_reason": c.end_reason or None,
             "follow_ups": sorted(f.pk for f in c.follow_ups.all())}
            for index, c in enumerate([*ranked, *others])]
    if isinstance(decision, Message):
        return rows, {"triggered": None, "taken": [], "reasons": [decision.to_dict(lang)], "notes": []}
    return rows, decision.to_dict(lang)


def claim_as_dict(claim: Claim, *, lang: str = "id", full: bool = False) -> dict[str, Any]:
    """A claim as the API and the CLI give it (``full``: heirs, payments, the children named for the
    scholarship with their follow-ups, and whether and to whom the scholarship is paid). A
    scholarship follow-up names its ``origin`` claim, its ``child`` and its ``school_year``."""
    labels = checklist_labels(claim.type, lang)
    data: dict[str, Any] = {
        "id": claim.pk, "person": claim.person_id, "person_name": claim.person.full_name,
        "type": claim.type, "outcome": claim.outcome or None,
        "outcome_date": claim.outcome_date.isoformat() if claim.outcome_date else None,
        "event_date": claim.event_date.isoformat(), "event_place": claim.event_place,
        "chronology": claim.chronology, "reported_by": claim.reported_by, "status": claim.status,
        "membership": claim.membership_id, "protected_on_event_date": claim.protected_on_event_date,
        "coverage_reason": claim.coverage_reason, "coverage_text": claim.coverage_text,
        "estimate_idr": claim.estimate_idr, "bpjstk_number": claim.bpjstk_number or None,
        "deadlines": deadlines_of(claim).to_dict(),
        "stage1_reported_on": claim.stage1_reported_on.isoformat() if claim.stage1_reported_on else None,
        "stage2_reported_on": claim.stage2_reported_on.isoformat() if claim.stage2_reported_on else None,
        "checklist": [{"code": d.code, "label": labels.get(d.code, d.code), "required": d.required,
                       "received": d.received_on is not None,
                       "received_on": d.received_on.isoformat() if d.received_on else None}
                      for d in claim.documents.all()],
        "complete_on": claim.complete_on.isoformat() if claim.complete_on else None,
        "submitted_on": claim.submitted_on.isoformat() if claim.submitted_on else None,
        "settled_on": claim.settled_on.isoformat() if claim.settled_on else None,
        "paid_idr": claim.paid_idr, "rejection_reason": claim.rejection_reason or None,
        "origin": claim.origin_id, "child": claim.child_id, "school_year": claim.school_year,
    }
    if full:
        if claim.child_id is not None:
            data["child_name"] = claim.child.name if claim.child else None
        elif claim.type != Claim.Type.SCHOLARSHIP:
            data["children"], data["scholarship"] = _children_as_dicts(claim, lang)
        data["heirs"] = [{"name": h.name, "relationship": h.relationship, "priority": h.priority,
                          "nik_recorded": bool(h.nik_index)} for h in claim.heirs.all()]
        data["payments"] = [{"item_code": p.item_code, "amount_idr": p.amount_idr, "paid_on": p.paid_on.isoformat()}
                            for p in claim.payments.all()]
    return data


@dataclass(frozen=True)
class ClaimDeadline:
    """An open claim's next deadline: ``kind`` is a ``ClaimDeadlines`` field name."""

    claim: Claim
    kind: str
    date: dt.date
    overdue: bool

    def as_dict(self, today: dt.date) -> dict[str, Any]:
        return {"claim": self.claim.pk, "person": self.claim.person_id, "person_name": self.claim.person.full_name,
                "kelurahan": self.claim.person.kelurahan.name, "type": self.claim.type,
                "status": self.claim.status, "deadline": self.kind, "date": self.date.isoformat(),
                "overdue": self.overdue, "days_left": (self.date - today).days}


def next_deadline(claim: Claim, today: dt.date) -> ClaimDeadline | None:
    """What the office must do next for an open claim, and by when.

    Not yet submitted: a report deadline (stage I, stage II) already past is overdue — the report is
    late until it is recorded as made (``claim_report_made``) or the claim goes to BPJSTK; otherwise
    the earliest of the reports and the lapse of the right still ahead. Submitted: BPJSTK's payment
    promise (overdue once past: chase the branch).

    A scholarship claim (a yearly follow-up) has no reports to make: its deadline is
    ``scholarship_reapply``, the day the next year's application is due — this year's must be
    with BPJSTK by then (overdue after; it comes long before the right lapses). A follow-up whose
    school year has not begun yet is listed with it too, far down the list.
    """
    deadlines = deadlines_of(claim)
    if claim.status == Claim.Status.SUBMITTED:
        if deadlines.payment_due is None:
            return None
        return ClaimDeadline(claim, "payment_due", deadlines.payment_due, deadlines.payment_due < today)
    if claim.status not in Claim.NOT_SUBMITTED:
        return None
    if claim.type == Claim.Type.SCHOLARSHIP and deadlines.scholarship_reapply is not None:
        reapply = deadlines.scholarship_reapply
        return ClaimDeadline(claim, "scholarship_reapply", reapply, reapply < today)
    reports = [(kind, day) for kind, day, made in (("stage1_report", deadlines.stage1_report, claim.stage1_reported_on),
                                                   ("stage2_report", deadlines.stage2_report, claim.stage2_reported_on))
               if day is not None and made is None]
    missed = [(kind, day) for kind, day in reports if day < today]
    if missed:
        kind, day = missed[-1]
        return ClaimDeadline(claim, kind, day, True)
    ahead = [(day, kind) for kind, day in [*reports, ("lapses_on", deadlines.lapses_on)] if day >= today]
    if not ahead:
        return ClaimDeadline(claim, "lapses_on", deadlines.lapses_on, True)
    day, kind = min(ahead)
    return ClaimDeadline(claim, kind, day, False)


def claim_deadlines_list(*, actor: User, today: dt.date | None = None) -> list[ClaimDeadline]:
    """The open claims of the actor's area with their next deadline: overdue first, then the nearest."""
    require(actor, "claims.read")
    today = today or timezone.localdate()
    claims = (claim_queryset(actor=actor).filter(status__in=Claim.OPEN_STATUSES)
              .select_related("person__kelurahan"))
    rows = [row for row in (next_deadline(claim, today) for claim in claims) if row is not None]
    rows.sort(key=lambda r: (not r.overdue, r.date, r.claim.pk))
    return rows
