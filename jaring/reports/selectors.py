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
from jaring.regions.selectors import ancestor_codes, region_subtree_q
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
    area_codes: list[str] = field(default_factory=list)
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
    # The roll-up (decision 0048): the region the figures are for when the viewer chose one inside
    # their area ("" = their whole area), and the path from the top of their area down to it.
    focus: str = ""
    breadcrumb: list[tuple[str, str]] = field(default_factory=list)
    # True when an area row opens the same figures one level down: not for kelurahan rows, nor for
    # rows wider than the viewer's area (a facilitator's kelurahan in two distrik).
    drillable: bool = False

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
            "focus": self.focus or None,
            "breadcrumb": [{"code": code, "name": name} for code, name in self.breadcrumb],
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


# The field of a coverage row (one kelurahan) naming the region above it at each level: the roll-up
# kelurahan → distrik → kabupaten/kota → provinsi is a GROUP BY on one of these.
LEVEL_FIELD = {
    Region.Level.KELURAHAN: "kelurahan__code",
    Region.Level.DISTRICT: "kelurahan__parent__code",
    Region.Level.CITY: "kelurahan__parent__parent__code",
    Region.Level.PROVINCE: "kelurahan__parent__parent__parent__code",
}
_LEVEL_BY_PARTS = [Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT, Region.Level.KELURAHAN]


def _common_code(codes: list[str]) -> str:
    """The deepest region containing every code ("" when they lie in different provinces)."""
    if not codes:
        return ""
    split = [code.split(".") for code in codes]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return ".".join(common)


def _area_level(codes: list[str]) -> str:
    """The rows of the area table: the level just below the region containing the whole area —
    cities for a province, distrik for a city, kelurahan for a distrik or a facilitator's
    kelurahan in one distrik; a kelurahan alone is its own row."""
    if not codes:
        return Region.Level.DISTRICT
    common = _common_code(codes)
    parts = len(common.split(".")) if common else 0
    return _LEVEL_BY_PARTS[min(parts, len(_LEVEL_BY_PARTS) - 1)]


def _focus_check(actor: User, area: str) -> str:
    """``area`` if it is a region inside the actor's area, else NotFound (another city looks absent)."""
    from django.utils.translation import gettext

    from jaring.core.errors import NotFound

    if area and scope_for(actor).contains_code(area) and Region.objects.filter(code=area).exists():
        return area
    raise NotFound(gettext("Wilayah tidak ditemukan di wilayah Anda."))


def _breadcrumb(actor: User, focus: str) -> list[tuple[str, str]]:
    """The regions from the top of the actor's area down to ``focus`` (code, name); the first is
    the whole area (the page without ``wilayah``)."""
    scope = scope_for(actor)
    top = _common_code(list(scope.codes))
    codes = [top] if top else []
    if focus and focus != top:
        codes += [c for c in [*ancestor_codes(focus), focus]
                  if scope.contains_code(c) and (not top or c.startswith(top + "."))]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [(code, names[code]) for code in codes if code in names]


def coverage_target(*, year: int) -> Target | None:
    """The year's target: the admin's, else ``JARING_COVERAGE_TARGET`` (0 or unset: none)."""
    row = CoverageTarget.objects.filter(year=year).first()
    if row is not None:
        return Target(year=year, workers=row.workers, source=row.source)
    workers = int(getattr(settings, "JARING_COVERAGE_TARGET", 0) or 0)
    return Target(year=year, workers=workers, source="JARING_COVERAGE_TARGET") if workers > 0 else None


def dashboard(*, actor: User, period: dt.date | None = None, area: str = "") -> Dashboard:
    """Every figure of the coverage dashboard for one month (default: the running month).

    ``area``: a region inside the actor's area (a city of a province, a distrik of a city) to see
    its figures alone, its rows one level down (the roll-up, decision 0048); a region outside the
    actor's area is NotFound."""
    period = month_start(period or timezone.localdate())
    scope = scope_for(actor)
    focus = _focus_check(actor, area) if area else ""
    codes = [focus] if focus else list(scope.codes)
    whole = scope.covers_every_kelurahan and not focus
    first = add_months(period, -(TREND_MONTHS - 1))
    months = {m.period: m for m in SnapshotMonth.objects.filter(period__gte=first, period__lte=period)}
    snapshot = months.get(period)

    def scoped(qs: QuerySet[Any]) -> QuerySet[Any]:
        qs = _scoped(qs, actor)
        if focus:
            qs = qs.filter(kelurahan_id__in=list(Region.objects.filter(
                region_subtree_q([focus]), level=Region.Level.KELURAHAN).values_list("id", flat=True)))
        return qs

    month = scoped(CoverageSnapshot.objects.filter(period=period))
    level = _area_level(codes)

    # Areas: every region of the level in scope is listed, with zeros where nothing is counted.
    areas = {r.code: Row(r.code, r.name) for r in Region.objects.filter(region_subtree_q(codes), level=level)
             .order_by("code").only("code", "name")}
    area_field = LEVEL_FIELD[Region.Level(level)]
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

    trend_rows = {v["period"]: v for v in scoped(CoverageSnapshot.objects.filter(period__gte=first,
                                                                                 period__lte=period))
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

        sums = scoped(HouseholdSnapshot.objects.filter(period=period)).aggregate(
            households=Sum("decile1_households"), protected=Sum("decile1_protected"))
        decile = Decile(extreme_poverty_decile(), sums["households"] or 0, sums["protected"] or 0)

    return Dashboard(
        period=period, snapshot=snapshot, scope_codes=codes, whole_region=whole, area_level=level,
        totals=totals, target=coverage_target(year=period.year) if whole else None,
        by_area=list(areas.values()), by_payer=list(payers.values()), by_occupation=occupations,
        by_sex=list(sexes.values()), trend=trend, decile=decile,
        facilitators=[f for f in facilitator_rows(actor=actor, period=period)
                      if not focus or any(a == focus or a.startswith(focus + ".") or focus.startswith(a + ".")
                                          for a in f.area_codes)],
        focus=focus, breadcrumb=_breadcrumb(actor, focus) if focus else [],  # top: no query more
        drillable=level != Region.Level.KELURAHAN and all(scope.contains_code(code) for code in areas))


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
            row.area_codes.append(code)
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
