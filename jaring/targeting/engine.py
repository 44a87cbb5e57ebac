"""The targeting engine: eligibility rules and priority points as SQL over the whole registry,
per-person cost from ``jaring.rules``, and the allocation of a budget over the ranking.

Everything here is set-based (invariant 8): one statement returns every eligible person with
their score; ranking, quotas and the fill to budget run on numpy arrays. Each rule and each
criterion is written once, as SQL, and used three ways — the funnel counts of the policy page,
the ranking, and one person's "why" — so the three can never disagree.
"""

# ruff: noqa: S608 - SQL is assembled from this module's constant fragments; every value is a bound parameter.

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.contributions.services import month_amount
from jaring.core.errors import ValidationFailed
from jaring.core.money import format_idr, format_month, month_range, years_before
from jaring.membership.models import Payer
from jaring.regions.models import Region
from jaring.regions.selectors import region_subtree_q
from jaring.registry.models import Occupation
from jaring.rules import Parameters, RulesInputError
from jaring.targeting.models import EligibilityPolicy

SECTORS = ("other", "transport")
PACK = 1 << 32  # the hot path packs score × PACK + kelurahan id × 4 + two flags into one integer

# Labels of the rules and criteria, in the order the policy page shows them.
RULE_LABELS = {
    "region": gettext_lazy("Tinggal di wilayah pembayar"),
    "alive": gettext_lazy("Masih hidup"),
    "age": gettext_lazy("Umur dalam batas"),
    "decile": gettext_lazy("Desil kesejahteraan dalam batas"),
    "occupation": gettext_lazy("Pekerjaan rentan"),
    "not_covered": gettext_lazy("Belum terdaftar/dibayar pembayar mana pun"),
    "not_employee": gettext_lazy("Tidak diketahui sebagai pekerja penerima upah"),
}
CRITERION_LABELS = {
    "decile": gettext_lazy("Desil kesejahteraan"),
    "pkh": gettext_lazy("Keluarga penerima PKH"),
    "dependants": gettext_lazy("Tanggungan (anak di bawah umur, lansia)"),
    "disability": gettext_lazy("Penyandang disabilitas"),
    "female_head": gettext_lazy("Perempuan kepala keluarga"),
    "high_risk": gettext_lazy("Pekerjaan berisiko tinggi (nelayan, ojek…)"),
    "older": gettext_lazy("Pekerja usia lanjut"),
}
# Keys a policy's weights may carry; each a whole number of points (or years, or people).
WEIGHT_KEYS = (*(f"decile_{d}" for d in range(1, 11)), "pkh", "dependant", "dependants_max",
               "dependant_child_below", "dependant_elder_from", "disability", "female_head",
               "high_risk_occupation", "older", "older_age_from")
WEIGHT_DEFAULTS = {"dependant_child_below": 18, "dependant_elder_from": 65}


def weight(policy: EligibilityPolicy, key: str) -> int:
    return int(policy.weights.get(key, WEIGHT_DEFAULTS.get(key, 0)))


@dataclass(frozen=True)
class AgeWindow:
    low: int
    high: int
    policy_low: int
    policy_high: int


def age_window(policy: EligibilityPolicy, *, start: dt.date, params: Parameters) -> AgeWindow:
    """The policy's ages, narrowed to what the regulation lets a BPU register with (the same
    limits ``membership_enrol`` checks: the local window and the national "under N" limit)."""
    try:
        snapshot = params.on(start, field="start_month")
        low, high = snapshot.value("membership", "local_age_min"), snapshot.value("membership", "local_age_max")
        below = snapshot.value("membership", "registration_age_below")
    except RulesInputError as exc:
        raise ValidationFailed(exc.message, fields={"start_month": [exc.message]}, code="no_parameters") from None
    return AgeWindow(low=max(policy.min_age, low), high=min(policy.max_age, high, below - 1),
                     policy_low=policy.min_age, policy_high=policy.max_age)


@dataclass
class Population:
    """Who a query looks at: the kelurahan ids the payer and the actor cover."""

    region_ids: list[int]
    scope_ids: list[int]


def population(*, actor: User, payer: Payer) -> Population:
    scope = scope_for(actor)
    kelurahan = Region.objects.filter(level=Region.Level.KELURAHAN)
    in_scope = kelurahan.filter(region_subtree_q(scope.codes))
    wanted = in_scope.filter(region_subtree_q([settings.JARING_TENANT_REGION]))
    if payer.region is not None:
        wanted = wanted.filter(region_subtree_q([payer.region.code]))
    return Population(region_ids=sorted(wanted.values_list("id", flat=True)),
                      scope_ids=sorted(in_scope.values_list("id", flat=True)))


def _in(ids: Sequence[int]) -> tuple[str, list[Any]]:
    if not ids:
        return "(NULL)", []
    return "(" + ", ".join(["%s"] * len(ids)) + ")", list(ids)


class Query:
    """The SQL of one policy for one start month: rules (boolean expressions) and criteria
    (points expressions) over ``registry_person p`` joined to its household, occupation and
    kelurahan. Parameters are bound, never formatted in."""

    def __init__(self, policy: EligibilityPolicy, *, start: dt.date, params: Parameters, pop: Population):
        self.policy, self.start, self.pop = policy, start, pop
        self.window = age_window(policy, start=start, params=params)
        self.occupation_ids = (sorted(Occupation.objects.filter(code__in=policy.occupation_codes)
                                      .values_list("id", flat=True)) if policy.occupation_codes else None)
        self.high_risk_ids = sorted(Occupation.objects.filter(high_risk=True).values_list("id", flat=True))

    # -- rules ----------------------------------------------------------------------------------
    def rules(self) -> list[tuple[str, str, list[Any]]]:
        start, w = self.start, self.window
        region_sql, region_params = _in(self.pop.region_ids)
        if self.occupation_ids is None:
            occupation: tuple[str, list[Any]] = ("p.occupation_id IS NOT NULL", [])
        else:
            sql, ids = _in(self.occupation_ids)
            occupation = (f"p.occupation_id IN {sql}", ids)
        return [
            ("region", f"p.kelurahan_id IN {region_sql}", region_params),
            ("alive", "p.death_date IS NULL", []),
            ("age", "p.birth_date <= %s AND p.birth_date > %s",
             [years_before(start, w.low), years_before(start, w.high + 1)]),
            ("decile", *self.decile_rule()),
            ("occupation", *occupation),
            # The checks of membership_enrol, set-based: no open membership with any payer, and no
            # month from the start on already billed or paid by anyone.
            ("not_covered", "p.id NOT IN (SELECT m.person_id FROM membership_membership m"
                            " WHERE m.status IN ('draft', 'submitted', 'active'))"
                            " AND p.id NOT IN (SELECT d.person_id FROM contributions_due d"
                            " WHERE d.period >= %s AND NOT (d.status = 'void'))", [start]),
            ("not_employee", "p.id NOT IN (SELECT e.person_id FROM membership_membership e"
                             " WHERE e.end_reason = 'became_employee')", []),
        ]

    def decile_rule(self) -> tuple[str, list[Any]]:
        """The decile within the policy's limit, from an accepted source, not older than allowed."""
        sql = "h.welfare_decile <= %s"
        params: list[Any] = [self.policy.max_decile]
        if self.policy.decile_sources:
            sources, values = _in(sorted(self.policy.decile_sources))
            sql, params = f"{sql} AND h.decile_source IN {sources}", [*params, *values]
        if self.policy.decile_max_age_days is not None:
            sql = f"{sql} AND h.decile_date >= %s"
            params = [*params, self.start - dt.timedelta(days=self.policy.decile_max_age_days)]
        return sql, params

    # -- criteria -------------------------------------------------------------------------------
    def uses_dependants(self) -> bool:
        return weight(self.policy, "dependant") > 0

    def dependant_bounds(self) -> list[Any]:
        """A dependant is a household member under ``dependant_child_below`` or from
        ``dependant_elder_from`` years on the start month (alive, not a merged duplicate)."""
        return [years_before(self.start, weight(self.policy, "dependant_child_below")),
                years_before(self.start, weight(self.policy, "dependant_elder_from"))]

    DEPENDANT_SQL = "(x.birth_date > %s OR x.birth_date <= %s)"

    def self_dependant_sql(self) -> tuple[str, list[Any]]:
        """1 when the person is themself in a dependant age (then not their own dependant)."""
        return ("CASE WHEN p.household_id IS NOT NULL AND (p.birth_date > %s OR p.birth_date <= %s)"
                " THEN 1 ELSE 0 END", self.dependant_bounds())

    def dependants_sql(self) -> tuple[str, list[Any]]:
        """One person's dependants in SQL (their page); the pool counts them with numpy instead,
        from one narrow column (``dependant_households``) — the same definition, tested equal."""
        self_sql, self_params = self.self_dependant_sql()
        return ("((SELECT COUNT(*) FROM registry_person x WHERE x.household_id = p.household_id"
                " AND x.merged_into_id IS NULL AND x.death_date IS NULL AND " + self.DEPENDANT_SQL + ") - "
                + self_sql + ")", [*self.dependant_bounds(), *self_params])

    def dependant_points(self, dependants: Any) -> Any:
        cap = weight(self.policy, "dependants_max")
        return weight(self.policy, "dependant") * np.minimum(dependants, cap)

    def criteria(self, *, correlated: bool = False) -> list[tuple[str, str, list[Any]]]:
        """Points per criterion. Without ``correlated`` the dependants column is 0 here and
        filled in by ``candidate_pool``."""
        p = self.policy
        deciles = [(d, weight(p, f"decile_{d}")) for d in range(1, 11)]
        deciles = [(d, v) for d, v in deciles if v]
        decile_sql = ("CASE h.welfare_decile " + " ".join("WHEN %s THEN %s" for _ in deciles) + " ELSE 0 END"
                      if deciles else "0")
        decile_params = [x for pair in deciles for x in pair]
        if correlated and self.uses_dependants():
            dep_sql, dep_params = self.dependants_sql()
            cap = weight(p, "dependants_max")
            dependants = (f"%s * CASE WHEN {dep_sql} > %s THEN %s ELSE {dep_sql} END",
                          [weight(p, "dependant"), *dep_params, cap, cap, *dep_params])
        else:
            dependants = ("0", [])
        return [
            ("decile", decile_sql, decile_params),
            ("pkh", "CASE WHEN h.pkh_beneficiary THEN %s ELSE 0 END", [weight(p, "pkh")]),
            ("dependants", *dependants),
            ("disability", "CASE WHEN p.disability <> 'none' THEN %s ELSE 0 END", [weight(p, "disability")]),
            ("female_head", "CASE WHEN p.sex = 'F' AND p.relationship = 'head' THEN %s ELSE 0 END",
             [weight(p, "female_head")]),
            ("high_risk", f"CASE WHEN p.occupation_id IN {_in(self.high_risk_ids)[0]} THEN %s ELSE 0 END",
             [*self.high_risk_ids, weight(p, "high_risk_occupation")]),
            ("older", "CASE WHEN p.birth_date <= %s THEN %s ELSE 0 END",
             [years_before(self.start, weight(p, "older_age_from")), weight(p, "older")]),
        ]

    def score_sql(self) -> tuple[str, list[Any]]:
        """The points of every criterion but the dependants (added by ``candidate_pool``)."""
        parts = self.criteria()
        return "(" + " + ".join(f"({sql})" for _c, sql, _p in parts) + ")", [x for *_s, ps in parts for x in ps]

    # -- FROM -----------------------------------------------------------------------------------
    def from_sql(self, *, scan: bool = False) -> tuple[str, list[Any]]:
        """``scan``: the query reads most of the registry, so on SQLite walk the table itself —
        its planner otherwise picks an index range (birth date, kelurahan) and then fetches
        each row at random, ten times slower. PostgreSQL's planner has the statistics to choose."""
        person = "registry_person p NOT INDEXED" if scan and connection.vendor == "sqlite" else "registry_person p"
        return f"FROM {person} LEFT JOIN registry_household h ON h.id = p.household_id", []

    def distrik_of(self) -> np.ndarray:
        """kelurahan id → distrik id, as a lookup array (a join the database need not do per row)."""
        pairs = list(Region.objects.filter(pk__in=self.pop.region_ids).values_list("id", "parent_id"))
        lookup = np.zeros(max([k for k, _d in pairs], default=0) + 1, dtype=np.int64)
        for kelurahan, distrik in pairs:
            lookup[kelurahan] = distrik or 0
        return lookup

    def eligible_where(self) -> tuple[str, list[Any]]:
        rules = self.rules()
        return ("p.merged_into_id IS NULL AND " + " AND ".join(f"({sql})" for _c, sql, _p in rules),
                [x for *_s, ps in rules for x in ps])


# --- Preview counts per rule ------------------------------------------------------------------

@dataclass(frozen=True)
class RuleCount:
    code: str
    label: str
    matches: int  # people the rule alone lets through
    remaining: int  # people left after this rule and every rule above it
    population: int

    @property
    def suspicious(self) -> bool:
        """A rule that lets everyone or no one through is probably a mistake."""
        return self.population > 0 and self.matches in (0, self.population)


def rule_counts(query: Query) -> list[RuleCount]:
    rules = query.rules()
    columns, params = [], []
    for _code, sql, ps in rules:
        columns.append(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END)")
        params += ps
    for i in range(1, len(rules) + 1):
        columns.append("SUM(CASE WHEN " + " AND ".join(f"({sql})" for _c, sql, _p in rules[:i])
                       + " THEN 1 ELSE 0 END)")
        params += [x for *_s, ps in rules[:i] for x in ps]
    from_sql, from_params = query.from_sql(scan=True)
    scope_sql, scope_params = _in(query.pop.scope_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), {', '.join(columns)} {from_sql}"
                       f" WHERE p.merged_into_id IS NULL AND p.kelurahan_id IN {scope_sql}",
                       [*params, *from_params, *scope_params])
        row = cursor.fetchone()
    total, n = int(row[0] or 0), len(rules)
    return [RuleCount(code=code, label=str(RULE_LABELS[code]), matches=int(row[1 + i] or 0),
                      remaining=int(row[1 + n + i] or 0), population=total)
            for i, (code, _s, _p) in enumerate(rules)]


# --- The candidate pool ------------------------------------------------------------------------

@dataclass
class Pool:
    """Every eligible person as parallel arrays (one statement, no per-person ORM)."""

    ids: np.ndarray
    distrik: np.ndarray
    score: np.ndarray
    transport: np.ndarray
    # Set for a top-up: the rank each person had in the round whose waitlist this is.
    prior_rank: np.ndarray | None = None
    # With ``breakdown``: one column of points per criterion (``criteria`` names them).
    points: np.ndarray | None = None
    criteria: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])


def _arrays(rows: list[tuple[Any, ...]], width: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    flat = itertools.chain.from_iterable(rows)
    return np.fromiter(flat, dtype=np.int64, count=len(rows) * width).reshape(len(rows), width)


def dependant_households(query: Query) -> np.ndarray:
    """How many dependants each household has (indexed by household id), from one narrow column."""
    bounds = query.dependant_bounds()
    person = "registry_person x NOT INDEXED" if connection.vendor == "sqlite" else "registry_person x"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.household_id FROM {person} WHERE x.household_id IS NOT NULL"
                       " AND x.merged_into_id IS NULL AND x.death_date IS NULL AND " + Query.DEPENDANT_SQL, bounds)
        households = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    return np.bincount(households) if households.size else np.zeros(1, dtype=np.int64)


def candidate_pool(query: Query, *, waitlist_of: int | None = None, breakdown: bool = False) -> Pool:
    """Everyone the policy lets through, with their score. With ``waitlist_of`` (a round id) only
    that round's waitlisted people, each with the rank and score frozen in that round. With
    ``breakdown`` the points of each criterion come too (to freeze them in a round)."""
    where_sql, where_params = query.eligible_where()
    from_sql, from_params = query.from_sql(scan=waitlist_of is None)
    if waitlist_of is not None:
        sql = (f"SELECT p.id, p.kelurahan_id, w.score, CASE WHEN p.transport_sector THEN 1 ELSE 0 END, w.rank"
               f" {from_sql} JOIN targeting_allocationentry w ON w.person_id = p.id AND w.round_id = %s"
               f" AND w.status = 'waitlisted' WHERE {where_sql}"
               " AND p.id NOT IN (SELECT t.person_id FROM targeting_allocationentry t"
               " JOIN targeting_allocationround r ON r.id = t.round_id"
               " WHERE r.parent_id = %s AND r.status <> 'cancelled' AND t.status IN ('selected', 'enrolled'))")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*from_params, waitlist_of, *where_params, waitlist_of])
            data = _arrays(cursor.fetchall(), 5)
        return Pool(ids=data[:, 0], distrik=query.distrik_of()[data[:, 1]], score=data[:, 2],
                    transport=data[:, 3].astype(bool), prior_rank=data[:, 4])
    criteria = query.criteria()
    self_sql, self_params = query.self_dependant_sql()
    # kelurahan, transport and "is themself a dependant" travel packed in one number, and the
    # hot path's score with them: fewer Python objects per row (the fetch is most of the time).
    packed = f"p.kelurahan_id * 4 + CASE WHEN p.transport_sector THEN 2 ELSE 0 END + {self_sql}"
    if breakdown:
        cols = ", ".join(f"({sql})" for _c, sql, _p in criteria)
        sql = f"SELECT p.id, COALESCE(p.household_id, 0), {packed}, {cols} {from_sql} WHERE {where_sql}"
        params = [*self_params, *(x for *_s, ps in criteria for x in ps), *from_params, *where_params]
    else:
        score_sql, score_params = query.score_sql()
        sql = (f"SELECT p.id, COALESCE(p.household_id, 0), {score_sql} * {PACK} + {packed} {from_sql}"
               f" WHERE {where_sql}")
        params = [*score_params, *self_params, *from_params, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        data = _arrays(cursor.fetchall(), 3 + (len(criteria) if breakdown else 0))
    flags = data[:, 2] % PACK
    points = data[:, 3:] if breakdown else (data[:, 2] // PACK)[:, None]
    if query.uses_dependants() and data.shape[0]:
        counts = dependant_households(query)
        households = np.minimum(data[:, 1], counts.shape[0] - 1)
        dependants = np.where(data[:, 1] > 0, counts[households] - (flags & 1), 0)
        extra = query.dependant_points(dependants)
        if breakdown:
            points[:, [c for c, _s, _p in criteria].index("dependants")] = extra
        else:
            points = points + extra[:, None]
    return Pool(ids=data[:, 0], distrik=query.distrik_of()[flags // 4], score=points.sum(axis=1),
                transport=(flags & 2) > 0, points=points if breakdown else None,
                criteria=tuple(c for c, _s, _p in criteria) if breakdown else ())


def points_of(query: Query, person_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """The points of each criterion for the given people (the snapshot and the "why" page)."""
    if not person_ids:
        return {}
    criteria = query.criteria(correlated=True)
    cols = ", ".join(f"({sql})" for _c, sql, _p in criteria)
    params = [x for *_s, ps in criteria for x in ps]
    from_sql, from_params = query.from_sql()
    out: dict[int, dict[str, int]] = {}
    ids = list(person_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5_000):
            chunk = ids[start:start + 5_000]
            in_sql, in_params = _in(chunk)
            cursor.execute(f"SELECT p.id, {cols} {from_sql} WHERE p.id IN {in_sql}",
                           [*params, *from_params, *in_params])
            for row in cursor.fetchall():
                out[int(row[0])] = {code: int(v) for (code, _s, _p), v in zip(criteria, row[1:], strict=True) if v}
    return out


def rule_results(query: Query, person_id: int) -> dict[str, bool]:
    """Which rules one person passes."""
    rules = query.rules()
    cols = ", ".join(f"CASE WHEN {sql} THEN 1 ELSE 0 END" for _c, sql, _p in rules)
    params = [x for *_s, ps in rules for x in ps]
    from_sql, from_params = query.from_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} {from_sql} WHERE p.id = %s", [*params, *from_params, person_id])
        row = cursor.fetchone()
    return {code: bool(v) for (code, _s, _p), v in zip(rules, row or [0] * len(rules), strict=True)}


def dependants_of(query: Query, person_id: int) -> int:
    dep_sql, dep_params = query.dependants_sql()
    from_sql, from_params = query.from_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {dep_sql} {from_sql} WHERE p.id = %s",
                       [*dep_params, *from_params, person_id])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# --- Cost ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitCost:
    """What one person costs over the round, per fiscal year, month by month from the rules."""

    by_year: dict[int, int]
    monthly: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.by_year.values())


def unit_costs(*, params: Parameters, payer: Payer, start: dt.date, months: int) -> dict[str, UnitCost]:
    """Per sector, the cost of one person at the lowest income bracket (government programmes
    use it; DOMAIN §2.1), JKK+JKM, summed month by month so a change of rate or a discount
    boundary inside the round is exact. A government payer is never discounted (the rules say so)."""
    try:
        income = params.on(start, field="start_month").value("income_brackets", "brackets_idr")[0]
    except RulesInputError as exc:
        raise ValidationFailed(exc.message, fields={"start_month": [exc.message]}, code="no_parameters") from None
    out: dict[str, UnitCost] = {}
    for sector in SECTORS:
        by_year: dict[int, int] = {}
        monthly = []
        for period in month_range(start, months):
            amount = month_amount(params=params, period=period, income_idr=income, has_jht=False,
                                  funding_source=payer.funding_source, sector=sector).amount_idr
            by_year[period.year] = by_year.get(period.year, 0) + amount
            monthly.append(amount)
        out[sector] = UnitCost(by_year=by_year, monthly=tuple(monthly))
    return out


# --- Allocation ---------------------------------------------------------------------------------

@dataclass
class DistrikLine:
    distrik_id: int
    eligible: int = 0
    selected: int = 0
    cost_idr: int = 0
    quota_idr: int | None = None


@dataclass
class Allocation:
    order: np.ndarray  # indices of the pool in ranking order
    selected: np.ndarray  # bool per pool index
    cost: np.ndarray  # per pool index
    budget_idr: int
    by_distrik: dict[int, DistrikLine] = field(default_factory=dict)
    quota_idr: dict[int, int] | None = None

    @property
    def eligible(self) -> int:
        return int(self.order.shape[0])

    @property
    def selected_count(self) -> int:
        return int(self.selected.sum())

    @property
    def cost_idr(self) -> int:
        return int(self.cost[self.selected].sum())


def ranking_order(pool: Pool) -> np.ndarray:
    """Highest score first; ties by the smaller person id (stable and explainable). A top-up
    keeps the order frozen in the round it tops up."""
    if pool.prior_rank is not None:
        return np.argsort(pool.prior_rank, kind="stable")
    return np.lexsort((pool.ids, -pool.score))


def _fill(costs_in_order: np.ndarray, money: int) -> np.ndarray:
    """Strict priority: take people in order while the money lasts; stop at the first who does
    not fit, so everyone chosen ranks above everyone waiting."""
    return np.cumsum(costs_in_order) <= money


def proportional_quotas(pool: Pool, *, budget_idr: int, unit_idr: int) -> dict[int, int]:
    """Places (budget ÷ the cost of one person) shared among distrik in proportion to their
    eligible people, largest remainder first (ties: the smaller distrik id); in rupiah."""
    ids, counts = np.unique(pool.distrik, return_counts=True)
    total = int(counts.sum())
    if total == 0:
        return {}
    places = min(budget_idr // unit_idr, total)
    shares = {int(d): divmod(int(c) * places, total) for d, c in zip(ids, counts, strict=True)}
    seats = {d: whole for d, (whole, _rest) in shares.items()}
    left = places - sum(seats.values())
    for d in sorted(shares, key=lambda d: (-shares[d][1], d))[:left]:
        seats[d] += 1
    return {d: n * unit_idr for d, n in seats.items()}


def allocate(pool: Pool, *, costs: dict[str, UnitCost], budget_idr: int, quota_idr: dict[int, int] | None,
             spill_unused: bool = True) -> Allocation:
    """Fill the budget in ranking order. With quotas, each distrik first fills its own quota from
    its own ranking; then (``spill_unused``) the money left — outside the quotas or unused by a
    distrik with too few eligible people — goes to the next people in the city-wide ranking."""
    order = ranking_order(pool)
    cost = np.where(pool.transport, costs["transport"].total, costs["other"].total).astype(np.int64)
    selected = np.zeros(pool.size, dtype=bool)
    lines = {int(d): DistrikLine(distrik_id=int(d)) for d in np.unique(pool.distrik)}
    if quota_idr is None:
        selected[order[_fill(cost[order], budget_idr)]] = True
    else:
        ranked_distrik = pool.distrik[order]
        for distrik, money in quota_idr.items():
            in_distrik = order[ranked_distrik == distrik]
            chosen = in_distrik[_fill(cost[in_distrik], money)]
            selected[chosen] = True
            lines.setdefault(distrik, DistrikLine(distrik_id=distrik)).quota_idr = money
        if spill_unused:
            rest = order[~selected[order]]
            left = budget_idr - int(cost[selected].sum())
            selected[rest[_fill(cost[rest], left)]] = True
    for distrik, line in lines.items():
        mask = pool.distrik == distrik
        line.eligible = int(mask.sum())
        line.selected = int((mask & selected).sum())
        line.cost_idr = int(cost[mask & selected].sum())
    return Allocation(order=order, selected=selected, cost=cost, budget_idr=budget_idr, by_distrik=lines,
                      quota_idr=quota_idr)


def cost_by_year(pool: Pool, selected: np.ndarray, costs: dict[str, UnitCost]) -> dict[int, int]:
    transport = int((selected & pool.transport).sum())
    other = int(selected.sum()) - transport
    years: dict[int, int] = {}
    for sector, n in (("other", other), ("transport", transport)):
        for year, idr in costs[sector].by_year.items():
            years[year] = years.get(year, 0) + n * idr
    return years


def describe_unit(costs: dict[str, UnitCost], start: dt.date, months: int) -> str:
    """"Rp201.600 per orang (12 bulan mulai 2026-01)" for messages."""
    unit = costs["other"].total
    return _("%(idr)s per orang (%(months)s bulan mulai %(start)s)") % {
        "idr": format_idr(unit), "months": months, "start": format_month(start)}
