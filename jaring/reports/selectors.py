"""Reads of the coverage dashboard, from the monthly snapshots only, scoped to the actor's area.

A fixed number of small grouped queries whatever the size of the registry (about 15).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import Role, User
from jaring.accounts.selectors import scope_for
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import Payer
from jaring.regions.models import Region
from jaring.regions.selectors import region_subtree_q
from jaring.reports.models import (
    CoverageSnapshot,
    CoverageTarget,
    FacilitatorSnapshot,
    HouseholdSnapshot,
    SnapshotMonth,
)

TREND_MONTHS = 24
FIGURES = ("members", "protected", "at_risk", "lapsed")

PAYER_GROUPS: dict[str, Any] = {
    "self": _("Mandiri"),
    "city": _("Pemerintah kota"),
    "province": _("Pemerintah provinsi"),
    "other": _("Lainnya"),
}
_KIND_GROUP = {Payer.Kind.SELF: "self", Payer.Kind.GOVERNMENT_CITY: "city",
               Payer.Kind.GOVERNMENT_PROVINCE: "province"}
SEXES: dict[str, Any] = {"F": _("Perempuan"), "M": _("Laki-laki")}


@dataclass
class Row:
    """One line of a dashboard table."""

    key: str
    label: str
    members: int = 0
    protected: int = 0
    at_risk: int = 0
    lapsed: int = 0

    def add(self, values: dict[str, Any]) -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + (values.get(name) or 0))

    @property
    def protected_pct(self) -> float | None:
        return round(100 * self.protected / self.members, 1) if self.members else None


@dataclass
class TrendMonth:
    period: dt.date
    present: bool
    members: int = 0
    protected: int = 0
    at_risk: int = 0
    lapsed: int = 0


@dataclass
class Target:
    year: int
    workers: int
    source: str

    def pct(self, protected: int) -> float:
        return round(100 * protected / self.workers, 1)


@dataclass
class Decile:
    max_decile: int
    households: int
    protected: int

    @property
    def pct(self) -> float | None:
        return round(100 * self.protected / self.households, 1) if self.households else None


@dataclass
class FacilitatorRow:
    user_id: int
    name: str
    username: str
    areas: list[str]
    registrations: int = 0
    registrations_12m: int = 0
    enrolments: int = 0
    enrolments_12m: int = 0
    protected: int = 0
    at_risk: int = 0


@dataclass
class Dashboard:
    period: dt.date
    snapshot: SnapshotMonth | None
    scope_codes: list[str]
    whole_region: bool
    area_level: str  # "district" or "kelurahan"
    totals: Row
    target: Target | None
    by_area: list[Row]
    by_payer: list[Row]
    by_occupation: list[Row]
    by_sex: list[Row]
    trend: list[TrendMonth]
    decile: Decile | None
    facilitators: list[FacilitatorRow] = field(default_factory=list)

    @property
    def target_pct(self) -> float | None:
        return self.target.pct(self.totals.protected) if self.target else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain JSON-able data (API, tests)."""

        def rows(items: list[Row]) -> list[dict[str, Any]]:
            return [{"key": r.key, "label": str(r.label), "members": r.members, "protected": r.protected,
                     "at_risk": r.at_risk, "lapsed": r.lapsed} for r in items]

        snap = self.snapshot
        return {
            "period": format_month(self.period),
            "as_of": snap.as_of.isoformat() if snap else None,
            "refreshed_at": snap.refreshed_at.isoformat() if snap else None,
            "areas": self.scope_codes,
            "totals": rows([self.totals])[0],
            "target": ({"year": self.target.year, "workers": self.target.workers, "source": self.target.source,
                        "protected_pct": self.target_pct} if self.target else None),
            "by_area": {"level": self.area_level, "rows": rows(self.by_area)},
            "by_payer": rows(self.by_payer),
            "by_occupation": rows(self.by_occupation),
            "by_sex": rows(self.by_sex),
            "trend": [{"period": format_month(t.period), "present": t.present, "members": t.members,
                       "protected": t.protected, "at_risk": t.at_risk, "lapsed": t.lapsed} for t in self.trend],
            "decile": ({"max_decile": self.decile.max_decile, "households": self.decile.households,
                        "protected": self.decile.protected, "protected_pct": self.decile.pct}
                       if self.decile else None),
            "facilitators": [{"username": f.username, "name": f.name, "areas": f.areas,
                              "registrations": f.registrations, "registrations_12m": f.registrations_12m,
                              "enrolments": f.enrolments, "enrolments_12m": f.enrolments_12m,
                              "protected": f.protected, "at_risk": f.at_risk} for f in self.facilitators],
        }


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in FIGURES}


def _scoped(qs: QuerySet[Any], actor: User) -> QuerySet[Any]:
    scope = scope_for(actor)
    if scope.covers_every_kelurahan:
        return qs
    return qs.filter(scope.region_ids_q("kelurahan_id"))


def _area_level(codes: list[str]) -> str:
    """Kelurahan rows when the whole area lies in one distrik (a facilitator), distrik rows otherwise."""
    districts = {".".join(code.split(".")[:3]) for code in codes}
    if codes and all(code.count(".") >= 2 for code in codes) and len(districts) == 1:
        return Region.Level.KELURAHAN
    return Region.Level.DISTRICT


def coverage_target(*, year: int) -> Target | None:
    """The year's target: the admin's, else ``JARING_COVERAGE_TARGET`` (0 or unset: none)."""
    row = CoverageTarget.objects.filter(year=year).first()
    if row is not None:
        return Target(year=year, workers=row.workers, source=row.source)
    workers = int(getattr(settings, "JARING_COVERAGE_TARGET", 0) or 0)
    return Target(year=year, workers=workers, source="JARING_COVERAGE_TARGET") if workers > 0 else None


def dashboard(*, actor: User, period: dt.date | None = None) -> Dashboard:
    """Every figure of the coverage dashboard for one month (default: the running month)."""
    period = month_start(period or timezone.localdate())
    scope = scope_for(actor)
    codes = list(scope.codes)
    whole = scope.covers_every_kelurahan
    first = add_months(period, -(TREND_MONTHS - 1))
    months = {m.period: m for m in SnapshotMonth.objects.filter(period__gte=first, period__lte=period)}
    snapshot = months.get(period)
    month = _scoped(CoverageSnapshot.objects.filter(period=period), actor)
    level = _area_level(codes)

    # Areas: every distrik (or kelurahan) in scope is listed, with zeros where nothing is counted.
    areas = {r.code: Row(r.code, r.name) for r in Region.objects.filter(region_subtree_q(codes), level=level)
             .order_by("code").only("code", "name")}
    area_field = "kelurahan__code" if level == Region.Level.KELURAHAN else "kelurahan__parent__code"
    for values in month.order_by().values(area_field).annotate(**_sums()):
        code = values[area_field]
        areas.setdefault(code, Row(code, code)).add(values)

    totals = Row("total", str(_("Jumlah")))
    payers = {key: Row(key, label) for key, label in PAYER_GROUPS.items()}
    for values in month.order_by().values("payer_kind").annotate(**_sums()):
        payers[_KIND_GROUP.get(values["payer_kind"], "other")].add(values)
        totals.add(values)

    occupations = []
    for values in month.order_by().values("occupation__code", "occupation__name").annotate(**_sums()):
        row = Row(values["occupation__code"] or "", values["occupation__name"] or str(_("Tidak tercatat")))
        row.add(values)
        occupations.append(row)
    occupations.sort(key=lambda r: (-r.protected, -r.members, r.label))

    sexes = {key: Row(key, label) for key, label in SEXES.items()}
    for values in month.order_by().values("sex").annotate(**_sums()):
        sexes.setdefault(values["sex"], Row(values["sex"], values["sex"])).add(values)

    trend_rows = {v["period"]: v for v in _scoped(CoverageSnapshot.objects.filter(period__gte=first,
                                                                                  period__lte=period), actor)
                  .order_by().values("period").annotate(**_sums())}
    trend = []
    for i in range(TREND_MONTHS):
        month_date = add_months(first, i)
        values = trend_rows.get(month_date, {})
        trend.append(TrendMonth(month_date, month_date in months,
                                **{name: values.get(name) or 0 for name in FIGURES}))

    decile = None
    if actor.sees_poverty_data:
        from jaring.reports.services import extreme_poverty_decile

        sums = _scoped(HouseholdSnapshot.objects.filter(period=period), actor).aggregate(
            households=Sum("decile1_households"), protected=Sum("decile1_protected"))
        decile = Decile(extreme_poverty_decile(), sums["households"] or 0, sums["protected"] or 0)

    return Dashboard(
        period=period, snapshot=snapshot, scope_codes=codes, whole_region=whole, area_level=level,
        totals=totals, target=coverage_target(year=period.year) if whole else None,
        by_area=list(areas.values()), by_payer=list(payers.values()), by_occupation=occupations,
        by_sex=list(sexes.values()), trend=trend, decile=decile,
        facilitators=facilitator_rows(actor=actor, period=period))


def facilitator_rows(*, actor: User, period: dt.date) -> list[FacilitatorRow]:
    """Facilitators with their month's and last 12 months' registrations and enrolments, and the
    protected and at-risk workers of their area. A facilitator sees their own row only; others see
    the facilitators whose area lies in theirs. Three queries."""
    scope = scope_for(actor)
    users = User.objects.filter(role=Role.FACILITATOR, is_active=True)
    if actor.role == Role.FACILITATOR:
        users = users.filter(pk=actor.pk)
    rows: dict[int, FacilitatorRow] = {}
    area_codes: dict[int, list[str]] = {}
    for user_id, name, username, code, area_name in (users.order_by("name", "id").values_list(
            "id", "name", "username", "areas__region__code", "areas__region__name")):
        row = rows.setdefault(user_id, FacilitatorRow(user_id, name, username, []))
        if code:
            row.areas.append(area_name)
            area_codes.setdefault(user_id, []).append(code)
    if actor.role != Role.FACILITATOR and not scope.covers_every_kelurahan:
        rows = {i: r for i, r in rows.items() if any(scope.contains_code(c) for c in area_codes.get(i, []))}
    if not rows:
        return []
    first = add_months(period, -11)
    for values in (FacilitatorSnapshot.objects.filter(facilitator_id__in=list(rows), period__gte=first,
                                                      period__lte=period)
                   .order_by().values("facilitator_id")
                   .annotate(reg12=Sum("registrations"), enr12=Sum("enrolments"),
                             reg=Sum("registrations", filter=Q(period=period)),
                             enr=Sum("enrolments", filter=Q(period=period)))):
        row = rows[values["facilitator_id"]]
        row.registrations, row.enrolments = values["reg"] or 0, values["enr"] or 0
        row.registrations_12m, row.enrolments_12m = values["reg12"] or 0, values["enr12"] or 0
    # One pass over the month's kelurahan: each adds its figures to every region above it
    # (96, 96.71, 96.71.01, …), so a facilitator's area is a lookup, whatever the country's size.
    under: dict[str, list[int]] = {}
    for values in (_scoped(CoverageSnapshot.objects.filter(period=period), actor).order_by()
                   .values("kelurahan__code").annotate(protected=Sum("protected"), at_risk=Sum("at_risk"))):
        parts = values["kelurahan__code"].split(".")
        for depth in range(1, len(parts) + 1):
            totals = under.setdefault(".".join(parts[:depth]), [0, 0])
            totals[0] += values["protected"] or 0
            totals[1] += values["at_risk"] or 0
    for user_id, codes in area_codes.items():
        if user_id not in rows:
            continue
        # An area inside another of the same facilitator's areas is already counted by the outer one.
        outer = [c for c in codes if not any(c != o and c.startswith(o + ".") for o in codes)]
        for code in set(outer):
            protected, at_risk = under.get(code, (0, 0))
            rows[user_id].protected += protected
            rows[user_id].at_risk += at_risk
    return list(rows.values())
