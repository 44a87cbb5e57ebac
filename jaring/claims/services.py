"""All writes to claims: open, outcome, heirs, the children of the scholarship and its yearly
follow-ups, documents, submit, settle, reject, lapse. Each one is audited, needs ``claims.write``
and acts only on persons of the actor's area (outside it: not found)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaring.accounts.capabilities import require
from jaring.accounts.models import Role, User
from jaring.accounts.selectors import scope_for
from jaring.claims.models import Claim, ClaimChild, ClaimDocument, ClaimHeir, ClaimPayment, ClaimScan
from jaring.claims.selectors import (
    child_history,
    deadlines_of,
    paid_months,
    scholarship_of,
    scholarship_order,
)
from jaring.contributions.selectors import protection
from jaring.core.audit import audit_log
from jaring.core.crypto import cipher
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.parameters import current_parameters
from jaring.core.params import has_control_chars
from jaring.membership.models import Membership
from jaring.membership.services import membership_end
from jaring.registry.identity import clean_digits, nik_findings
from jaring.registry.models import Person
from jaring.registry.services import MergePlanPart, PersonInput, merge_moved, person_update
from jaring.rules import RulesInputError, calculate_benefits
from jaring.rules.claims import (
    ScholarshipChildren,
    ScholarshipNext,
    claim_deadlines,
    document_checklist,
    scholarship_children,
    scholarship_level_names,
    scholarship_next,
    scholarship_year,
)

# Who reported a claim, when not said: the opener's own role (an office user reports as the operator).
REPORTER_OF_ROLE: dict[str, str] = {Role.FACILITATOR: Claim.ReportedBy.FACILITATOR,
                                    Role.LIAISON: Claim.ReportedBy.LIAISON}


def _invalid(field: str, message: str, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _in_area(actor: User, person: Person) -> None:
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))


def _lock(actor: User, claim: Claim, capability: str = "claims.write") -> Claim:
    require(actor, capability)
    locked = (Claim.objects.select_for_update(of=("self",)).select_related("person__kelurahan")
              .filter(pk=claim.pk).first())
    if locked is None:
        raise NotFound(_("Klaim tidak ditemukan."))
    _in_area(actor, locked.person)
    return locked


def _wrong_status(claim: Claim, wanted: Any) -> Conflict:
    return Conflict(_("Klaim ini berstatus %(status)s; langkah ini hanya untuk klaim berstatus %(wanted)s.") % {
        "status": claim.get_status_display(), "wanted": wanted}, code="wrong_status",
        extra={"status": claim.status})


def _log(actor: User, action: str, claim: Claim, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    audit_log(actor=actor, action=action, obj=claim, region_code=claim.person.kelurahan.code,
              before=before, after=after)


def _not_future(day: dt.date, field: str, today: dt.date) -> None:
    if day > today:
        raise _invalid(field, _("Tanggal %(d)s belum terjadi.") % {"d": day.strftime("%d-%m-%Y")}, "future")


def _covering_membership(person: Person, day: dt.date) -> Membership | None:
    """The membership that covered ``day``: the latest started by then, unless it ended before."""
    membership = (Membership.objects.filter(person=person, start_date__lte=day).select_related("payer")
                  .order_by("-start_date", "-id").first())
    if membership is not None and membership.ended_on is not None and membership.ended_on < day:
        return None
    return membership


def claim_estimate(*, person: Person, membership: Membership | None, claim_type: str, outcome: str,
                   event_date: dt.date) -> int | None:
    """The benefit estimate of ``rules.calculate_benefits`` for the case as it stands: a JKM death,
    or a work accident once its outcome is known (None before, and for a scholarship follow-up,
    whose amounts depend on the children). The income is the covering membership's declared one
    (else the registry's); the contribution months are the person's paid months up to the event."""
    if claim_type == Claim.Type.SCHOLARSHIP or (claim_type == Claim.Type.JKK and not outcome):
        return None
    income = membership.declared_income_idr if membership is not None else person.declared_income_idr
    if not income:
        return None
    months = paid_months(person, event_date)
    case: dict[str, Any] = {"event": "death" if claim_type == Claim.Type.JKM else "work_accident",
                            "event_date": event_date.isoformat(), "declared_income_idr": int(income),
                            "contribution_months": months}
    if claim_type == Claim.Type.JKK:
        case["work_accident"] = {"outcome": outcome}
    try:
        return calculate_benefits(case, params=current_parameters()).total_idr
    except RulesInputError:  # e.g. an income that is no bracket value: no estimate, never a refusal
        return None


@transaction.atomic
def claim_open(*, actor: User, person: Person, type: str, event_date: dt.date, event_place: str = "",
               chronology: str = "", reported_by: str | None = None, outcome: str = "",
               outcome_date: dt.date | None = None, today: dt.date | None = None) -> Claim:
    """Open a claim case for ``person``. Coverage on the event date is the money loop's one rule
    (``contributions.selectors.protection``) and is recorded even when the person was not
    protected (the office follows up; the case counts in the figures). Refused: an event in the
    future, or one whose right has lapsed (``rules.claims``: 5 years after the event)."""
    require(actor, "claims.write")
    today = today or timezone.localdate()
    person = Person.objects.select_related("kelurahan").get(pk=person.pk)
    _in_area(actor, person)
    if type not in Claim.Type.values:
        raise _invalid("type", _("Jenis klaim tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Claim.Type.values)})
    outcome = outcome or ""
    if outcome and outcome not in Claim.Outcome.values:
        raise _invalid("outcome", _("Akibat tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Claim.Outcome.values)})
    if outcome and type != Claim.Type.JKK:
        raise _invalid("outcome", _("Akibat hanya dicatat untuk klaim JKK."))
    reported_by = reported_by or REPORTER_OF_ROLE.get(str(actor.role), Claim.ReportedBy.OPERATOR)
    if reported_by not in Claim.ReportedBy.values:
        raise _invalid("reported_by", _("Pelapor tidak dikenal; pilihan: %(c)s") % {
            "c": ", ".join(Claim.ReportedBy.values)})
    for field, text, limit in (("event_place", event_place, 200), ("chronology", chronology, 5000)):
        if len(text) > limit or has_control_chars(text.replace("\n", "").replace("\r", "")):
            raise _invalid(field, _("Paling banyak %(n)s karakter, tanpa karakter kontrol.") % {"n": limit})
    _not_future(event_date, "event_date", today)
    if outcome_date is not None:
        _not_future(outcome_date, "outcome_date", today)
        if outcome_date < event_date:
            raise _invalid("outcome_date", _("Tanggal akibat tidak boleh sebelum tanggal kejadian."))
    params = current_parameters()
    try:
        deadlines = claim_deadlines(type, event_date, outcome_date=outcome_date, params=params)
        checklist = document_checklist(type, on=today, params=params)
    except RulesInputError as exc:
        raise _invalid("event_date", exc.message) from None
    if today > deadlines.lapses_on:
        raise _invalid("event_date", _("Hak atas manfaat sudah gugur: kejadian %(event)s lebih dari batas waktu; "
                                       "klaim paling lambat %(limit)s.") % {
            "event": event_date.strftime("%d-%m-%Y"), "limit": deadlines.lapses_on.strftime("%d-%m-%Y")}, "lapsed")
    same = Claim.objects.filter(person=person, type=type, event_date=event_date,
                                status__in=Claim.OPEN_STATUSES).first()
    if same is not None:
        raise Conflict(_("Klaim yang sama sudah dibuka (nomor %(id)s).") % {"id": same.pk}, code="duplicate",
                       extra={"claim_id": same.pk})
    covered = protection(person=person, day=event_date)
    membership = _covering_membership(person, event_date)
    claim = Claim.objects.create(
        person=person, membership=membership, type=type, outcome=outcome, outcome_date=outcome_date,
        event_date=event_date, event_place=event_place.strip(), chronology=chronology.strip(),
        reported_by=reported_by, protected_on_event_date=covered.protected, coverage_reason=covered.reason.value,
        coverage_text=covered.message.text("id")[:300],
        estimate_idr=claim_estimate(person=person, membership=membership, claim_type=type, outcome=outcome,
                                    event_date=event_date),
        created_by=actor)
    ClaimDocument.objects.bulk_create([ClaimDocument(claim=claim, code=item.code, required=item.required)
                                       for item in checklist])
    _log(actor, "claim.open", claim, None, {
        "person": person.pk, "type": type, "event_date": event_date.isoformat(), "outcome": outcome,
        "reported_by": reported_by, "protected": covered.protected, "coverage_reason": covered.reason.value,
        "membership": membership.pk if membership else None, "estimate_idr": claim.estimate_idr})
    _complete_if_ready(actor, claim)
    return claim


@transaction.atomic
def claim_outcome(*, actor: User, claim: Claim, outcome: str, outcome_date: dt.date | None,
                  today: dt.date | None = None) -> Claim:
    """The work accident's outcome became known (recovery, disability, death): the stage-II report
    runs from ``outcome_date`` and the estimate is computed again."""
    claim = _lock(actor, claim)
    today = today or timezone.localdate()
    if claim.type != Claim.Type.JKK:
        raise _invalid("outcome", _("Akibat hanya dicatat untuk klaim JKK."))
    if outcome not in Claim.Outcome.values:
        raise _invalid("outcome", _("Akibat tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Claim.Outcome.values)})
    if claim.status not in Claim.OPEN_STATUSES:
        raise _wrong_status(claim, _("terbuka"))
    if outcome_date is not None:
        _not_future(outcome_date, "outcome_date", today)
        if outcome_date < claim.event_date:
            raise _invalid("outcome_date", _("Tanggal akibat tidak boleh sebelum tanggal kejadian."))
    if (claim.outcome, claim.outcome_date) == (outcome, outcome_date):
        return claim
    before = {"outcome": claim.outcome, "outcome_date": str(claim.outcome_date), "estimate_idr": claim.estimate_idr}
    claim.outcome, claim.outcome_date = outcome, outcome_date
    claim.estimate_idr = claim_estimate(person=claim.person, membership=claim.membership, claim_type=claim.type,
                                        outcome=outcome, event_date=claim.event_date)
    claim.save(update_fields=["outcome", "outcome_date", "estimate_idr", "updated_at"])
    _log(actor, "claim.outcome", claim, before, {"outcome": outcome, "outcome_date": str(outcome_date),
                                                 "estimate_idr": claim.estimate_idr})
    return claim


@transaction.atomic
def claim_report_made(*, actor: User, claim: Claim, stage: int, reported_on: dt.date,
                      today: dt.date | None = None) -> Claim:
    """The stage-I (the event) or stage-II (recovery, disability or death) report was made to BPJSTK
    on ``reported_on`` — by the family, the facilitator or the office (Permenaker 1/2025 art. 48A lets
    the *wadah* notify): that deadline stops being due. Asking twice with the same day changes nothing."""
    claim = _lock(actor, claim)
    today = today or timezone.localdate()
    if stage not in (1, 2):
        raise _invalid("stage", _("Tahap laporan 1 atau 2."))
    if claim.status not in Claim.OPEN_STATUSES:
        raise _wrong_status(claim, _("terbuka"))
    _not_future(reported_on, "reported_on", today)
    if reported_on < claim.event_date:
        raise _invalid("reported_on", _("Tanggal laporan tidak boleh sebelum tanggal kejadian."))
    field = "stage1_reported_on" if stage == 1 else "stage2_reported_on"
    if getattr(claim, field) == reported_on:
        return claim
    before = {field: str(getattr(claim, field))}
    setattr(claim, field, reported_on)
    claim.save(update_fields=[field, "updated_at"])
    _log(actor, "claim.report_made", claim, before, {field: reported_on.isoformat()})
    return claim


@transaction.atomic
def claim_heir_add(*, actor: User, claim: Claim, name: str, relationship: str, nik: str = "",
                   phone: str = "") -> ClaimHeir:
    """An heir of the claim, ranked by the regulation's order (``ClaimHeir.PRIORITY``); the NIK, when
    given, must be a valid one and is stored encrypted with its blind index."""
    claim = _lock(actor, claim)
    name = " ".join((name or "").split())
    if not name or len(name) > 150 or has_control_chars(name):
        raise _invalid("name", _("Nama ahli waris wajib diisi (paling banyak 150 karakter)."))
    if relationship not in ClaimHeir.Relationship.values:
        raise _invalid("relationship", _("Hubungan tidak dikenal; pilihan: %(c)s") % {
            "c": ", ".join(ClaimHeir.Relationship.values)})
    heir = ClaimHeir(claim=claim, name=name, relationship=relationship,
                     priority=ClaimHeir.PRIORITY[relationship], phone=clean_digits(phone or "")[:20])
    if nik:
        errors = [f for f in nik_findings(nik) if f.is_error]
        if errors:
            raise _invalid("nik", errors[0].message)
        digits = clean_digits(nik)
        heir.nik_encrypted = cipher().encrypt(digits, kind="nik")
        heir.nik_index = cipher().blind_index(digits, kind="nik")
    heir.save()
    _log(actor, "claim.heir_add", claim, None, {"heir": heir.pk, "relationship": relationship,
                                                "priority": heir.priority, "nik": bool(nik)})
    return heir


# --- The scholarship: the children and their yearly follow-ups (DOMAIN §2.2) ---------------------------
#
# A death or total-disability claim (the origin) names the children; ``rules.benefits`` says whether
# the case pays the scholarship and to which children (at most ``scholarship.max_children``: the ones
# the family chose, else the first recorded — never a refusal; a child whose scholarship started keeps
# its place). Each year of each taken child is a follow-up claim (type scholarship, ``origin``,
# ``child``, ``school_year``), one per child and year (the unique constraint). When the origin is
# paid, year 1 opens, dated the day it was paid; when a follow-up is paid, the next year opens on its
# ``scholarship_reapply`` day (``rules.claims.scholarship_next``), or the child's scholarship ends
# (the end age, the per-child ceiling, the last level's years: ``ended_on``/``end_reason``) or waits
# for the office to record a school level (not in school yet, a level's years used). After such a
# wait — a child recorded after the origin was paid, school started, a new level — the year opens on
# the later of its chain day and the day the office records it: Jaring claims no back years.

MAX_CHILDREN_RECORDED = 20  # far above any family; a guard against a runaway client
SCHOLARSHIP_END_REASON = {"scholarship_age_limit": ClaimChild.EndReason.AGE}  # else LIMIT (ceiling, last level)


def _origin_problem(claim: Claim) -> str | None:
    """Why children cannot be named on ``claim`` (None: they can): a JKM claim, or a JKK claim whose
    outcome pays the scholarship (``rules.benefits``: a death or a total disability)."""
    if claim.type == Claim.Type.JKM:
        return None
    if claim.type == Claim.Type.JKK:
        decision = scholarship_children(claim_type=claim.type, outcome=claim.outcome, event_date=claim.event_date,
                                        contribution_months=0, children=[], params=current_parameters())
        if decision.triggered:
            return None
    return _("Anak penerima beasiswa dicatat pada klaim JKM, atau klaim JKK dengan akibat meninggal dunia "
             "atau cacat total tetap.")


def _child_level(level: Any, on: dt.date) -> str:
    """A level name as the rules spell it (``sd`` → ``SD``); ``""``: not given."""
    if not isinstance(level, str) or len(level) > 20:
        raise _invalid("level", _("Jenjang sekolah harus berupa teks."))
    names = scholarship_level_names(on, current_parameters())
    text = level.strip()
    if not text:
        return ""
    found = next((name for name in names if name.casefold() == text.casefold()), None)
    if found is None:
        raise _invalid("level", _("Jenjang sekolah tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(names)})
    return found


def _follow_up_open(actor: User, origin: Claim, child: ClaimChild, school_year: int, step: ScholarshipNext,
                    today: dt.date) -> Claim:
    """The follow-up of ``child`` for ``school_year``; an existing one is returned as it is."""
    existing = Claim.objects.filter(child=child, school_year=school_year).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            follow_up = Claim.objects.create(
                person=origin.person, membership=origin.membership, origin=origin, child=child,
                school_year=school_year, school_level=step.level, type=Claim.Type.SCHOLARSHIP,
                event_date=step.date,
                reported_by=REPORTER_OF_ROLE.get(str(actor.role), Claim.ReportedBy.OPERATOR),
                protected_on_event_date=origin.protected_on_event_date, coverage_reason=origin.coverage_reason,
                coverage_text=origin.coverage_text, estimate_idr=step.amount_idr, created_by=actor)
    except IntegrityError:  # the same child and year opened at the same moment: that one stands
        return Claim.objects.get(child=child, school_year=school_year)
    checklist = document_checklist(Claim.Type.SCHOLARSHIP, on=today, params=current_parameters())
    ClaimDocument.objects.bulk_create([ClaimDocument(claim=follow_up, code=item.code, required=item.required)
                                       for item in checklist])
    _log(actor, "claim.follow_up", follow_up, None, {
        "origin": origin.pk, "child": child.pk, "school_year": school_year, "event_date": step.date.isoformat(),
        "level": step.level, "estimate_idr": step.amount_idr, "capped": step.capped})
    return follow_up


def _child_step(actor: User, origin: Claim, child: ClaimChild, *, today: dt.date, after_wait: bool) -> dict[str, Any]:
    """Bring one taken child's follow-ups up to date: open the next year, end the scholarship, or
    say what it waits for. A year still open (not paid, rejected or lapsed) is the current one: nothing
    to do. After a rejected or lapsed year the next opens only on the office's word (``after_wait``)."""
    if child.ended_on is not None:
        return {"child": child.pk, "ended": child.end_reason}
    assert origin.settled_on is not None
    last = child.follow_ups.order_by("-school_year").first()
    params = current_parameters()
    try:
        if last is None:
            school_year, day = 1, max(origin.settled_on, today) if after_wait else origin.settled_on
            step = scholarship_year(birth_date=child.birth_date, level=child.level, on=day, params=params)
        else:
            if last.status in Claim.OPEN_STATUSES or (last.status != Claim.Status.PAID and not after_wait):
                return {"child": child.pk, "open": last.pk} if last.status in Claim.OPEN_STATUSES else {}
            years, paid = child_history(child, child.level)
            school_year = (last.school_year or 0) + 1
            step = scholarship_next(birth_date=child.birth_date, level=child.level, years_at_level=years,
                                    paid_total_idr=paid, last_date=last.event_date, params=params)
            if after_wait and step.date < today:
                step = scholarship_year(birth_date=child.birth_date, level=child.level, years_at_level=years,
                                        paid_total_idr=paid, on=today, params=params)
    except RulesInputError as exc:  # e.g. a level name the rules in force no longer know
        return {"child": child.pk, "waiting": "rules_refused", "text": exc.message}
    if step.amount_idr is not None:
        follow_up = _follow_up_open(actor, origin, child, school_year, step, today)
        return {"child": child.pk, "follow_up": follow_up.pk, "school_year": follow_up.school_year}
    assert step.reason is not None
    if not step.ends:
        return {"child": child.pk, "waiting": step.reason.code, "text": step.reason.text_id}
    ended_on = step.ends_on or (last.settled_on if last is not None and last.settled_on else step.date)
    child.ended_on = ended_on
    child.end_reason = SCHOLARSHIP_END_REASON.get(step.reason.code, ClaimChild.EndReason.LIMIT)
    child.save(update_fields=["ended_on", "end_reason"])
    _log(actor, "claim.child_end", origin, {"child": child.pk, "ended_on": None, "end_reason": ""},
         {"child": child.pk, "ended_on": ended_on.isoformat(), "end_reason": child.end_reason,
          "reason": step.reason.code, "text": step.reason.text_id})
    return {"child": child.pk, "ended": child.end_reason, "reason": step.reason.code}


def _scholarship_sync(actor: User, origin: Claim, *, today: dt.date, after_wait: bool) -> dict[str, Any]:
    """A paid origin's children brought up to date: the follow-ups of the taken children opened, or
    ended, or waiting; when the case pays no scholarship (e.g. a JKM death with fewer paid months than
    ``jkm_benefits.scholarship_min_contribution_months``), none, and why. What was done is returned for
    the calling service's audit event."""
    if origin.type not in (Claim.Type.JKK, Claim.Type.JKM) or origin.status != Claim.Status.PAID:
        return {}
    list(ClaimChild.objects.select_for_update().filter(claim=origin).values_list("pk", flat=True))
    ranked, _ended = scholarship_order(origin)
    if not ranked:
        return {}
    decision = scholarship_of(origin, ranked)
    if not isinstance(decision, ScholarshipChildren):
        return {"none": decision.code, "text": decision.text_id}
    if not decision.triggered:
        reason = decision.reasons[0]
        return {"none": reason.code, "text": reason.text_id}
    steps = [_child_step(actor, origin, ranked[index], today=today, after_wait=after_wait)
             for index in decision.taken]
    return {"taken": [ranked[index].pk for index in decision.taken], "steps": steps}


@transaction.atomic
def claim_child_add(*, actor: User, claim: Claim, name: str, birth_date: dt.date, level: str = "",
                    chosen: bool = False) -> ClaimChild:
    """Name a child for the scholarship on a JKM claim, or a JKK claim whose outcome is death or total
    disability. More children than ``scholarship.max_children`` are recorded all the same (the family
    is never refused): the ones marked ``chosen`` are taken first, else the first recorded, and the
    claim says so (``claim_as_dict``). ``level`` is the school level as the rules name it (TK, SD, SMP,
    SMA, PT; empty, ``belum_sekolah`` or ``PAUD``: not in school yet, the follow-up comes when school
    starts). The same name and birth date again return the child already recorded. When the claim
    is already paid, the child's first follow-up opens now (dated today)."""
    claim = _lock(actor, claim)
    today = timezone.localdate()
    problem = _origin_problem(claim)
    if problem is not None:
        raise _invalid("claim", problem, "not_an_origin")
    if claim.status in (Claim.Status.REJECTED, Claim.Status.LAPSED):
        raise _wrong_status(claim, _("terbuka atau dibayar"))
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name or len(name) > 150 or has_control_chars(name):
        raise _invalid("name", _("Nama anak wajib diisi (paling banyak 150 karakter)."))
    if not isinstance(birth_date, dt.date) or isinstance(birth_date, dt.datetime):
        raise _invalid("birth_date", _("Tanggal lahir wajib diisi (YYYY-MM-DD)."))
    _not_future(birth_date, "birth_date", today)
    if birth_date > claim.event_date:
        raise _invalid("birth_date", _("Tanggal lahir anak tidak boleh setelah tanggal kejadian."))
    level = _child_level("" if level is None else level, today)
    if not isinstance(chosen, bool):
        raise _invalid("chosen", _("Pilihan keluarga harus ya atau tidak."))
    same = claim.children.filter(name__iexact=name, birth_date=birth_date).first()
    if same is not None:
        return same
    if claim.children.count() >= MAX_CHILDREN_RECORDED:
        raise _invalid("name", _("Paling banyak %(n)s anak per klaim.") % {"n": MAX_CHILDREN_RECORDED}, "too_many")
    child = ClaimChild.objects.create(claim=claim, name=name, birth_date=birth_date, level=level, chosen=chosen)
    effects = _scholarship_sync(actor, claim, today=today, after_wait=True)
    _log(actor, "claim.child_add", claim, None, {"child": child.pk, "level": level, "chosen": chosen,
                                                 **({"scholarship": effects} if effects else {})})
    return child


def _recompute_open_year(child: ClaimChild) -> dict[str, Any]:
    """A level changed: the open, not yet submitted follow-up of the child pays the new level's amount."""
    follow_up = (child.follow_ups.select_for_update(of=("self",)).filter(status__in=Claim.NOT_SUBMITTED)
                 .order_by("-school_year").first())
    if follow_up is None:
        return {}
    years, paid = child_history(child, child.level)
    try:
        step = scholarship_year(birth_date=child.birth_date, level=child.level, years_at_level=years,
                                paid_total_idr=paid, on=follow_up.event_date, params=current_parameters())
    except RulesInputError:
        return {}
    if step.amount_idr == follow_up.estimate_idr:
        return {}
    before = follow_up.estimate_idr
    follow_up.estimate_idr = step.amount_idr
    follow_up.school_level = step.level
    follow_up.save(update_fields=["estimate_idr", "school_level", "updated_at"])
    return {"follow_up": follow_up.pk, "estimate_idr": [before, step.amount_idr],
            **({"reason": step.reason.code} if step.reason else {})}


@transaction.atomic
def claim_child_update(*, actor: User, child: ClaimChild, level: str | None = None, chosen: bool | None = None,
                       ended_on: dt.date | None = None, end_reason: str = "") -> ClaimChild:
    """Change a scholarship child: the school ``level`` (it moves up each year: the open follow-up,
    not yet submitted, then pays the new level; a child who waited — not in school yet, a level's
    years used — gets the year's follow-up), the family's ``chosen`` flag (a child whose scholarship
    started keeps its place), or the end of the scholarship (``end_reason`` married, working,
    left_school, died…, with ``ended_on``): no further follow-up then (an open one stays: that year
    may still be due). An ended child is not changed again. Asking twice changes nothing."""
    require(actor, "claims.write")
    found = ClaimChild.objects.select_related("claim").filter(pk=child.pk).first() if child.pk else None
    if found is None:
        raise NotFound(_("Anak tidak ditemukan."))
    try:
        claim = _lock(actor, found.claim)
    except NotFound:
        raise NotFound(_("Anak tidak ditemukan.")) from None
    child = ClaimChild.objects.select_for_update(of=("self",)).get(pk=found.pk)
    today = timezone.localdate()
    changes: dict[str, Any] = {}
    if level is not None:
        changes["level"] = _child_level(level, today)
    if chosen is not None:
        if not isinstance(chosen, bool):
            raise _invalid("chosen", _("Pilihan keluarga harus ya atau tidak."))
        changes["chosen"] = chosen
    end_reason = end_reason or ""
    if end_reason or ended_on is not None:
        if end_reason not in ClaimChild.EndReason.values:
            raise _invalid("end_reason", _("Alasan berhenti tidak dikenal; pilihan: %(c)s") % {
                "c": ", ".join(ClaimChild.EndReason.values)})
        if not isinstance(ended_on, dt.date) or isinstance(ended_on, dt.datetime):
            raise _invalid("ended_on", _("Tanggal berhenti wajib diisi bersama alasannya."))
        _not_future(ended_on, "ended_on", today)
        if ended_on < child.birth_date:
            raise _invalid("ended_on", _("Tanggal berhenti tidak boleh sebelum tanggal lahir."))
        changes["ended_on"], changes["end_reason"] = ended_on, end_reason
    changed = {key: value for key, value in changes.items() if getattr(child, key) != value}
    if not changed:
        return child
    if child.ended_on is not None:
        raise Conflict(_("Beasiswa anak ini sudah berhenti pada %(d)s (%(r)s).") % {
            "d": child.ended_on.strftime("%d-%m-%Y"), "r": child.get_end_reason_display()}, code="child_ended")
    before = {key: (str(getattr(child, key)) if key == "ended_on" else getattr(child, key)) for key in changed}
    for key, value in changed.items():
        setattr(child, key, value)
    child.save(update_fields=list(changed))
    effects: dict[str, Any] = {}
    if "level" in changed:
        effects.update(_recompute_open_year(child))
    # Also after an end: a child who ended before any follow-up frees its place for the next child.
    synced = _scholarship_sync(actor, claim, today=today, after_wait=True)
    if synced:
        effects["scholarship"] = synced
    after = {key: (value.isoformat() if isinstance(value, dt.date) else value) for key, value in changed.items()}
    _log(actor, "claim.child_update", claim, {"child": child.pk, **before}, {"child": child.pk, **after, **effects})
    return child


def _complete_if_ready(actor: User, claim: Claim) -> None:
    if claim.status != Claim.Status.REPORTED:
        return
    if claim.documents.filter(required=True, received_on__isnull=True).exists():
        return
    claim.status = Claim.Status.DOCUMENTS_COMPLETE
    claim.save(update_fields=["status", "updated_at"])
    _log(actor, "claim.documents_complete", claim, {"status": Claim.Status.REPORTED},
         {"status": claim.status})


@transaction.atomic
def claim_document_received(*, actor: User, claim: Claim, code: str, received_on: dt.date, note: str = "",
                            today: dt.date | None = None) -> Claim:
    """A checklist item received on ``received_on``; the claim's documents are complete when every
    required item is (status ``documents_complete``). The same date again changes nothing."""
    claim = _lock(actor, claim)
    today = today or timezone.localdate()
    if claim.status not in Claim.NOT_SUBMITTED:
        raise _wrong_status(claim, _("dilaporkan atau dokumen lengkap"))
    document = claim.documents.filter(code=code).first()
    if document is None:
        codes = ", ".join(claim.documents.values_list("code", flat=True))
        raise _invalid("code", _("Dokumen %(code)s tidak ada dalam daftar klaim ini; pilihan: %(c)s") % {
            "code": code[:40], "c": codes})
    _not_future(received_on, "received", today)
    if received_on < claim.event_date:
        raise _invalid("received", _("Tanggal terima tidak boleh sebelum tanggal kejadian."))
    note = " ".join((note or "").split())[:300]
    if document.received_on == received_on and (not note or note == document.note):
        return claim
    before = {"code": code, "received_on": str(document.received_on)}
    document.received_on = received_on
    if note:
        document.note = note
    document.save(update_fields=["received_on", "note"])
    _log(actor, "claim.document", claim, before, {"code": code, "received_on": received_on.isoformat()})
    _complete_if_ready(actor, claim)
    return claim


# What a scan may be, known by its first bytes (the name and the browser's type are not trusted).
SCAN_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
SCAN_KIND = "claim_scan"  # the authenticated data of the scans' ciphertexts (core.crypto)


def scan_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or PDF by its signature; None for anything else."""
    return next(((ctype, ext) for magic, ctype, ext in SCAN_TYPES if data.startswith(magic)), None)


@transaction.atomic
def claim_scan_add(*, actor: User, claim: Claim, code: str, filename: str, data: bytes) -> ClaimScan:
    """A scan or photo of the checklist item ``code``, optional evidence beside its received date.
    Only JPEG, PNG and PDF (by content, not by name), at most ``JARING_CLAIM_SCAN_MAX_BYTES``;
    stored encrypted (``core.crypto``, like NIKs). The same file twice is one scan."""
    claim = _lock(actor, claim)
    document = claim.documents.filter(code=code).first()
    if document is None:
        codes = ", ".join(claim.documents.values_list("code", flat=True))
        raise _invalid("code", _("Dokumen %(code)s tidak ada dalam daftar klaim ini; pilihan: %(c)s") % {
            "code": code[:40], "c": codes})
    if not data:
        raise _invalid("file", _("Berkas kosong."), "empty")
    limit = settings.JARING_CLAIM_SCAN_MAX_BYTES
    if len(data) > limit:
        raise _invalid("file", _("Berkas terlalu besar: paling besar %(mb)s MB.") % {
            "mb": f"{limit / 1024 / 1024:.0f}"}, "too_large")
    kind = scan_type(data)
    if kind is None:
        raise _invalid("file", _("Hanya foto JPEG atau PNG, atau PDF."), "wrong_type")
    digest = hashlib.sha256(data).hexdigest()
    same = document.scans.filter(sha256=digest).first()
    if same is not None:
        return same
    if document.scans.count() >= settings.JARING_CLAIM_SCANS_PER_DOCUMENT:
        raise _invalid("file", _("Dokumen ini sudah punya %(n)s pindaian; hapus satu dahulu.") % {
            "n": settings.JARING_CLAIM_SCANS_PER_DOCUMENT}, "too_many")
    name = "".join(ch for ch in (filename or "").split("/")[-1].split("\\")[-1] if ch.isprintable()).strip()
    name = name[:200] or f"{code}.{kind[1]}"
    scan = ClaimScan.objects.create(document=document, filename=name, content_type=kind[0], size=len(data),
                                    sha256=digest, data_encrypted=cipher().encrypt_bytes(data, kind=SCAN_KIND),
                                    uploaded_by=actor)
    _log(actor, "claim.scan_add", claim, None, {"code": code, "scan": scan.pk, "size": scan.size,
                                                "content_type": scan.content_type, "sha256": digest})
    return scan


def _scan_locked(actor: User, scan_id: int, capability: str) -> ClaimScan:
    require(actor, capability)
    scan = ClaimScan.objects.select_related("document__claim__person__kelurahan").filter(pk=scan_id).first()
    if scan is None or not scope_for(actor).contains_code(scan.document.claim.person.kelurahan.code):
        raise NotFound(_("Pindaian tidak ditemukan."))
    return scan


@transaction.atomic
def claim_scan_open(*, actor: User, scan_id: int) -> tuple[ClaimScan, bytes]:
    """The clear bytes of a scan, for a user who may read the claim (``claims.read``, the person's
    area; else not found). Every opening is an audited event: a scan is personal data."""
    scan = _scan_locked(actor, scan_id, "claims.read")
    data = cipher().decrypt_bytes(scan.data_encrypted, kind=SCAN_KIND)
    _log(actor, "claim.scan_view", scan.document.claim, None, {"scan": scan.pk, "code": scan.document.code})
    return scan, data


@transaction.atomic
def claim_scan_delete(*, actor: User, scan_id: int) -> None:
    """Remove a scan uploaded by mistake (the wrong page, another person's card)."""
    scan = _scan_locked(actor, scan_id, "claims.write")
    claim = scan.document.claim
    _log(actor, "claim.scan_delete", claim, {"scan": scan.pk, "code": scan.document.code, "sha256": scan.sha256},
         {"scan": None})
    scan.delete()


@transaction.atomic
def claim_submit(*, actor: User, claim: Claim, bpjstk_number: str, submitted_on: dt.date | None = None) -> Claim:
    """The complete claim handed to BPJSTK under its claim number: BPJSTK's payment promise
    (``rules.claims``: working days after a complete claim) runs from ``submitted_on``."""
    claim = _lock(actor, claim, "claims.office")
    submitted_on = submitted_on or timezone.localdate()
    number = " ".join((bpjstk_number or "").split())
    if not number or len(number) > 40 or has_control_chars(number):
        raise _invalid("bpjstk_number", _("Nomor klaim BPJSTK wajib diisi (paling banyak 40 karakter)."))
    if claim.status == Claim.Status.SUBMITTED and claim.bpjstk_number == number:
        return claim
    if claim.status != Claim.Status.DOCUMENTS_COMPLETE:
        raise _wrong_status(claim, Claim.Status.DOCUMENTS_COMPLETE.label)
    _not_future(submitted_on, "submitted_on", timezone.localdate())
    if submitted_on < claim.event_date:
        raise _invalid("submitted_on", _("Tanggal pengajuan tidak boleh sebelum tanggal kejadian."))
    claim.status, claim.bpjstk_number = Claim.Status.SUBMITTED, number
    claim.submitted_on = claim.complete_on = submitted_on
    claim.save(update_fields=["status", "bpjstk_number", "submitted_on", "complete_on", "updated_at"])
    _log(actor, "claim.submit", claim, {"status": Claim.Status.DOCUMENTS_COMPLETE},
         {"status": claim.status, "bpjstk_number": number, "submitted_on": submitted_on.isoformat(),
          "payment_due": str(deadlines_of(claim).payment_due)})
    return claim


def _items(items: Iterable[Mapping[str, Any]] | None, paid_idr: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for index, item in enumerate(items or []):
        code, amount = str(item.get("code") or "").strip(), item.get("amount_idr")
        if not code or len(code) > 40 or not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise _invalid(f"items.{index}", _("Setiap rincian perlu kode manfaat dan jumlah rupiah (bilangan bulat "
                                               "tidak negatif)."))
        out.append((code, amount))
    if out and sum(a for _c, a in out) != paid_idr:
        raise _invalid("items", _("Jumlah rincian (Rp%(sum)s) tidak sama dengan jumlah dibayar (Rp%(paid)s).") % {
            "sum": f"{sum(a for _c, a in out):,}".replace(",", "."), "paid": f"{paid_idr:,}".replace(",", ".")})
    return out


def _end_reason(claim: Claim) -> str | None:
    if claim.type == Claim.Type.JKM or claim.outcome == Claim.Outcome.DEATH:
        return Membership.EndReason.DEATH
    if claim.outcome == Claim.Outcome.TOTAL_DISABILITY:
        return Membership.EndReason.TOTAL_DISABILITY
    return None


def _settled_scholarship(actor: User, claim: Claim) -> dict[str, Any]:
    """A paid origin opens its children's first year; a paid follow-up, its child's next year."""
    today = timezone.localdate()
    if claim.type == Claim.Type.SCHOLARSHIP:
        if claim.child_id is None or claim.origin_id is None:
            return {}
        origin = Claim.objects.select_related("person__kelurahan").get(pk=claim.origin_id)
        child = ClaimChild.objects.select_for_update(of=("self",)).get(pk=claim.child_id)
        return _child_step(actor, origin, child, today=today, after_wait=False)
    return _scholarship_sync(actor, claim, today=today, after_wait=False)


@transaction.atomic
def claim_settle(*, actor: User, claim: Claim, paid_idr: int, paid_on: dt.date,
                 items: Iterable[Mapping[str, Any]] | None = None) -> Claim:
    """BPJSTK paid the claim (``items``: ``{"code", "amount_idr"}`` per benefit item, adding up to
    ``paid_idr``). A death (JKM, or a work accident that killed) or a total disability ends the
    person's open membership with that reason on the day of the death or disability
    (``membership.services.membership_end``, which voids and refunds the months paid after its
    month), and a death is written in the registry (``registry.services.person_update``).

    The scholarship: a paid death or total disability opens the first-year follow-up of each child
    it takes (dated ``paid_on``); a paid follow-up opens its child's next year or ends its
    scholarship (see ``_child_step``); a case that pays no scholarship says why in the audit event."""
    claim = _lock(actor, claim, "claims.office")
    if isinstance(paid_idr, bool) or not isinstance(paid_idr, int) or paid_idr < 0:
        raise _invalid("paid_idr", _("Jumlah dibayar harus bilangan bulat rupiah, tidak negatif."))
    rows = _items(items, paid_idr)
    if claim.status == Claim.Status.PAID and (claim.paid_idr, claim.settled_on) == (paid_idr, paid_on):
        return claim
    if claim.status != Claim.Status.SUBMITTED:
        raise _wrong_status(claim, Claim.Status.SUBMITTED.label)
    _not_future(paid_on, "date", timezone.localdate())
    if claim.submitted_on and paid_on < claim.submitted_on:
        raise _invalid("date", _("Tanggal bayar tidak boleh sebelum tanggal pengajuan."))
    claim.status, claim.paid_idr, claim.settled_on = Claim.Status.PAID, paid_idr, paid_on
    claim.save(update_fields=["status", "paid_idr", "settled_on", "updated_at"])
    ClaimPayment.objects.bulk_create([ClaimPayment(claim=claim, item_code=code, amount_idr=amount, paid_on=paid_on)
                                      for code, amount in rows])
    effects: dict[str, Any] = {}
    reason = _end_reason(claim)
    if reason is not None:
        day = claim.outcome_date if claim.type == Claim.Type.JKK and claim.outcome_date else claim.event_date
        open_membership = Membership.objects.filter(person=claim.person, status__in=Membership.OPEN_STATUSES).first()
        if open_membership is not None:
            membership_end(actor=actor, membership=open_membership, reason=reason, ended_on=day)
            effects["membership_ended"] = open_membership.pk
        if reason == Membership.EndReason.DEATH and claim.person.death_date is None:
            person_update(actor=actor, person=claim.person, data=PersonInput.of(death_date=day))
            effects["death_date"] = day.isoformat()
    scholarship = _settled_scholarship(actor, claim)
    if scholarship:
        effects["scholarship"] = scholarship
    _log(actor, "claim.settle", claim, {"status": Claim.Status.SUBMITTED},
         {"status": claim.status, "paid_idr": paid_idr, "paid_on": paid_on.isoformat(),
          "items": [[c, a] for c, a in rows], **effects})
    return claim


@transaction.atomic
def claim_reject(*, actor: User, claim: Claim, reason: str) -> Claim:
    """BPJSTK rejected the submitted claim, with its reason."""
    claim = _lock(actor, claim, "claims.office")
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500 or has_control_chars(reason):
        raise _invalid("reason", _("Alasan penolakan wajib diisi (paling banyak 500 karakter)."))
    if claim.status == Claim.Status.REJECTED and claim.rejection_reason == reason:
        return claim
    if claim.status != Claim.Status.SUBMITTED:
        raise _wrong_status(claim, Claim.Status.SUBMITTED.label)
    claim.status, claim.rejection_reason = Claim.Status.REJECTED, reason
    claim.save(update_fields=["status", "rejection_reason", "updated_at"])
    _log(actor, "claim.reject", claim, {"status": Claim.Status.SUBMITTED}, {"status": claim.status, "reason": reason})
    return claim


def claims_lapse(*, actor: User, today: dt.date | None = None) -> list[int]:
    """Open claims of the actor's area not yet submitted whose right lapsed before ``today`` become
    ``lapsed``, one audited event each. Returns their ids. Running it again changes nothing."""
    require(actor, "claims.write")
    today = today or timezone.localdate()
    lapsed: list[int] = []
    with transaction.atomic():
        # No right lapses in under a year: look only at events older than that.
        candidates = (Claim.objects.select_for_update(of=("self",)).select_related("person__kelurahan")
                      .filter(scope_for(actor).region_ids_q("person__kelurahan_id"),
                              status__in=Claim.NOT_SUBMITTED, event_date__lt=today - dt.timedelta(days=365)))
        for claim in candidates:
            if deadlines_of(claim).lapses_on < today:
                before = claim.status
                claim.status = Claim.Status.LAPSED
                claim.save(update_fields=["status", "updated_at"])
                _log(actor, "claim.lapse", claim, {"status": before}, {"status": claim.status,
                                                                       "today": today.isoformat()})
                lapsed.append(claim.pk)
    return lapsed


def move_claims(*, actor: User, kept: Person, other: Person) -> list[dict[str, Any]]:
    """Merge hook: a duplicate's claims become the kept person's. Returns what moved, for the undo."""
    ids = list(Claim.objects.filter(person=other).values_list("pk", flat=True))
    moved = Claim.objects.filter(pk__in=ids).update(person=kept)
    if moved:
        audit_log(actor=actor, action="claim.move", object_type="registry.person", object_id=str(kept.pk),
                  after={"from_person": other.pk, "claims": moved})
    return [merge_moved(Claim, "person", ids, other.pk, kept.pk)] if ids else []


def plan_claims(*, kept: Person, other: Person) -> MergePlanPart:
    """Merge plan (read only): how many claims ``move_claims`` would move."""
    n = Claim.objects.filter(person=other).count()
    return MergePlanPart(moves=[(ngettext("%(n)s klaim", "%(n)s klaim", n) % {"n": n}, n)] if n else [])
