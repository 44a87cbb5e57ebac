"""Writes of the reports app: its own snapshot tables, the coverage target, and audited exports.

The reports app reads every other app's tables and writes none of them (ARCHITECTURE §2).

A snapshot month is rebuilt whole, set-based: one ``INSERT … SELECT … GROUP BY`` for the coverage
counts, one for the extremely poor households, two small grouped counts for the facilitators.
Re-running a month replaces it (idempotent). Decision 0015 says what a snapshot holds.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import Role, User
from jaring.accounts.services import system_user
from jaring.contributions.selectors import arrears_run_sql, arrears_run_values, max_arrears_months
from jaring.core.audit import audit_log
from jaring.core.errors import ValidationFailed
from jaring.core.money import add_months, format_month, month_range, month_start
from jaring.membership.models import Membership
from jaring.registry.models import Person
from jaring.reports.models import (
    CoverageSnapshot,
    CoverageTarget,
    FacilitatorSnapshot,
    HouseholdSnapshot,
    SnapshotMonth,
)

# Members are the month's dues. Protected is rules.protection's one definition, counted in SQL: the
# membership had started and not ended on the day, and had no month in arrears then (the latest
# past-due month paid as known on the day) — so the running month counts while it is paid *or not yet
# due*, and a past month counts when it was paid by its last day (rebuilding it later gives the same
# count). At risk are memberships with 1 up to the allowed months in arrears as of the day; "in
# arrears" is contributions.selectors.ARREARS_RUN_SQL, the one definition billing_close, the at-risk
# list and rules.protection read. Lapsed are memberships billing_close ended for arrears in the month.
#
# The runs look only at the last (limit + 2) months before the month and the month itself: dues are
# billed every month, so a membership whose unpaid run starts earlier has more than ``limit``
# unpaid months inside that window and is lapsing, not at risk — exactly as if all were counted.
# (So the last paid month is looked for inside the window too: one paid before it makes no difference.)
#
# "No arrears run" is a LEFT JOIN to the runs (``nr.membership_id IS NULL``), never a NOT EXISTS
# inside the CASE: PostgreSQL would run that as a correlated subplan scanning the runs once per due.
# The runs are counted once a month into a temporary table that both statements read.
_RUNS = "reports_snapshot_runs"
_RUNS_CREATE = (f"CREATE TEMPORARY TABLE {_RUNS} AS SELECT r.membership_id, COUNT(*) AS n FROM ("  # noqa: S608
                + arrears_run_sql() + ") r GROUP BY r.membership_id")
_RUNS_INDEX = f"CREATE INDEX {_RUNS}_m ON {_RUNS} (membership_id)"
_RUNS_DROP = f"DROP TABLE IF EXISTS {_RUNS}"
_PROTECTED = """(m.status IN ('active', 'ended') AND m.start_date <= %(as_of)s
                  AND (m.ended_on IS NULL OR m.ended_on >= %(as_of)s) AND nr.membership_id IS NULL)"""
_COVERAGE_SQL = """
INSERT INTO reports_coveragesnapshot (period, kelurahan_id, payer_kind, occupation_id, sex,
                                      members, protected, at_risk, lapsed)
SELECT %(period)s, pe.kelurahan_id, pa.kind, pe.occupation_id, pe.sex,
       SUM(x.members), SUM(x.protected), SUM(x.at_risk), SUM(x.lapsed)
FROM (
    SELECT d.person_id, d.payer_id, 1 AS members,
           CASE WHEN {protected} THEN 1 ELSE 0 END AS protected, 0 AS at_risk, 0 AS lapsed
    FROM contributions_due d JOIN membership_membership m ON m.id = d.membership_id
         LEFT JOIN reports_snapshot_runs nr ON nr.membership_id = m.id
    WHERE d.period = %(period)s AND d.status <> 'void'
  UNION ALL
    SELECT m.person_id, m.payer_id, 0, 0, 1, 0
    FROM membership_membership m JOIN reports_snapshot_runs r ON r.membership_id = m.id AND r.n <= %(limit)s
    WHERE m.start_date <= %(as_of)s AND m.status IN ('active', 'ended')
      AND (m.ended_on IS NULL OR m.ended_on > %(as_of)s)
  UNION ALL
    SELECT m.person_id, m.payer_id, 0, 0, 0, 1
    FROM membership_membership m
    WHERE m.end_reason = 'arrears' AND m.ended_on >= %(period)s AND m.ended_on <= %(as_of)s
) x
JOIN registry_person pe ON pe.id = x.person_id
JOIN membership_payer pa ON pa.id = x.payer_id
GROUP BY pe.kelurahan_id, pa.kind, pe.occupation_id, pe.sex
""".replace("{protected}", _PROTECTED)

# Households of the extremely poor deciles, and those with a member protected (the same rule).
# ``d.status <> 'void'`` lets SQLite use the partial (person, period) index of one_payer_per_person_month.
_HOUSEHOLD_SQL = """WITH covered AS (
    SELECT DISTINCT pe.household_id
    FROM contributions_due d JOIN membership_membership m ON m.id = d.membership_id
         JOIN registry_person pe ON pe.id = d.person_id
         LEFT JOIN reports_snapshot_runs nr ON nr.membership_id = m.id
    WHERE d.period = %(period)s AND d.status <> 'void' AND pe.household_id IS NOT NULL AND {protected})
INSERT INTO reports_householdsnapshot (period, kelurahan_id, decile1_households, decile1_protected)
SELECT %(period)s, h.kelurahan_id, COUNT(*), SUM(CASE WHEN c.household_id IS NULL THEN 0 ELSE 1 END)
FROM registry_household h LEFT JOIN covered c ON c.household_id = h.id
WHERE h.welfare_decile IS NOT NULL AND h.welfare_decile <= %(decile)s
GROUP BY h.kelurahan_id
""".replace("{protected}", _PROTECTED)


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

    Each month is replaced whole in its own transaction, with its audit event: a long backfill never
    holds the database's write lock for more than one month's statements."""
    require(actor, "reports.snapshot")
    today = today or timezone.localdate()
    result = RefreshResult()
    for month in snapshot_periods(period=period, months=months, today=today):
        result.months.append(_refresh_month(actor, month, today, trigger))
    return result


def _refresh_month(actor: User, period: dt.date, today: dt.date, trigger: str) -> MonthResult:
    started = time.perf_counter()
    next_month = add_months(period, 1)
    as_of = min(today, next_month - dt.timedelta(days=1))
    limit = max_arrears_months(as_of)
    values = {**arrears_run_values(as_of, window=add_months(period, -(limit + 2))), "period": period,
              "limit": limit, "decile": extreme_poverty_decile()}
    with transaction.atomic():
        CoverageSnapshot.objects.filter(period=period).delete()
        HouseholdSnapshot.objects.filter(period=period).delete()
        FacilitatorSnapshot.objects.filter(period=period).delete()
        with connection.cursor() as cursor:
            cursor.execute(_RUNS_DROP)
            cursor.execute(_RUNS_CREATE, values)
            cursor.execute(_RUNS_INDEX)
            cursor.execute(_COVERAGE_SQL, values)
            cursor.execute(_HOUSEHOLD_SQL, values)
            cursor.execute(_RUNS_DROP)
        _facilitator_month(period, next_month)
        totals = CoverageSnapshot.objects.filter(period=period).aggregate(
            rows=Count("id"), members=Sum("members"), protected=Sum("protected"), at_risk=Sum("at_risk"),
            lapsed=Sum("lapsed"))
        seconds = time.perf_counter() - started
        month = MonthResult(period=period, as_of=as_of, rows=totals["rows"], members=totals["members"] or 0,
                            protected=totals["protected"] or 0, at_risk=totals["at_risk"] or 0,
                            lapsed=totals["lapsed"] or 0, seconds=seconds)
        SnapshotMonth.objects.update_or_create(period=period, defaults={
            "as_of": as_of, "refreshed_at": timezone.now(), "seconds": seconds, "refreshed_by": actor})
        audit_log(actor=actor, action="reports.snapshot", object_type="reports.snapshotmonth",
                  object_id=format_month(period), after={**month.as_dict(), "trigger": trigger})
    return month


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
    ``JARING_SNAPSHOT_MAX_AGE`` seconds, and the month before if it was last refreshed before it ended.

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
    rows = {r.period: r for r in SnapshotMonth.objects.filter(period__in=[previous, current])}
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
    cost = max((r.seconds for r in rows.values()), default=0.0)
    if not stale or cost > inline:
        return []
    actor = system_user()
    for period in stale:
        snapshot_refresh(actor=actor, period=period, today=today, trigger=f"dashboard:{viewer.username}")
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
