"""All writes of targeting: policy versions, preparing a round (its frozen ranking), approving it
(maker-checker, budget line re-checked, draft memberships created set-based), top-ups, cancelling."""

# ruff: noqa: S608 - SQL is assembled from this module's constant fragments; every value is a bound parameter.

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can, require
from jaring.accounts.models import User
from jaring.core.audit import audit_log
from jaring.core.bulk import bulk_insert
from jaring.core.confirm import with_comment
from jaring.core.errors import Conflict, PermissionDenied, ValidationFailed
from jaring.core.money import add_months, format_idr, format_month, month_start
from jaring.core.parameters import current_parameters
from jaring.membership.services import memberships_create_drafts
from jaring.registry.models import Occupation
from jaring.targeting import engine
from jaring.targeting.models import AllocationEntry, AllocationRound, EligibilityPolicy
from jaring.targeting.selectors import RoundInput, allocation_preview, budget_available

ENTRY_CHUNK = 5_000  # persons per UPDATE of the entries
POLICY_FIELDS = ("name", "basis", "max_decile", "min_age", "max_age", "occupation_codes", "weights",
                 "decile_sources", "decile_max_age_days")
DECILE_SOURCES = ("DTSEN", "P3KE", "DTKS")  # registry.models.DataSource: the poverty registries
DECILE_MAX_AGE_DAYS = 3650


# --- Policies -----------------------------------------------------------------------------------

def _clean_policy(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Nama kebijakan wajib diisi.")]
    numbers = {}
    for key, low, high in (("max_decile", 1, 10), ("min_age", 0, 120), ("max_age", 0, 120)):
        value = values.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[key] = [_("Harus bilangan bulat %(low)s sampai %(high)s.") % {"low": low, "high": high}]
        else:
            numbers[key] = value
    if "min_age" in numbers and "max_age" in numbers and numbers["min_age"] > numbers["max_age"]:
        errors["min_age"] = [_("Batas umur bertentangan: paling rendah %(low)s lebih tinggi dari paling tinggi "
                               "%(high)s.") % {"low": numbers["min_age"], "high": numbers["max_age"]}]
    codes = values.get("occupation_codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors["occupation_codes"] = [_("Pekerjaan harus berupa daftar kode.")]
        codes = []
    unknown = sorted(set(codes) - set(Occupation.objects.filter(code__in=codes).values_list("code", flat=True)))
    if unknown:
        errors["occupation_codes"] = [_("Kode pekerjaan tidak dikenal: %(c)s") % {"c": ", ".join(unknown)}]
    sources = values.get("decile_sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) and s in DECILE_SOURCES for s in sources):
        errors["decile_sources"] = [_("Sumber desil harus dari: %(s)s.") % {"s": ", ".join(DECILE_SOURCES)}]
        sources = []
    max_age = values.get("decile_max_age_days")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)
                                or not 1 <= max_age <= DECILE_MAX_AGE_DAYS):
        errors["decile_max_age_days"] = [_("Umur data desil harus bilangan bulat 1 sampai %(high)s hari.")
                                         % {"high": DECILE_MAX_AGE_DAYS}]
        max_age = None
    weights = values.get("weights")
    if weights is None:
        from jaring.targeting.models import default_weights

        weights = default_weights()
    if not isinstance(weights, dict):
        errors["weights"] = [_("Bobot harus berupa pasangan nama dan angka.")]
        weights = {}
    bad = [k for k in weights if k not in engine.WEIGHT_KEYS]
    if bad:
        errors["weights"] = [_("Bobot tidak dikenal: %(k)s") % {"k": ", ".join(sorted(bad))}]
    wrong = [k for k, v in weights.items()
             if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1000]
    if wrong:
        errors.setdefault("weights", []).append(
            _("Bobot harus bilangan bulat 0 sampai 1000: %(k)s") % {"k": ", ".join(sorted(wrong))})
    merged = {**engine.WEIGHT_DEFAULTS, **{k: v for k, v in weights.items() if k not in wrong}}
    if merged["dependant_child_below"] > merged["dependant_elder_from"]:
        errors.setdefault("weights", []).append(_("Batas umur tanggungan bertentangan (anak di bawah lebih tinggi "
                                                  "dari lansia mulai)."))
    if not errors:
        probe = EligibilityPolicy(min_age=numbers["min_age"], max_age=numbers["max_age"])
        window = engine.age_window(probe, start=month_start(timezone.localdate()), params=current_parameters())
        if window.low > window.high:
            errors["max_age"] = [_("Tidak ada umur yang bisa didaftarkan: batas kebijakan %(pl)s–%(ph)s tahun di luar "
                                   "batas peraturan.") % {"pl": window.policy_low, "ph": window.policy_high}]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors, code="invalid_policy")
    return {"name": name, "basis": str(values.get("basis") or "").strip()[:200], **numbers,
            "occupation_codes": sorted(set(codes)), "weights": dict(sorted(weights.items())),
            "decile_sources": sorted(set(sources)), "decile_max_age_days": max_age}


def _policy_snapshot(policy: EligibilityPolicy) -> dict[str, Any]:
    return {"code": policy.code, "version": policy.version, **{f: getattr(policy, f) for f in POLICY_FIELDS}}


@transaction.atomic
def policy_create(*, actor: User, code: str, **values: Any) -> EligibilityPolicy:
    """A new policy (version 1). Deciding who may be subsidised is the admin's."""
    require(actor, "targeting.decide")
    code = (code or "").strip()
    if not code:
        raise ValidationFailed(_("Kode kebijakan wajib diisi."), fields={"code": []})
    clean = _clean_policy(values)
    if EligibilityPolicy.objects.filter(code=code).exists():
        raise Conflict(_("Kode kebijakan %(c)s sudah dipakai; ubah kebijakan itu untuk membuat versi baru.")
                       % {"c": code}, code="duplicate")
    policy = EligibilityPolicy.objects.create(code=code, version=1, created_by=actor, **clean)
    audit_log(actor=actor, action="targeting.policy_create", obj=policy, after=_policy_snapshot(policy))
    return policy


def _policy_meaning(values: dict[str, Any]) -> dict[str, Any]:
    """What a policy decides, whatever the order of its occupations or whether a weight is
    stored or taken from the defaults."""
    return {**values, "occupation_codes": sorted(values.get("occupation_codes") or []),
            "decile_sources": sorted(values.get("decile_sources") or []),
            "weights": {k: (values.get("weights") or {}).get(k, engine.WEIGHT_DEFAULTS.get(k, 0))
                        for k in engine.WEIGHT_KEYS}}


@transaction.atomic
def policy_revise(*, actor: User, policy: EligibilityPolicy, **changes: Any) -> EligibilityPolicy:
    """A new version with the changes; the old one stays for the rounds that used it."""
    require(actor, "targeting.decide")
    current = EligibilityPolicy.objects.select_for_update().get(code=policy.code, is_current=True)
    values = {f: getattr(current, f) for f in POLICY_FIELDS}
    values.update({k: v for k, v in changes.items() if k in POLICY_FIELDS})
    clean = _clean_policy(values)
    if _policy_meaning(clean) == _policy_meaning({f: getattr(current, f) for f in POLICY_FIELDS}):
        return current  # nothing changed (an unchanged form): no new version
    current.is_current = False
    current.save(update_fields=["is_current"])
    revised = EligibilityPolicy.objects.create(code=current.code, version=current.version + 1, created_by=actor,
                                               **clean)
    audit_log(actor=actor, action="targeting.policy_revise", obj=revised, before=_policy_snapshot(current),
              after=_policy_snapshot(revised))
    return revised


# --- Rounds -------------------------------------------------------------------------------------

def _check_budget_lines(payer: Any, cost_by_year: dict[int, int], *, required: bool,
                        known: dict[int, int | None] | None = None) -> None:
    """``known``: what is still available per year when the caller has just computed it."""
    for year, cost in sorted(cost_by_year.items()):
        if not cost:
            continue
        available = known[year] if known is not None and year in known else budget_available(payer=payer, year=year)
        if available is None:
            if required:
                raise Conflict(_("%(payer)s belum punya pagu anggaran tahun %(year)s.") % {
                    "payer": payer.name, "year": year}, code="no_budget_line")
            continue
        if cost > available:
            raise Conflict(
                _("Pagu anggaran %(payer)s tahun %(year)s tinggal %(available)s; putaran ini membutuhkan %(cost)s.")
                % {"payer": payer.name, "year": year, "available": format_idr(available), "cost": format_idr(cost)},
                code="budget_line_exceeded", extra={"year": year, "available_idr": available, "cost_idr": cost})


def _points_json(points: dict[str, int]) -> str:
    return json.dumps({k: v for k, v in points.items() if v}, sort_keys=True)


def _start_problem(start: dt.date) -> dict[str, str] | None:
    """A round's drafts start on the 1st of its first month, and protection is never backdated
    (``membership_enrol``: a start Jaring sets itself is today at the earliest). So the month must
    not have begun yet: next month, or this month on its 1st. ``None`` when the start is fine, else
    the values for the refusal message."""
    today = timezone.localdate()
    if start >= today:
        return None
    earliest = today if today.day == 1 else add_months(month_start(today), 1)
    return {"month": format_month(start), "today": today.strftime("%d-%m-%Y"), "earliest": format_month(earliest)}


@transaction.atomic
def round_prepare(*, actor: User, data: RoundInput) -> AllocationRound:
    """Save a round for approval: its parameters, totals and the frozen ranking (everyone
    eligible, selected or waitlisted, with their points and cost)."""
    require(actor, "targeting.prepare")
    problem = _start_problem(data.start) if data.start is not None else None
    if problem is not None:
        message = _("Bulan mulai %(month)s sudah dimulai (hari ini %(today)s): perlindungan tidak berlaku surut. "
                    "Pilih bulan mulai %(earliest)s atau sesudahnya.") % problem
        raise ValidationFailed(message, fields={"start": [message]}, code="backdated")
    if data.parent is not None and data.parent.status != AllocationRound.Status.APPROVED:
        raise Conflict(_("Hanya putaran yang sudah disetujui dapat ditambah dari daftar tunggunya."),
                       code="parent_not_approved")
    preview = allocation_preview(actor=actor, data=data, breakdown=True)
    if preview.selected == 0:
        raise ValidationFailed(_("Tidak ada orang yang terpilih dengan anggaran dan kebijakan ini."),
                               fields={"budget_idr": []}, code="nobody_selected")
    _check_budget_lines(data.payer, preview.by_year, required=False, known=preview.available)
    quotas = {}
    if preview.allocation.quota_idr is not None:
        quotas = {preview.distrik[d][0]: v for d, v in preview.allocation.quota_idr.items() if d in preview.distrik}
    allocation_round = AllocationRound.objects.create(
        payer=data.payer, policy=data.policy, parent=data.parent, budget_idr=data.budget_idr, months=data.months,
        start_month=data.start, quota_mode=data.quota_mode, quotas=quotas, spill_unused=data.spill_unused,
        eligible_count=preview.eligible, selected_count=preview.selected, waitlisted_count=preview.waitlisted,
        cost_idr=preview.cost_idr, prepared_by=actor,
        unit_costs={s: {str(y): v for y, v in c.by_year.items()} for s, c in preview.costs.items()})
    _write_entries(allocation_round, preview)
    audit_log(actor=actor, action="targeting.round_prepare", obj=allocation_round, after={
        **preview.as_dict(), "by_distrik": None, "parent": data.parent.pk if data.parent else None})
    return allocation_round


def _write_entries(allocation_round: AllocationRound, preview: Any) -> None:
    pool, allocation = preview.pool, preview.allocation
    order = allocation.order
    if pool.points is not None:
        criteria = pool.criteria
        points = [_points_json(dict(zip(criteria, (int(x) for x in pool.points[i]), strict=True))) for i in order]
    else:  # a top-up: the points frozen in the round it tops up
        frozen = dict(AllocationEntry.objects.filter(round=allocation_round.parent,
                                                     status=AllocationEntry.Status.WAITLISTED)
                      .values_list("person_id", "points"))
        points = [_points_json(frozen.get(int(pool.ids[i]), {})) for i in order]
    ids, distrik, score = pool.ids[order].tolist(), pool.distrik[order].tolist(), pool.score[order].tolist()
    cost, selected = allocation.cost[order].tolist(), allocation.selected[order].tolist()
    rows = ((allocation_round.pk, ids[n], distrik[n], n + 1, score[n], points[n], cost[n],
             AllocationEntry.Status.SELECTED if selected[n] else AllocationEntry.Status.WAITLISTED)
            for n in range(len(ids)))
    bulk_insert(AllocationEntry._meta.db_table,
                ["round_id", "person_id", "distrik_id", "rank", "score", "points", "cost_idr", "status"], rows)


def _region_check(actor: User, allocation_round: AllocationRound) -> tuple[str, list[Any]]:
    """The round's own condition on ``p``: a kelurahan inside both the approver's area and the
    payer's region. What ``membership_enrol`` refuses (dead, merged, age, an open membership, a
    month already billed) the membership service checks when it creates the drafts."""
    query = engine.Query(allocation_round.policy, start=allocation_round.start_month, params=current_parameters(),
                         pop=engine.population(actor=actor, payer=allocation_round.payer))
    rules = [r for r in query.rules() if r[0] == "region"]
    return " AND ".join(f"({sql})" for _c, sql, _p in rules), [x for *_s, ps in rules for x in ps]


def _sector_cost(allocation_round: AllocationRound, counts: dict[str, int]) -> dict[int, int]:
    years: dict[int, int] = {}
    for sector, n in counts.items():
        for year, idr in allocation_round.unit_costs.get(sector, {}).items():
            years[int(year)] = years.get(int(year), 0) + n * int(idr)
    return years


@transaction.atomic
def round_approve(*, actor: User, allocation_round: AllocationRound, comment: str = "") -> AllocationRound:
    """Approve a prepared round: an admin who did not prepare it. The payer's budget line is
    checked again; the selected people still enrollable get a draft membership each (ready for
    the BPJSTK registration file); the others are marked skipped. One audit event per round, with
    the approver's ``comment`` (cleaned, ``core.confirm.clean_comment``) when there is one."""
    if not can(actor, "targeting.decide"):
        raise PermissionDenied(_("Hanya admin yang dapat menyetujui putaran alokasi."), code="not_admin")
    locked = AllocationRound.objects.select_for_update(of=("self",)).select_related(
        "payer", "policy", "approved_by").get(pk=allocation_round.pk)
    if locked.status == AllocationRound.Status.APPROVED:
        raise Conflict(_("Putaran #%(id)s sudah disetujui oleh %(who)s pada %(when)s; tidak ada yang diubah.") % {
            "id": locked.pk, "who": locked.approved_by, "when": timezone.localtime(locked.approved_at)
            .strftime("%d-%m-%Y %H:%M")}, code="already_approved")
    if locked.status != AllocationRound.Status.PREPARED:
        raise Conflict(_("Putaran #%(id)s sudah dibatalkan.") % {"id": locked.pk}, code="cancelled")
    if locked.prepared_by_id == actor.pk:
        raise PermissionDenied(_("Putaran ini Anda siapkan sendiri; persetujuan harus oleh admin lain "
                                 "(prinsip empat mata)."), code="maker_checker")
    problem = _start_problem(locked.start_month)
    if problem is not None:  # prepared in time, but its month has begun since: no backdated drafts
        message = _("Bulan mulai putaran #%(id)s (%(month)s) sudah dimulai (hari ini %(today)s): perlindungan tidak "
                    "berlaku surut, jadi putaran ini tidak dapat disetujui. Batalkan dan siapkan putaran baru dengan "
                    "bulan mulai %(earliest)s atau sesudahnya.") % {"id": locked.pk, **problem}
        raise Conflict(message, code="start_passed", fields={"start": [message]})
    region_sql, region_params = _region_check(actor, locked)
    now = timezone.now()
    income = current_parameters().on(locked.start_month, field="start_month").value(
        "income_brackets", "brackets_idr")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE targeting_allocationentry SET status = 'skipped' WHERE round_id = %s AND status = 'selected'"
            " AND NOT EXISTS (SELECT 1 FROM registry_person p"
            f" WHERE p.id = targeting_allocationentry.person_id AND {region_sql})",
            [locked.pk, *region_params])
    selected = list(AllocationEntry.objects.filter(round=locked, status=AllocationEntry.Status.SELECTED)
                    .order_by("rank").values_list("person_id", flat=True))
    # The membership table is the membership app's: its set-based service creates the drafts in
    # rank order, leaves out whoever can no longer be enrolled, and writes its audit event. If the
    # budget check below refuses, the transaction takes all of it back.
    created = memberships_create_drafts(actor=actor, payer=locked.payer, person_ids=selected,
                                        start_date=locked.start_month, declared_income_idr=income,
                                        reason=f"targeting.round:{locked.pk}")
    enrolled_persons = sorted(created)
    with connection.cursor() as cursor:
        # A membership just created is its person's one open membership (a unique index): the
        # entry finds it through that index, in chunks of the people who got one.
        for start in range(0, len(enrolled_persons), ENTRY_CHUNK):
            chunk = enrolled_persons[start:start + ENTRY_CHUNK]
            cursor.execute(
                "UPDATE targeting_allocationentry SET status = 'enrolled', membership_id = (SELECT m.id"
                " FROM membership_membership m WHERE m.person_id = targeting_allocationentry.person_id"
                " AND m.status IN ('draft', 'submitted', 'active') AND m.payer_id = %s)"
                " WHERE round_id = %s AND status = 'selected' AND person_id IN ("
                + ", ".join(["%s"] * len(chunk)) + ")", [locked.payer_id, locked.pk, *chunk])
        cursor.execute("UPDATE targeting_allocationentry SET status = 'skipped' WHERE round_id = %s"
                       " AND status = 'selected'", [locked.pk])
        cursor.execute(
            "SELECT CASE WHEN p.transport_sector THEN 'transport' ELSE 'other' END, COUNT(*)"
            " FROM targeting_allocationentry e JOIN registry_person p ON p.id = e.person_id"
            " WHERE e.round_id = %s AND e.status = 'enrolled' GROUP BY 1", [locked.pk])
        enrolled = {sector: int(n) for sector, n in cursor.fetchall()}
    committed = _sector_cost(locked, enrolled)
    _check_budget_lines(locked.payer, committed, required=True)
    locked.status = AllocationRound.Status.APPROVED
    locked.approved_by, locked.approved_at = actor, now
    locked.enrolled_count = sum(enrolled.values())
    locked.skipped_count = locked.selected_count - locked.enrolled_count
    locked.committed_by_year = {str(y): v for y, v in sorted(committed.items())}
    locked.save(update_fields=["status", "approved_by", "approved_at", "enrolled_count", "skipped_count",
                               "committed_by_year"])
    audit_log(actor=actor, action="targeting.round_approve", obj=locked, region_code=locked.payer.region.code
              if locked.payer.region else "", after=with_comment({
                  "payer": locked.payer.code, "policy": f"{locked.policy.code} v{locked.policy.version}",
                  "start": format_month(locked.start_month), "months": locked.months,
                  "selected": locked.selected_count, "enrolled": locked.enrolled_count,
                  "skipped": locked.skipped_count, "committed_by_year": locked.committed_by_year}, comment))
    return locked


@transaction.atomic
def round_cancel(*, actor: User, allocation_round: AllocationRound) -> AllocationRound:
    """Withdraw a prepared round (the preparer or an admin). An approved round stays."""
    require(actor, "targeting.prepare")
    locked = AllocationRound.objects.select_for_update(of=("self",)).get(pk=allocation_round.pk)
    if locked.status == AllocationRound.Status.CANCELLED:
        return locked
    if locked.status != AllocationRound.Status.PREPARED:
        raise Conflict(_("Putaran yang sudah disetujui tidak dapat dibatalkan."), code="already_approved")
    if not can(actor, "targeting.decide") and locked.prepared_by_id != actor.pk:
        raise PermissionDenied(_("Hanya penyiap putaran atau admin yang dapat membatalkannya."))
    locked.status = AllocationRound.Status.CANCELLED
    locked.save(update_fields=["status"])
    audit_log(actor=actor, action="targeting.round_cancel", obj=locked, before={"status": "prepared"},
              after={"status": "cancelled"})
    return locked


def round_top_up(*, actor: User, parent: AllocationRound, budget_idr: int, start: dt.date,
                 months: int) -> AllocationRound:
    """Later money: a new round over the waitlist of an approved round, in its frozen order."""
    parent = AllocationRound.objects.select_related("payer", "policy").get(pk=parent.pk)
    return round_prepare(actor=actor, data=RoundInput(payer=parent.payer, policy=parent.policy,
                                                      budget_idr=budget_idr, months=months, start=start,
                                                      parent=parent))

