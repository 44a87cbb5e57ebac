"""Reads of targeting: policies with their rule counts, allocation previews, rounds, and the
"why this person" breakdown. Poverty data: office roles only (never liaisons or facilitators)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.contributions.selectors import BudgetCommitments, budget_available
from jaring.core.errors import NotFound, PermissionDenied, ValidationFailed
from jaring.core.money import format_idr, format_month
from jaring.core.parameters import current_parameters
from jaring.membership.models import Payer
from jaring.regions.models import Region
from jaring.registry.models import Person
from jaring.registry.selectors import person_queryset
from jaring.targeting import engine
from jaring.targeting.models import AllocationEntry, AllocationRound, EligibilityPolicy

MAX_MONTHS = 24


def require_reader(actor: User) -> None:
    """Targeting shows welfare deciles and family circumstances: the office (admin, operator,
    auditor) only. Facilitators work one kelurahan and liaisons see no poverty data."""
    if not can(actor, "targeting.read"):
        raise PermissionDenied(_("Peran Anda tidak dapat melihat data sasaran dan alokasi."))


# --- Policies ---------------------------------------------------------------------------------

def policy_list(*, actor: User) -> QuerySet[EligibilityPolicy]:
    require_reader(actor)
    return EligibilityPolicy.objects.filter(is_current=True).order_by("code")


def policy_get(*, actor: User, policy_id: int | None = None, code: str | None = None) -> EligibilityPolicy:
    require_reader(actor)
    qs = EligibilityPolicy.objects.all()
    policy = (qs.filter(pk=policy_id).first() if policy_id is not None
              else qs.filter(code=code, is_current=True).first())
    if policy is None:
        raise NotFound(_("Kebijakan sasaran tidak ditemukan."))
    return policy


def policy_default(*, actor: User) -> EligibilityPolicy:
    require_reader(actor)
    policy = EligibilityPolicy.objects.filter(is_current=True).order_by("created_at", "id").first()
    if policy is None:
        raise NotFound(_("Belum ada kebijakan sasaran; buat satu lebih dulu."), code="no_policy")
    return policy


def policy_versions(*, actor: User, policy: EligibilityPolicy) -> list[EligibilityPolicy]:
    require_reader(actor)
    return list(EligibilityPolicy.objects.filter(code=policy.code).order_by("-version"))


def policy_rule_counts(*, actor: User, policy: EligibilityPolicy, payer: Payer | None = None,
                       start: dt.date) -> list[engine.RuleCount]:
    """How many people each rule lets through, alone and with the rules above it."""
    require_reader(actor)
    query = engine.Query(policy, start=start, params=current_parameters(),
                         pop=engine.population(actor=actor, payer=payer or _any_payer()))
    return engine.rule_counts(query)


def _any_payer() -> Payer:
    # The policy page counts over the tenant region: a payer without its own region.
    return Payer(code="", name="", kind=Payer.Kind.GOVERNMENT_CITY)


# --- Budget lines -----------------------------------------------------------------------------

def _committed_by_rounds(payer: Payer, year: int) -> int:
    """What the payer's approved rounds hold for the months of ``year`` (frozen at approval)."""
    return sum(int(r.get(str(year), 0)) for r in AllocationRound.objects.filter(
        payer=payer, status=AllocationRound.Status.APPROVED).values_list("committed_by_year", flat=True))


# Approved rounds hold their enrolled people's months; those memberships' dues are inside that sum.
ROUND_COMMITMENTS = BudgetCommitments(committed_idr=_committed_by_rounds,
                                      covers=Q(membership__allocation_entry__isnull=False))


# --- Preview ----------------------------------------------------------------------------------

@dataclass
class RoundInput:
    payer: Payer
    policy: EligibilityPolicy
    budget_idr: int
    months: int
    start: dt.date
    quota_mode: str = AllocationRound.QuotaMode.NONE
    quotas: dict[str, int] = field(default_factory=dict)  # fixed quotas: {distrik code: idr}
    spill_unused: bool = True
    parent: AllocationRound | None = None


@dataclass
class DistrikRow:
    code: str
    name: str
    eligible: int
    selected: int
    waitlisted: int
    cost_idr: int
    quota_idr: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "eligible": self.eligible, "selected": self.selected,
                "waitlisted": self.waitlisted, "cost_idr": self.cost_idr, "quota_idr": self.quota_idr}


@dataclass
class Preview:
    data: RoundInput
    pool: engine.Pool
    allocation: engine.Allocation
    costs: dict[str, engine.UnitCost]
    query: engine.Query
    distrik: dict[int, tuple[str, str]]
    by_year: dict[int, int]
    available: dict[int, int | None]

    @property
    def eligible(self) -> int:
        return self.allocation.eligible

    @property
    def selected(self) -> int:
        return self.allocation.selected_count

    @property
    def waitlisted(self) -> int:
        return self.eligible - self.selected

    @property
    def cost_idr(self) -> int:
        return self.allocation.cost_idr

    @property
    def unit_idr(self) -> int:
        return self.costs["other"].total

    @property
    def left_idr(self) -> int:
        return self.data.budget_idr - self.cost_idr

    def by_distrik(self) -> list[DistrikRow]:
        rows = []
        for distrik_id, line in sorted(self.allocation.by_distrik.items(),
                                       key=lambda item: self.distrik.get(item[0], ("", ""))[0]):
            code, name = self.distrik.get(distrik_id, ("?", "?"))
            rows.append(DistrikRow(code=code, name=name, eligible=line.eligible, selected=line.selected,
                                   waitlisted=line.eligible - line.selected, cost_idr=line.cost_idr,
                                   quota_idr=line.quota_idr))
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "payer": self.data.payer.code, "policy": self.data.policy.code,
            "policy_version": self.data.policy.version, "budget_idr": self.data.budget_idr,
            "months": self.data.months, "start": format_month(self.data.start),
            "quota": str(self.data.quota_mode), "eligible": self.eligible, "selected": self.selected,
            "waitlisted": self.waitlisted, "cost_idr": self.cost_idr, "left_idr": self.left_idr,
            "unit_cost_idr": {s: c.total for s, c in self.costs.items()},
            "cost_by_year": {str(y): v for y, v in sorted(self.by_year.items())},
            "available_by_year": {str(y): v for y, v in sorted(self.available.items())},
            "by_distrik": {row.code: row.as_dict() for row in self.by_distrik()},
        }

    def ranked(self, *, offset: int = 0, limit: int = 50, status: str = "") -> list[dict[str, Any]]:
        """One page of the ranking with names (one query for the page, never per person)."""
        order = self.allocation.order
        if status == "selected":
            order = order[self.allocation.selected[order]]
        elif status == "waitlisted":
            order = order[~self.allocation.selected[order]]
        rank_of = np.empty(self.eligible, dtype=np.int64)
        rank_of[self.allocation.order] = np.arange(1, self.eligible + 1)
        page = order[offset:offset + limit]
        ids = [int(self.pool.ids[i]) for i in page]
        people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("kelurahan", "occupation")}
        rows = []
        for i in page:
            person = people.get(int(self.pool.ids[i]))
            _code, name = self.distrik.get(int(self.pool.distrik[i]), ("?", "?"))
            rows.append({"rank": int(rank_of[i]), "person": person, "person_id": int(self.pool.ids[i]),
                         "score": int(self.pool.score[i]), "distrik": name, "cost_idr": int(self.allocation.cost[i]),
                         "selected": bool(self.allocation.selected[i])})
        return rows

    def count(self, status: str = "") -> int:
        return {"selected": self.selected, "waitlisted": self.waitlisted}.get(status, self.eligible)


def _distrik_names() -> dict[int, tuple[str, str]]:
    return {r.pk: (r.code, r.name) for r in Region.objects.filter(level=Region.Level.DISTRICT).only("code", "name")}


def validate_round_input(data: RoundInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.payer.is_self:
        errors["payer"] = [_("Alokasi anggaran hanya untuk pembayar yang membayari orang lain, bukan peserta mandiri.")]
    elif not data.payer.is_active:
        errors["payer"] = [_("Pembayar %(code)s tidak aktif.") % {"code": data.payer.code}]
    if data.budget_idr is None or data.budget_idr <= 0:
        errors["budget_idr"] = [_("Anggaran harus lebih dari nol.")]
    if data.months is None or not 1 <= data.months <= MAX_MONTHS:
        errors["months"] = [_("Jumlah bulan harus 1 sampai %(max)s.") % {"max": MAX_MONTHS}]
    if data.start is None or data.start.day != 1:
        errors["start_month"] = [_("Bulan mulai harus berupa bulan (YYYY-MM).")]
    if data.quota_mode not in AllocationRound.QuotaMode.values:
        errors["quota"] = [_("Jenis kuota tidak dikenal; pilihan: %(k)s") % {
            "k": ", ".join(AllocationRound.QuotaMode.values)}]
    if data.parent is not None and data.quota_mode != AllocationRound.QuotaMode.NONE:
        errors["quota"] = [_("Tambahan dari daftar tunggu mengikuti peringkat putaran asal, tanpa kuota.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)


def _fixed_quotas(data: RoundInput, distrik: dict[int, tuple[str, str]]) -> dict[int, int]:
    by_code = {code: pk for pk, (code, _name) in distrik.items()}
    quotas: dict[int, int] = {}
    unknown = [code for code in data.quotas if code not in by_code]
    if unknown:
        raise ValidationFailed(_("Distrik tidak dikenal: %(c)s") % {"c": ", ".join(unknown)},
                               fields={"quotas": unknown})
    for code, amount in data.quotas.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValidationFailed(_("Kuota distrik harus rupiah bulat, tidak negatif."), fields={"quotas": [code]})
        quotas[by_code[code]] = amount
    if not quotas:
        raise ValidationFailed(_("Kuota tetap dipilih tetapi belum ada kuota distrik."), fields={"quotas": []})
    total = sum(quotas.values())
    if total > data.budget_idr:
        raise ValidationFailed(
            _("Jumlah kuota distrik (%(q)s) melebihi anggaran (%(b)s).") % {
                "q": format_idr(total), "b": format_idr(data.budget_idr)}, fields={"quotas": [str(total)]},
            code="quota_above_budget")
    return quotas


def allocation_preview(*, actor: User, data: RoundInput, breakdown: bool = False) -> Preview:
    """Rank every eligible person and fill the budget; nothing is written."""
    require_reader(actor)
    validate_round_input(data)
    params = current_parameters()
    costs = engine.unit_costs(params=params, payer=data.payer, start=data.start, months=data.months)
    cheapest = min(c.total for c in costs.values())
    if data.budget_idr < cheapest:
        raise ValidationFailed(
            _("Anggaran %(b)s lebih kecil dari biaya satu orang: %(unit)s.") % {
                "b": format_idr(data.budget_idr), "unit": engine.describe_unit(costs, data.start, data.months)},
            fields={"budget_idr": [format_idr(cheapest)]}, code="budget_below_one_person")
    query = engine.Query(data.policy, start=data.start, params=params,
                         pop=engine.population(actor=actor, payer=data.payer))
    distrik = _distrik_names()
    quota_idr = None
    if data.quota_mode == AllocationRound.QuotaMode.FIXED:
        quota_idr = _fixed_quotas(data, distrik)
    pool = engine.candidate_pool(query, waitlist_of=data.parent.pk if data.parent else None,
                                 breakdown=breakdown and data.parent is None)
    if data.quota_mode == AllocationRound.QuotaMode.PROPORTIONAL:
        quota_idr = engine.proportional_quotas(pool, budget_idr=data.budget_idr,
                                               unit_idr=max(c.total for c in costs.values()))
    allocation = engine.allocate(pool, costs=costs, budget_idr=data.budget_idr, quota_idr=quota_idr,
                                 spill_unused=data.spill_unused)
    by_year = engine.cost_by_year(pool, allocation.selected, costs)
    available = {year: budget_available(payer=data.payer, year=year) for year in sorted(by_year)}
    return Preview(data=data, pool=pool, allocation=allocation, costs=costs, query=query, distrik=distrik,
                   by_year=by_year, available=available)


# --- Scenarios ----------------------------------------------------------------------------------

@dataclass
class Scenario:
    label: str
    people: int
    cost_idr: int
    by_distrik: list[DistrikRow]


def scenario_buys(*, actor: User, payer: Payer, policy: EligibilityPolicy, budget_idr: int, months: int,
                  start: dt.date) -> Preview:
    """"Rp X buys N people for M months" — a preview, named for the planner."""
    return allocation_preview(actor=actor, data=RoundInput(payer=payer, policy=policy, budget_idr=budget_idr,
                                                           months=months, start=start))


def scenario_cover_all(*, actor: User, payer: Payer, policy: EligibilityPolicy, max_decile: int, months: int,
                       start: dt.date) -> Scenario:
    """"Covering every eligible person in deciles 1–N for M months costs Rp Y", per distrik."""
    require_reader(actor)
    if not 1 <= max_decile <= 10:
        raise ValidationFailed(_("Desil harus 1 sampai 10."), fields={"max_decile": [str(max_decile)]})
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationFailed(_("Jumlah bulan harus 1 sampai %(max)s.") % {"max": MAX_MONTHS},
                               fields={"months": [str(months)]})
    variant = EligibilityPolicy(code=policy.code, version=policy.version, name=policy.name,
                                max_decile=max_decile, min_age=policy.min_age, max_age=policy.max_age,
                                occupation_codes=policy.occupation_codes, weights=policy.weights)
    params = current_parameters()
    costs = engine.unit_costs(params=params, payer=payer, start=start, months=months)
    query = engine.Query(variant, start=start, params=params, pop=engine.population(actor=actor, payer=payer))
    pool = engine.candidate_pool(query)
    everyone = np.ones(pool.size, dtype=bool)
    cost = np.where(pool.transport, costs["transport"].total, costs["other"].total)
    distrik = _distrik_names()
    rows = []
    for d in np.unique(pool.distrik):
        mask = pool.distrik == d
        code, name = distrik.get(int(d), ("?", "?"))
        rows.append(DistrikRow(code=code, name=name, eligible=int(mask.sum()), selected=int(mask.sum()),
                               waitlisted=0, cost_idr=int(cost[mask & everyone].sum()), quota_idr=None))
    rows.sort(key=lambda r: r.code)
    label = _("Semua yang memenuhi syarat di desil 1–%(d)s selama %(m)s bulan") % {"d": max_decile, "m": months}
    return Scenario(label=label, people=pool.size, cost_idr=int(cost.sum()), by_distrik=rows)


# --- Rounds -------------------------------------------------------------------------------------

def round_list(*, actor: User) -> QuerySet[AllocationRound]:
    require_reader(actor)
    return AllocationRound.objects.select_related("payer", "policy", "prepared_by", "approved_by", "parent")


def round_get(*, actor: User, round_id: int) -> AllocationRound:
    require_reader(actor)
    found = round_list(actor=actor).filter(pk=round_id).first()
    if found is None:
        raise NotFound(_("Putaran alokasi tidak ditemukan."))
    return found


def round_entries(*, actor: User, allocation_round: AllocationRound, status: str = "") -> QuerySet[AllocationEntry]:
    """The frozen ranking of a round, limited to the people the actor's area covers."""
    require_reader(actor)
    qs = (AllocationEntry.objects.filter(round=allocation_round, person__in=person_queryset(actor=actor))
          .select_related("person__kelurahan", "distrik").order_by("rank"))
    if status == "selected":
        qs = qs.filter(status__in=[AllocationEntry.Status.SELECTED, AllocationEntry.Status.ENROLLED])
    elif status:
        qs = qs.filter(status=status)
    return qs


def round_by_distrik(*, allocation_round: AllocationRound) -> list[dict[str, Any]]:
    from django.db.models import Count, Q

    chosen = Q(status__in=[AllocationEntry.Status.SELECTED, AllocationEntry.Status.ENROLLED])
    rows = (AllocationEntry.objects.filter(round=allocation_round).values("distrik__code", "distrik__name")
            .annotate(eligible=Count("id"), selected=Count("id", filter=chosen),
                      cost_idr=Sum("cost_idr", filter=chosen)).order_by("distrik__code"))
    quotas = allocation_round.quotas or {}
    return [{"code": r["distrik__code"], "name": r["distrik__name"], "eligible": r["eligible"],
             "selected": r["selected"], "waitlisted": r["eligible"] - r["selected"], "cost_idr": r["cost_idr"] or 0,
             "quota_idr": quotas.get(r["distrik__code"])} for r in rows]



@dataclass(frozen=True)
class ApprovalFigures:
    """What approving a prepared round will do, for its confirmation page: the drafts it creates at
    most (people no longer enrollable are skipped then), what they cost in all and per month, and
    per fiscal year the payer's budget still available before and after."""

    selected: int
    waitlisted: int
    cost_idr: int
    monthly_idr: int
    months: int
    by_year: list[tuple[int, int, int | None, int | None]]  # year, cost, available now, left after


def round_approval_figures(*, actor: User, allocation_round: AllocationRound) -> ApprovalFigures:
    """Two grouped queries over the round's frozen ranking (selected people per sector and their cost)
    and the payer's budget available per year (``contributions.selectors.budget_available``)."""
    from django.db.models import Case, CharField, Count, Value, When

    require_reader(actor)
    chosen = AllocationEntry.objects.filter(round=allocation_round, status=AllocationEntry.Status.SELECTED)
    per_sector = (chosen.annotate(sector=Case(When(person__transport_sector=True, then=Value("transport")),
                                              default=Value("other"), output_field=CharField()))
                  .values("sector").annotate(n=Count("id"), cost=Sum("cost_idr")))
    counts: dict[str, int] = {}
    cost = 0
    for row in per_sector:
        counts[row["sector"]] = counts.get(row["sector"], 0) + row["n"]
        cost += int(row["cost"] or 0)
    years: dict[int, int] = {}
    for sector, n in counts.items():
        for year, idr in (allocation_round.unit_costs or {}).get(sector, {}).items():
            years[int(year)] = years.get(int(year), 0) + n * int(idr)
    by_year = []
    for year, year_cost in sorted(years.items()):
        available = budget_available(payer=allocation_round.payer, year=year)
        by_year.append((year, year_cost, available, None if available is None else available - year_cost))
    months = max(allocation_round.months, 1)
    return ApprovalFigures(selected=sum(counts.values()), waitlisted=allocation_round.waitlisted_count,
                           cost_idr=cost, monthly_idr=(cost + months // 2) // months, months=months,
                           by_year=by_year)

# --- Why this person ----------------------------------------------------------------------------

@dataclass
class Explanation:
    person: Person
    policy: EligibilityPolicy
    start: dt.date
    rules: list[tuple[str, str, bool]]
    points: list[tuple[str, str, int]]
    score: int
    dependants: int
    entry: AllocationEntry | None = None
    cutoff_score: int | None = None

    @property
    def eligible(self) -> bool:
        return all(ok for _c, _l, ok in self.rules)


def person_explain(*, actor: User, person_id: int, policy: EligibilityPolicy | None = None,
                   allocation_round: AllocationRound | None = None, start: dt.date | None = None,
                   payer: Payer | None = None) -> Explanation:
    """Why this person is (not) eligible and how their score is made, point by point; within a
    round, their frozen rank and the score of the last person chosen."""
    require_reader(actor)
    person = person_queryset(actor=actor).select_related("kelurahan", "household", "occupation").filter(
        pk=person_id).first()
    if person is None:
        raise NotFound(_("Orang tidak ditemukan."))
    entry = None
    if allocation_round is not None:
        policy, start, payer = allocation_round.policy, allocation_round.start_month, allocation_round.payer
        entry = AllocationEntry.objects.filter(round=allocation_round, person=person).first()
    policy = policy or policy_default(actor=actor)
    if start is None:
        from django.utils import timezone

        from jaring.core.money import add_months, month_start

        start = add_months(month_start(timezone.localdate()), 1)
    query = engine.Query(policy, start=start, params=current_parameters(),
                         pop=engine.population(actor=actor, payer=payer or _any_payer()))
    passed = engine.rule_results(query, person.pk)
    rules = [(code, str(engine.RULE_LABELS[code]), ok) for code, ok in passed.items()]
    if entry is not None:
        points = {k: int(v) for k, v in entry.points.items()}
    else:
        points = engine.points_of(query, [person.pk]).get(person.pk, {})
    rows = [(code, str(label), points.get(code, 0)) for code, label in engine.CRITERION_LABELS.items()]
    cutoff = None
    if allocation_round is not None:
        last = (AllocationEntry.objects.filter(round=allocation_round, status__in=[
            AllocationEntry.Status.SELECTED, AllocationEntry.Status.ENROLLED]).order_by("-rank").first())
        cutoff = last.score if last else None
    return Explanation(person=person, policy=policy, start=start, rules=rules, points=rows,
                       score=entry.score if entry else sum(points.values()),
                       dependants=engine.dependants_of(query, person.pk), entry=entry, cutoff_score=cutoff)

