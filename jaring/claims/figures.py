"""Claims figures for the reports (issue 11, point 8): claims reported, paid, rejected, lapsed and
still open by month, distrik, type and payer; the benefits BPJSTK paid beside the contributions paid
in the same area and period ("what the city's money bought"). Area-scoped through
``claim_queryset`` and ``person_queryset``; each grouping is a fixed handful of ``GROUP BY``
queries, whatever the number of claims and dues.

What is counted where:

- A claim is *reported* in the month of its **event** (``Claim.event_date``), not of the day it was
  entered: the event date is the one date every claim has, a late report lands in the month the
  accident or death happened, and a month's figures can therefore still grow when a family reports
  weeks later.
- *Open*, *paid*, *rejected* and *lapsed* split those same claims by their status today (they add
  up to *reported*).
- *Unprotected* counts, among the reported, the cases recorded although the person was not
  protected on the event date: they are in *reported* and in their status column all the same —
  this column only says how many of them there are.
- *Settled* and *benefits* are the claims BPJSTK paid **in** the row's period (``settled_on``) and
  the sum of what it paid (``Claim.paid_idr``): a claim of December paid in January counts its
  benefits in January.
- *Contributions* are the dues paid (``Due`` with status paid, by ``paid_on``) of the persons in the
  area: a government payer's are paid through its invoices (the transfer's date), a self-payer's
  through their payments. Money an invoice transfer left unapplied is not a contribution yet.
  Contributions do not split by claim type: the type filter leaves them alone.
- The *payer* of a claim is the payer of ``Claim.membership`` (the membership that covered the event
  date); a claim without one is "not a member".
- Money (benefits, contributions) only for roles holding ``money.read``; the others get the counts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import can, require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.claims.models import Claim
from jaring.claims.selectors import claim_queryset
from jaring.contributions.models import Due
from jaring.core.errors import ValidationFailed
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import Payer
from jaring.regions.models import Region
from jaring.regions.selectors import region_subtree_q
from jaring.registry.selectors import person_queryset

GROUP_BY = ("month", "distrik", "type", "payer")
GROUP_LABELS: dict[str, Any] = {
    "month": gettext_lazy("Per bulan"),
    "distrik": gettext_lazy("Per distrik"),
    "type": gettext_lazy("Per jenis klaim"),
    "payer": gettext_lazy("Per pembayar"),
}
MAX_MONTHS = 120  # ten years: a longer range is refused, not silently cut
NO_PAYER = "none"
DISTRIK_RE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}")
COUNTS = ("reported", "open", "paid", "rejected", "lapsed", "unprotected", "settled")


@dataclass
class ClaimRow:
    """One line of a claims table (see the module's docstring for what each figure counts)."""

    key: str
    label: str
    kind: str = ""  # a payer row: the payer's kind (self, government_city, …)
    reported: int = 0
    open: int = 0
    paid: int = 0
    rejected: int = 0
    lapsed: int = 0
    unprotected: int = 0
    settled: int = 0
    benefits_idr: int = 0
    contributions_idr: int | None = 0  # None: contributions do not split this way (claim type)

    def add(self, other: ClaimRow) -> None:
        for name in (*COUNTS, "benefits_idr"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.contributions_idr is not None and self.contributions_idr is not None:
            self.contributions_idr += other.contributions_idr

    def as_dict(self, *, money: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": str(self.label)}
        if self.kind:
            data["kind"] = self.kind
        data.update({name: getattr(self, name) for name in COUNTS})
        if money:
            data["benefits_idr"] = self.benefits_idr
            data["contributions_idr"] = self.contributions_idr
        return data


@dataclass(frozen=True)
class ClaimFilters:
    """The period (whole months, ``date_from`` and ``date_to`` the first days of the first and the
    last) and the optional distrik code, claim type and payer code (``NO_PAYER``: not a member)."""

    date_from: dt.date
    date_to: dt.date
    distrik: str = ""
    type: str = ""
    payer: str = ""

    @property
    def start(self) -> dt.date:
        return self.date_from

    @property
    def end(self) -> dt.date:
        """The day after the period (exclusive bound)."""
        return add_months(self.date_to, 1)

    @property
    def months(self) -> int:
        return (self.date_to.year - self.date_from.year) * 12 + self.date_to.month - self.date_from.month + 1

    def as_dict(self) -> dict[str, Any]:
        return {"from": format_month(self.date_from), "to": format_month(self.date_to),
                "distrik": self.distrik or None, "type": self.type or None, "payer": self.payer or None}


@dataclass
class ClaimSummary:
    """One grouping of the claims report for the actor's area."""

    group_by: str
    filters: ClaimFilters
    rows: list[ClaimRow]
    totals: ClaimRow
    money: bool
    scope_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"group_by": self.group_by, **self.filters.as_dict(), "areas": self.scope_codes,
                "money": self.money, "rows": [r.as_dict(money=self.money) for r in self.rows],
                "totals": self.totals.as_dict(money=self.money)}


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={name: [message]})


def _scope_distriks(actor: User) -> QuerySet[Region]:
    """The distrik in the actor's area, or holding part of it (a facilitator's kelurahan)."""
    codes = scope_for(actor).codes
    above = [".".join(c.split(".")[:3]) for c in codes if c.count(".") >= 3]
    return (Region.objects.filter(region_subtree_q(codes) | Q(code__in=above), level=Region.Level.DISTRICT)
            .order_by("code"))


def distrik_choices(*, actor: User) -> list[tuple[str, str]]:
    """(code, name) of the distrik the actor may filter on."""
    return [(r.code, r.name) for r in _scope_distriks(actor).only("code", "name")]


def payer_choices() -> list[tuple[str, str]]:
    """(code, name) of every payer, then "not a member"."""
    return ([(code, name) for code, name in Payer.objects.order_by("name").values_list("code", "name")]
            + [(NO_PAYER, str(_("Bukan peserta")))])


def claim_filters(*, actor: User, date_from: dt.date, date_to: dt.date, distrik: str = "", type: str = "",
                  payer: str = "") -> ClaimFilters:
    """Checked filters: a period of 1 to ``MAX_MONTHS`` whole months in order, a distrik in the
    actor's area, a known claim type and payer. Each refusal names its field."""
    date_from, date_to = month_start(date_from), month_start(date_to)
    if date_to < date_from:
        raise _invalid("to", _("Bulan akhir (%(to)s) sebelum bulan awal (%(from)s).") % {
            "to": format_month(date_to), "from": format_month(date_from)})
    filters = ClaimFilters(date_from, date_to, (distrik or "").strip(), (type or "").strip(), (payer or "").strip())
    if filters.months > MAX_MONTHS:
        raise _invalid("to", _("Rentang paling panjang %(n)s bulan; yang diminta %(m)s bulan.") % {
            "n": MAX_MONTHS, "m": filters.months})
    if filters.type and filters.type not in Claim.Type.values:
        raise _invalid("type", _("Jenis klaim tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Claim.Type.values)})
    if filters.distrik:
        if not DISTRIK_RE.fullmatch(filters.distrik):
            raise _invalid("distrik", _("Kode distrik harus berbentuk 96.71.01."))
        if not _scope_distriks(actor).filter(code=filters.distrik).exists():
            raise _invalid("distrik", _("Distrik %(code)s tidak ada di wilayah Anda.") % {"code": filters.distrik})
    if filters.payer and filters.payer != NO_PAYER and not Payer.objects.filter(code=filters.payer).exists():
        raise _invalid("payer", _("Pembayar %(code)s tidak dikenal.") % {"code": filters.payer[:40]})
    return filters


# What a row is keyed by: for the claims reported, the claims settled and the dues paid.
_REPORTED_KEY: dict[str, Any] = {"month": TruncMonth("event_date"), "distrik": F("person__kelurahan__parent__code"),
                 "type": F("type"), "payer": F("membership__payer__code")}
_SETTLED_KEY: dict[str, Any] = {**_REPORTED_KEY, "month": TruncMonth("settled_on")}
_DUES_KEY: dict[str, Any] = {"month": TruncMonth("paid_on"), "distrik": F("person__kelurahan__parent__code"),
             "payer": F("payer__code")}


def _key(value: Any) -> str:
    if value is None:
        return NO_PAYER
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return format_month(value)
    return str(value)


def _claims(actor: User, filters: ClaimFilters) -> QuerySet[Claim]:
    claims = claim_queryset(actor=actor)
    if filters.distrik:
        claims = claims.filter(person__kelurahan__parent__code=filters.distrik)
    if filters.type:
        claims = claims.filter(type=filters.type)
    if filters.payer == NO_PAYER:
        claims = claims.filter(membership__isnull=True)
    elif filters.payer:
        claims = claims.filter(membership__payer__code=filters.payer)
    return claims.order_by()


def _dues(actor: User, filters: ClaimFilters) -> QuerySet[Due]:
    dues = Due.objects.filter(person__in=person_queryset(actor=actor), status=Due.Status.PAID,
                              paid_on__gte=filters.start, paid_on__lt=filters.end)
    if filters.distrik:
        dues = dues.filter(person__kelurahan__parent__code=filters.distrik)
    if filters.payer == NO_PAYER:
        dues = dues.none()
    elif filters.payer:
        dues = dues.filter(payer__code=filters.payer)
    return dues.order_by()


def _rows(actor: User, group_by: str, filters: ClaimFilters, keys: set[str]) -> dict[str, ClaimRow]:
    """Every row the table lists, zeros included, in order (``keys``: those the figures found)."""
    if group_by == "month":
        return {format_month(m): ClaimRow(format_month(m), date_format(m, "M Y"))
                for m in (add_months(filters.date_from, i) for i in range(filters.months))}
    if group_by == "type":
        types = [filters.type] if filters.type else Claim.Type.values
        return {t: ClaimRow(t, str(Claim.Type(t).label)) for t in types}
    if group_by == "distrik":
        distriks = _scope_distriks(actor)
        if filters.distrik:
            distriks = distriks.filter(code=filters.distrik)
        return {code: ClaimRow(code, name) for code, name in distriks.values_list("code", "name")}
    wanted = (keys | {filters.payer}) - {NO_PAYER, ""}
    rows = {code: ClaimRow(code, name, kind) for code, name, kind in
            Payer.objects.filter(code__in=wanted).order_by("name").values_list("code", "name", "kind")}
    if NO_PAYER in keys or filters.payer == NO_PAYER or not filters.payer:
        rows[NO_PAYER] = ClaimRow(NO_PAYER, str(_("Bukan peserta")))
    return rows


def _summary(actor: User, group_by: str, filters: ClaimFilters, money: bool) -> ClaimSummary:
    claims = _claims(actor, filters)
    reported = (claims.filter(event_date__gte=filters.start, event_date__lt=filters.end)
                .values(k=_REPORTED_KEY[group_by])
                .annotate(reported=Count("id"),
                          open=Count("id", filter=Q(status__in=Claim.OPEN_STATUSES)),
                          paid=Count("id", filter=Q(status=Claim.Status.PAID)),
                          rejected=Count("id", filter=Q(status=Claim.Status.REJECTED)),
                          lapsed=Count("id", filter=Q(status=Claim.Status.LAPSED)),
                          unprotected=Count("id", filter=Q(protected_on_event_date=False))))
    settled = (claims.filter(settled_on__gte=filters.start, settled_on__lt=filters.end)
               .values(k=_SETTLED_KEY[group_by]).annotate(settled=Count("id"), benefits=Sum("paid_idr")))
    found: dict[str, ClaimRow] = {}
    for values in reported:
        row = found.setdefault(_key(values["k"]), ClaimRow(_key(values["k"]), _key(values["k"])))
        for name in ("reported", "open", "paid", "rejected", "lapsed", "unprotected"):
            setattr(row, name, values[name] or 0)
    for paid in settled:
        row = found.setdefault(_key(paid["k"]), ClaimRow(_key(paid["k"]), _key(paid["k"])))
        row.settled, row.benefits_idr = paid["settled"] or 0, int(paid["benefits"] or 0)
    contributions: dict[str, int] = {}
    total_contributions: int | None = None
    if money:
        dues = _dues(actor, filters)
        if group_by in _DUES_KEY:
            contributions = {_key(v["k"]): int(v["s"] or 0)
                             for v in dues.values(k=_DUES_KEY[group_by]).annotate(s=Sum("amount_idr"))}
            for key in contributions:
                found.setdefault(key, ClaimRow(key, key))
        else:
            total_contributions = int(dues.aggregate(s=Sum("amount_idr"))["s"] or 0)
    rows = _rows(actor, group_by, filters, set(found))
    for key, row in found.items():
        target = rows.setdefault(key, row)
        if target is not row:
            target.add(row)
    for key, row in rows.items():
        row.contributions_idr = contributions.get(key, 0) if group_by in _DUES_KEY else None
    totals = ClaimRow("total", str(_("Jumlah")))
    for row in rows.values():
        totals.add(row)
    if group_by not in _DUES_KEY:
        totals.contributions_idr = total_contributions or 0
    if not money:
        totals.contributions_idr = None
        for row in rows.values():
            row.contributions_idr, row.benefits_idr = None, 0
    return ClaimSummary(group_by=group_by, filters=filters, rows=list(rows.values()), totals=totals, money=money,
                        scope_codes=list(scope_for(actor).codes))


def claims_summary(*, actor: User, group_by: str, date_from: dt.date, date_to: dt.date, distrik: str = "",
                   type: str = "", payer: str = "") -> ClaimSummary:
    """The claims of the actor's area in a period, grouped by ``month``, ``distrik``, ``type`` or
    ``payer``, with totals; benefits and contributions only for ``money.read``. Needs ``claims.read``."""
    require(actor, "claims.read")
    if group_by not in GROUP_BY:
        raise _invalid("group_by", _("Pengelompokan tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(GROUP_BY)})
    filters = claim_filters(actor=actor, date_from=date_from, date_to=date_to, distrik=distrik, type=type,
                            payer=payer)
    return _summary(actor, group_by, filters, can(actor, "money.read"))


@dataclass
class ClaimsReport:
    """Every grouping of the claims report, for one set of filters."""

    filters: ClaimFilters
    money: bool
    groups: dict[str, ClaimSummary]

    @property
    def totals(self) -> ClaimRow:
        return self.groups["type"].totals

    @property
    def payers(self) -> list[ClaimRow]:
        """The payers whose members' families received benefits, or who paid contributions."""
        return [r for r in self.groups["payer"].rows
                if r.key != NO_PAYER and (r.benefits_idr or r.contributions_idr)] if self.money else []

    def as_dict(self) -> dict[str, Any]:
        return {**self.filters.as_dict(), "money": self.money,
                "groups": {name: summary.as_dict() for name, summary in self.groups.items()}}


def claims_report(*, actor: User, date_from: dt.date, date_to: dt.date, distrik: str = "", type: str = "",
                  payer: str = "") -> ClaimsReport:
    """The four groupings at once (the page and the workbook), the filters checked once."""
    require(actor, "claims.read")
    filters = claim_filters(actor=actor, date_from=date_from, date_to=date_to, distrik=distrik, type=type,
                            payer=payer)
    money = can(actor, "money.read")
    return ClaimsReport(filters=filters, money=money,
                        groups={name: _summary(actor, name, filters, money) for name in GROUP_BY})
