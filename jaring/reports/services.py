"""Writes of the reports app: its own snapshot tables, the coverage target, and audited exports.

The reports app reads every other app's tables and writes none of them (ARCHITECTURE §2).

Snapshot months are counted together in one set-based pass over the dues (``rebuild``), then each
month is copied into the snapshot tables with its facilitator counts. Re-running a month replaces
it (idempotent). Decision 0015 says what a snapshot holds; 0046 how it is counted at once, and how
a write's changed kelurahan are refreshed alone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Exists, Min, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import Role, User
from jaring.accounts.services import system_user
from jaring.contributions.selectors import EPOCH
from jaring.core.audit import audit_log
from jaring.core.errors import ValidationFailed
from jaring.core.money import add_months, format_month, month_range, month_start
from jaring.membership.models import Membership
from jaring.regions.models import Region
from jaring.registry.models import Household, Person
from jaring.reports import rebuild
from jaring.reports.models import (
    CoverageSnapshot,
    CoverageTarget,
    FacilitatorSnapshot,
    HouseholdSnapshot,
    SnapshotMark,
    SnapshotMonth,
)


def extreme_poverty_decile() -> int:
    """The highest welfare decile counted as extremely poor (a convention, not law: DOMAIN §3)."""
    return int(getattr(settings, "JARING_EXTREME_POVERTY_DECILE", 1))


@dataclass
class MonthResult:
    period: dt.date
    as_of: dt.date
    rows: int
    members: int
    protected: int
    at_risk: int
    lapsed: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"period": format_month(self.period), "as_of": self.as_of.isoformat(), "rows": self.rows,
                "members": self.members, "protected": self.protected, "at_risk": self.at_risk,
                "lapsed": self.lapsed, "seconds": round(self.seconds, 3)}


@dataclass
class RefreshResult:
    months: list[MonthResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"months": [m.as_dict() for m in self.months],
                "seconds": round(sum(m.seconds for m in self.months), 3)}


def snapshot_periods(*, period: dt.date | None = None, months: int | None = None,
                     today: dt.date | None = None) -> list[dt.date]:
    """The months to refresh: one ``period``, or the last ``months`` up to the running month."""
    today = today or timezone.localdate()
    current = month_start(today)
    if period is not None:
        period = month_start(period)
        if period > current:
            raise ValidationFailed(_("Bulan %(month)s belum dimulai.") % {"month": format_month(period)},
                                   fields={"period": [format_month(period)]})
        return [period]
    count = months or 1
    if not 1 <= count <= 120:
        raise ValidationFailed(_("Jumlah bulan harus 1 sampai 120."), fields={"months": [str(count)]})
    return month_range(add_months(current, 1 - count), count)


def snapshot_refresh(*, actor: User, period: dt.date | None = None, months: int | None = None,
                     today: dt.date | None = None, trigger: str = "manual") -> RefreshResult:
    """Rebuild the snapshot of one month (``period``) or of the last ``months`` months.

    The months are counted together, in one pass over the dues (``rebuild``; reads only), then
    each month is replaced whole in its own short transaction, with its audit event: a long
    backfill never holds the database's write lock for more than one month's copy. Marks of
    changed kelurahan (decision 0046) that this rebuild covers are cleared."""
    require(actor, "reports.snapshot")
    today = today or timezone.localdate()
    periods = snapshot_periods(period=period, months=months, today=today)
    upto = _last_mark()
    result = RefreshResult()
    for span in rebuild.spans([rebuild.month_for(p, today) for p in periods]):
        result.months += _refresh_span(actor, span, trigger)
    _marks_covered(upto, {m.period for m in result.months})
    return result


def _refresh_span(actor: User, span: list[rebuild.Month], trigger: str) -> list[MonthResult]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            rebuild.compute(cursor, span, decile=extreme_poverty_decile())
        share = (time.perf_counter() - started) / len(span)
        return [_write_month(actor, i, month, share, trigger) for i, month in enumerate(span)]
    finally:
        _drop_temporary()


def _drop_temporary() -> None:
    """The pass's temporary tables, gone; after a failure inside a transaction they go with its
    rollback, and the failure is what the caller sees."""
    try:
        with connection.cursor() as cursor:
            rebuild.drop(cursor)
    except DatabaseError:
        if not connection.in_atomic_block:
            raise


_COPY_COVERAGE = """INSERT INTO reports_coveragesnapshot (period, kelurahan_id, payer_kind, occupation_id, sex,
                                          members, protected, at_risk, lapsed)
SELECT %s, kelurahan_id, payer_kind, occupation_id, sex, members, protected, at_risk, lapsed
FROM snap_cov WHERE i = %s"""
_COPY_HOUSEHOLDS = """INSERT INTO reports_householdsnapshot (period, kelurahan_id, decile1_households,
                                           decile1_protected)
SELECT %s, kelurahan_id, households, protected FROM snap_hh WHERE i = %s"""


def _write_month(actor: User, i: int, month: rebuild.Month, share: float, trigger: str) -> MonthResult:
    started = time.perf_counter()
    period = month.period
    with transaction.atomic():
        CoverageSnapshot.objects.filter(period=period).delete()
        HouseholdSnapshot.objects.filter(period=period).delete()
        FacilitatorSnapshot.objects.filter(period=period).delete()
        with connection.cursor() as cursor:
            cursor.execute(_COPY_COVERAGE, [period, i])
            cursor.execute(_COPY_HOUSEHOLDS, [period, i])
        _facilitator_month(period, add_months(period, 1))
        totals = CoverageSnapshot.objects.filter(period=period).aggregate(
            rows=Count("id"), members=Sum("members"), protected=Sum("protected"), at_risk=Sum("at_risk"),
            lapsed=Sum("lapsed"))
        seconds = share + time.perf_counter() - started
        result = MonthResult(period=period, as_of=month.as_of, rows=totals["rows"], members=totals["members"] or 0,
                             protected=totals["protected"] or 0, at_risk=totals["at_risk"] or 0,
                             lapsed=totals["lapsed"] or 0, seconds=seconds)
        SnapshotMonth.objects.update_or_create(period=period, defaults={
            "as_of": month.as_of, "refreshed_at": timezone.now(), "seconds": seconds, "refreshed_by": actor})
        audit_log(actor=actor, action="reports.snapshot", object_type="reports.snapshotmonth",
                  object_id=format_month(period), after={**result.as_dict(), "trigger": trigger})
    return result


# --- Marks and the refresh of what changed (decision 0046) --------------------------------------

_MARK_PERSONS = """INSERT INTO reports_snapshotmark (kelurahan_id, since, marked_at)
SELECT k.kelurahan_id, {since}, %s FROM (
    SELECT pe.kelurahan_id FROM registry_person pe WHERE pe.id IN ({ids})
    UNION SELECT h.kelurahan_id FROM registry_person pe JOIN registry_household h ON h.id = pe.household_id
    WHERE pe.id IN ({ids})) k"""
_MARK_HOUSEHOLDS = """INSERT INTO reports_snapshotmark (kelurahan_id, since, marked_at)
SELECT DISTINCT h.kelurahan_id, {since}, %s FROM registry_household h WHERE h.id IN ({ids})"""


def snapshot_mark(kind: str, rows: Any, since: dt.date | None = None) -> None:
    """``core.touched``'s listener (registered in ``ReportsConfig.ready``): note as changed from
    ``since`` on (``None``: every month) the kelurahan of ``rows`` — persons (their kelurahan and
    their households') or households, as a queryset of ids or the ids. One ``INSERT … SELECT`` in
    the caller's transaction (500 ids a statement when given ids). Bookkeeping without an audit
    event: the caller's event says what changed, the refresh has its own."""
    sql = _MARK_PERSONS if kind == "persons" else _MARK_HOUSEHOLDS
    if hasattr(rows, "query"):
        inner, params = rows.order_by().query.sql_with_params()
        copies = 2 if kind == "persons" else 1
        with connection.cursor() as cursor:
            # (PostgreSQL types a bare NULL as text; SQLite would read CAST(… AS DATE) as a number.)
            day = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
            cursor.execute(sql.format(ids=inner, since=day), [since, timezone.now(), *(list(params) * copies)])
        return
    ids = sorted({int(r) for r in rows})
    model = Person if kind == "persons" else Household
    for start in range(0, len(ids), 500):
        snapshot_mark(kind, model.objects.filter(pk__in=ids[start:start + 500]).values("pk"), since)


def _last_mark() -> int:
    return SnapshotMark.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _marks_covered(upto: int, periods: set[dt.date]) -> None:
    """Clear the marks up to ``upto`` whose months a rebuild of ``periods`` has counted again: all of
    them when every snapshot month was rebuilt, else those dated after the last month's day left."""
    if not upto:
        return
    left = SnapshotMonth.objects.exclude(period__in=periods).order_by("-as_of").values_list("as_of", flat=True).first()
    marks = SnapshotMark.objects.filter(pk__lte=upto)
    if left is not None:
        marks = marks.filter(since__gt=left)
    marks.delete()


@dataclass
class TouchedResult:
    months: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"months": self.months, "seconds": round(self.seconds, 3)}


def snapshot_refresh_touched(*, actor: User, today: dt.date | None = None, trigger: str = "touched") -> TouchedResult:
    """Refresh what the marks say changed: for each kelurahan marked, the snapshot months counted as
    of its earliest ``since`` or later; then delete the marks read (marks added meanwhile stay)."""
    require(actor, "reports.snapshot")
    upto = _last_mark()
    if not upto:
        return TouchedResult()
    since = dict(SnapshotMark.objects.filter(pk__lte=upto).order_by().values_list("kelurahan_id")
                 .annotate(first=Min(Coalesce("since", Value(EPOCH)))).values_list("kelurahan_id", "first"))
    pairs: dict[dt.date, list[int]] = {}
    for month in SnapshotMonth.objects.order_by("period"):
        kelurahan = sorted(k for k, day in since.items() if day <= month.as_of)
        if kelurahan:
            pairs[month.period] = kelurahan
    result = snapshot_refresh_areas(actor=actor, pairs=pairs, today=today, trigger=trigger)
    SnapshotMark.objects.filter(pk__lte=upto).delete()
    return result


def snapshot_refresh_areas(*, actor: User, pairs: dict[dt.date, list[int]], today: dt.date | None = None,
                           trigger: str = "touched") -> TouchedResult:
    """Replace only the rows of the given (month, kelurahan) pairs (``{period: [kelurahan id, …]}``)
    in months that have a snapshot, each month counted as of the day its snapshot is (so its rows
    stay of one day). Other rows are not rewritten. One audit event per month, naming the kelurahan.
    Facilitator figures are not per kelurahan: the nightly rebuild refreshes them."""
    require(actor, "reports.snapshot")
    today = today or timezone.localdate()
    started = time.perf_counter()
    known = {m.period: m.as_of for m in SnapshotMonth.objects.filter(period__in=list(pairs))}
    wanted = {month_start(p): sorted({int(k) for k in ks}) for p, ks in pairs.items() if ks}
    months = [rebuild.month_for(p, today, as_of=known[p]) for p in sorted(wanted) if p in known]
    result = TouchedResult()
    for span in rebuild.spans(months):
        kelurahan = sorted({k for m in span for k in wanted[m.period]})
        try:
            with connection.cursor() as cursor:
                rebuild.compute(cursor, span, decile=extreme_poverty_decile(), kelurahan_ids=kelurahan)
            for i, month in enumerate(span):
                result.months.append(_write_areas(actor, i, month, wanted[month.period], trigger))
        finally:
            _drop_temporary()
    result.seconds = time.perf_counter() - started
    return result


def _write_areas(actor: User, i: int, month: rebuild.Month, kelurahan: list[int], trigger: str) -> dict[str, Any]:
    period = month.period
    ids = ", ".join(str(k) for k in kelurahan)
    with transaction.atomic():
        CoverageSnapshot.objects.filter(period=period, kelurahan_id__in=kelurahan).delete()
        HouseholdSnapshot.objects.filter(period=period, kelurahan_id__in=kelurahan).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"{_COPY_COVERAGE} AND kelurahan_id IN ({ids})", [period, i])
            cursor.execute(f"{_COPY_HOUSEHOLDS} AND kelurahan_id IN ({ids})", [period, i])
        totals = CoverageSnapshot.objects.filter(period=period, kelurahan_id__in=kelurahan).aggregate(
            rows=Count("id"), members=Sum("members"), protected=Sum("protected"), at_risk=Sum("at_risk"),
            lapsed=Sum("lapsed"))
        codes = sorted(Region.objects.filter(pk__in=kelurahan).values_list("code", flat=True))
        after = {"period": format_month(period), "as_of": month.as_of.isoformat(), "kelurahan": codes,
                 **{k: v or 0 for k, v in totals.items()}, "trigger": trigger}
        audit_log(actor=actor, action="reports.snapshot", object_type="reports.snapshotmonth",
                  object_id=format_month(period), after=after)
    return after


def _month_bounds(period: dt.date, next_month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month in the office's time zone, as aware datetimes (timestamps are stored in UTC)."""
    zone = timezone.get_current_timezone()
    return (dt.datetime.combine(period, dt.time.min, tzinfo=zone),
            dt.datetime.combine(next_month, dt.time.min, tzinfo=zone))


def _facilitator_month(period: dt.date, next_month: dt.date) -> None:
    ids = list(User.objects.filter(role=Role.FACILITATOR).values_list("id", flat=True))
    if not ids:
        return
    start, end = _month_bounds(period, next_month)
    made_by_facilitators = {"created_by__role": Role.FACILITATOR, "created_at__gte": start, "created_at__lt": end}
    registrations = dict(Person.objects.filter(**made_by_facilitators)
                         .order_by().values_list("created_by_id").annotate(n=Count("id")))
    enrolments = dict(Membership.objects.filter(**made_by_facilitators)
                      .order_by().values_list("created_by_id").annotate(n=Count("id")))
    FacilitatorSnapshot.objects.bulk_create([
        FacilitatorSnapshot(period=period, facilitator_id=i, registrations=registrations.get(i, 0),
                            enrolments=enrolments.get(i, 0)) for i in ids])



def snapshot_refresh_if_stale(*, viewer: User, today: dt.date | None = None) -> list[dt.date]:
    """What the dashboard does when opened: refresh the running month if its snapshot is older than
    ``JARING_SNAPSHOT_MAX_AGE`` seconds, and the month before if it was last refreshed before it ended;
    then the kelurahan and months that writes marked as changed (decision 0046).

    Only when that is cheap: a month whose last refresh took longer than
    ``JARING_SNAPSHOT_INLINE_SECONDS`` is left to the scheduled ``jaring reports snapshot`` (a
    national deployment), and the page says how old its figures are. Runs as the system user (a
    viewer may be an auditor who changes nothing); the audit event names the viewer. One query
    when fresh."""
    if not getattr(settings, "JARING_SNAPSHOT_REFRESH_ON_VIEW", True):
        return []
    today = today or timezone.localdate()
    current = month_start(today)
    previous = add_months(current, -1)
    rows = {r.period: r for r in SnapshotMonth.objects.filter(period__in=[previous, current])
            .annotate(marked=Exists(SnapshotMark.objects.all()))}
    max_age = dt.timedelta(seconds=int(getattr(settings, "JARING_SNAPSHOT_MAX_AGE", 900)))
    inline = float(getattr(settings, "JARING_SNAPSHOT_INLINE_SECONDS", 2.0))
    now = timezone.now()
    stale = []
    row = rows.get(current)
    if row is None or now - row.refreshed_at > max_age:
        stale.append(current)
    row = rows.get(previous)
    if row is not None and row.as_of < current - dt.timedelta(days=1):
        stale.insert(0, previous)
    marked = any(r.marked for r in rows.values())
    cost = max((r.seconds for r in rows.values()), default=0.0)
    if not (stale or marked) or cost > inline:
        return []
    actor = system_user()
    trigger = f"dashboard:{viewer.username}"
    for period in stale:
        snapshot_refresh(actor=actor, period=period, today=today, trigger=trigger)
    if marked:
        snapshot_refresh_touched(actor=actor, today=today, trigger=trigger)
    return stale


@transaction.atomic
def coverage_target_set(*, actor: User, year: int, workers: int, source: str) -> CoverageTarget:
    """Set (or change) the number of workers the region means to protect in a year."""
    require(actor, "reports.target")
    errors: dict[str, list[str]] = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("Tahun tidak masuk akal.")]
    if int(workers) <= 0:
        errors["workers"] = [_("Target harus lebih dari nol.")]
    if not (source or "").strip():
        errors["source"] = [_("Sebutkan dokumen sumber target (mis. RPJMD, SK Wali Kota).")]
    if errors:
        raise ValidationFailed(_("Target tidak dapat disimpan."), fields=errors)
    target = CoverageTarget.objects.select_for_update().filter(year=year).first()
    before = {"workers": target.workers, "source": target.source} if target else None
    if target is None:
        target = CoverageTarget(year=year)
    target.workers, target.source, target.set_by = int(workers), source.strip(), actor
    target.save()
    audit_log(actor=actor, action="reports.target_set", obj=target, before=before,
              after={"year": year, "workers": target.workers, "source": target.source})
    return target


@dataclass
class DashboardExport:
    content: bytes
    filename: str


@transaction.atomic
def dashboard_export(*, actor: User, period: dt.date | None = None) -> DashboardExport:
    """Every table of the dashboard as one XLSX workbook, for the actor's area. Audited."""
    from jaring.reports.exports import dashboard_workbook
    from jaring.reports.selectors import dashboard

    figures = dashboard(actor=actor, period=period)
    content = dashboard_workbook(figures)
    audit_log(actor=actor, action="reports.export", object_type="reports.dashboard",
              object_id=format_month(figures.period),
              after={"period": format_month(figures.period), "format": "xlsx", "areas": figures.scope_codes,
                     "poverty": figures.decile is not None})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return DashboardExport(content=content, filename=f"dasbor-cakupan-{format_month(figures.period)}-{stamp}.xlsx")


@dataclass
class ClaimsExport:
    content: bytes
    filename: str


@transaction.atomic
def claims_export(*, actor: User, date_from: dt.date, date_to: dt.date, distrik: str = "", type: str = "",
                  payer: str = "") -> ClaimsExport:
    """The claims report of the actor's area as one XLSX workbook, with its audit event
    (``reports.export``, like the dashboard's)."""
    from jaring.claims.figures import claims_report
    from jaring.reports.exports import claims_workbook

    report = claims_report(actor=actor, date_from=date_from, date_to=date_to, distrik=distrik, type=type,
                           payer=payer)
    content = claims_workbook(report)
    span = f"{format_month(report.filters.date_from)}..{format_month(report.filters.date_to)}"
    audit_log(actor=actor, action="reports.export", object_type="reports.claims", object_id=span,
              after={**report.filters.as_dict(), "format": "xlsx", "money": report.money,
                     "areas": report.groups["type"].scope_codes})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ClaimsExport(content=content, filename=f"laporan-klaim-{format_month(report.filters.date_from)}-"
                                                  f"{format_month(report.filters.date_to)}-{stamp}.xlsx")
