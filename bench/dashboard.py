"""The coverage dashboard at scale: ``size`` persons, ``size / 2`` memberships, 24 months of dues
(``12 × size`` rows: 12,000,000 at the default size).

Figures (one JSON line each):
- ``dashboard.build``: writing the data set (set-based SQL; not Jaring's code);
- ``dashboard.snapshot``: ``snapshot_refresh`` of all 24 months in one pass (what the nightly CLI
  run does), beside the per-month statements of before (``reports.legacy``: 24 passes) timed in
  the same run — above ``LEGACY_MAX_SIZE`` persons they would take too long, and the baseline is
  the README's measured 323 s at 1,000,000 persons (SQLite); the running month alone rides along;
- ``dashboard.snapshot_touched``: after one late payment applied from BPJSTK's payment file (paid
  three months ago), ``snapshot_refresh_touched`` refreshing only its kelurahan and months, beside
  the per-month statements of before for those months (measured, or scaled from 323 s);
- ``dashboard``: the page's server time for an admin (whole city) through Django's test client —
  middleware, selectors, SVG charts, template — median of repeated requests, with its query count;
  the baseline computes the same headline figures live from the dues, without the snapshot (the
  running month's breakdown, its decile-1 indicator and a members/protected trend over 24 months);
- ``dashboard.facilitator``: the same page for a facilitator (one kelurahan).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import time

from bench.harness import django_home, emit, progress, summary_ms

MONTHS = 24
LEGACY_MAX_SIZE = 200_000  # above it the per-month statements are not re-run (323 s at 1,000,000)
README_LEGACY_SECONDS = 323.0


def _month(today: dt.date, back: int) -> dt.date:
    from jaring.core.money import add_months, month_start

    return add_months(month_start(today), -back)


def build(size: int, today: dt.date) -> dict[str, int]:
    """Households, persons, memberships and 24 months of dues, written set-based."""
    from django.db import connection, transaction
    from django.utils import timezone

    from jaring.membership.models import FUNDING_FROM_KIND, Payer
    from jaring.regions.models import Region
    from jaring.registry.models import Occupation

    kelurahan = list(Region.objects.filter(level="kelurahan").values_list("id", flat=True))
    occupations = list(Occupation.objects.values_list("id", flat=True))
    payers = {kind: Payer.objects.create(code=kind.upper(), name=kind, kind=kind,
                                         funding_source=FUNDING_FROM_KIND[kind]).pk
              for kind in ("self", "government_city", "government_province")}
    now = timezone.now()
    households = max(1, size // 4)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -1000000")
        cursor.executemany(
            "INSERT INTO registry_household (address, kelurahan_id, welfare_decile, decile_source, pkh_beneficiary,"
            " data_source, created_at, updated_at) VALUES ('', %s, %s, 'P3KE', FALSE, 'P3KE', %s, %s)",
            [(kelurahan[i % len(kelurahan)], i % 10 + 1, now, now) for i in range(households)])
        cursor.execute("SELECT MIN(id) FROM registry_household")
        first_household = cursor.fetchone()[0]
        sql = ("INSERT INTO registry_person (nik_encrypted, nik_index, full_name, name_key, name_key_last,"
               " birth_place, birth_date, sex, relationship, household_id, kelurahan_id, phone, occupation_id,"
               " transport_sector, disability, consent_basis, data_source, confirmed_warnings, created_at,"
               " updated_at) VALUES (%s, %s, %s, %s, %s, '', %s, %s, '', %s, %s, '', %s, FALSE, 'none', '',"
               " 'P3KE', '[]', %s, %s)")
        batch = []
        for i in range(size):
            h = i // 4
            batch.append((os.urandom(8), f"{i:064x}", f"Pekerja {i}", f"pekerja {i}", f"{i} pekerja",
                          dt.date(1980, 1, 1), "F" if i % 2 else "M", first_household + h,
                          kelurahan[h % len(kelurahan)], occupations[i % len(occupations)], now, now))
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch.clear()
                progress(f"persons: {i + 1:,}")
        if batch:
            cursor.executemany(sql, batch)
        oldest = _month(today, MONTHS - 1)
        # Every second person is a member: a third self-paid, a third city, a third province; one in
        # forty ended for arrears in one of the months.
        cursor.execute(
            "INSERT INTO membership_membership (person_id, payer_id, has_jht, declared_income_idr, sector,"
            " status, start_date, end_reason, created_at) SELECT p.id,"
            " CASE p.id %% 3 WHEN 0 THEN %s WHEN 1 THEN %s ELSE %s END, FALSE, 1000000, 'other',"
            " CASE WHEN p.id %% 40 = 0 THEN 'ended' ELSE 'active' END, %s,"
            " CASE WHEN p.id %% 40 = 0 THEN 'arrears' ELSE '' END, %s FROM registry_person p WHERE p.id %% 2 = 0",
            [payers["self"], payers["government_city"], payers["government_province"], oldest, now])
        months = [_month(today, back) for back in range(MONTHS - 1, -1, -1)]
        for i, period in enumerate(months):
            cursor.execute("UPDATE membership_membership SET ended_on = %s WHERE status = 'ended' AND id %% 24 = %s",
                           [period.replace(day=16), i])
        # (SQLite would read CAST('2026-01-01' AS DATE) as the number 2026: dates stay text there.)
        day = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
        values = ", ".join([f"(CAST(%s AS INTEGER), {day}, {day}, {day})"] * MONTHS)
        params: list[object] = []
        for i, period in enumerate(months):
            params += [i, period, period.replace(day=15), period.replace(day=25)]
        cursor.execute("SELECT MIN(id), MAX(id) FROM membership_membership")
        low, high = cursor.fetchone()
        step = 40_000
        # One in ten dues unpaid, one in seven paid ten days late; the running month half paid.
        for start in range(low, high + 1, step):
            cursor.execute(
                f"WITH mo (i, period, due, late) AS (VALUES {values})"
                " INSERT INTO contributions_due (membership_id, person_id, payer_id, period, amount_idr,"
                " base_amount_idr, discount_code, due_date, status, paid_on, created_at)"
                " SELECT m.id, m.person_id, m.payer_id, mo.period, 16800, 16800, '', mo.due,"
                " CASE WHEN (m.id + mo.i) %% 10 = 0 OR (mo.i = %s AND m.id %% 2 = 0) THEN 'open' ELSE 'paid' END,"
                " CASE WHEN (m.id + mo.i) %% 10 = 0 OR (mo.i = %s AND m.id %% 2 = 0) THEN NULL"
                "      WHEN m.id %% 7 = 0 THEN mo.late ELSE mo.due END, %s"
                " FROM membership_membership m CROSS JOIN mo"
                " WHERE m.id >= %s AND m.id < %s AND (m.ended_on IS NULL OR mo.period <= m.ended_on)"
                " ORDER BY m.id, mo.period",
                [*params, MONTHS - 1, MONTHS - 1, now, start, start + step])
            progress(f"dues: memberships {min(start + step, high + 1) - low:,} of {high - low + 1:,}")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM contributions_due")
        dues = cursor.fetchone()[0]
    return {"households": households, "dues": dues}


def users() -> tuple[object, object]:
    from jaring.accounts.services import user_create
    from jaring.regions.models import Region

    admin = user_create(actor=None, username="bench_admin", name="Admin", role="admin", password=None,
                        areas=["96.71"])
    codes = list(Region.objects.filter(level="kelurahan").order_by("code").values_list("code", flat=True))
    facilitators = [user_create(actor=None, username=f"pendamping_{i}", name=f"Pendamping {i}", role="facilitator",
                                password=None, areas=[code]) for i, code in enumerate(codes[:30])]
    return admin, facilitators[0]


def live_seconds(today: dt.date) -> float:
    """The same headline figures counted from the dues, without the snapshot: the running month's
    rows by the per-month statements, and the members/protected trend."""
    from django.db import connection

    from jaring.core.money import add_months, month_start
    from jaring.reports import legacy

    period = month_start(today)
    started = time.perf_counter()
    legacy.month_rows(period, today, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT d.period, COUNT(*), SUM(CASE WHEN d.status = 'paid' THEN 1 ELSE 0 END)"
                       " FROM contributions_due d WHERE d.period >= %s AND d.status <> 'void' GROUP BY d.period",
                       [add_months(period, -(MONTHS - 1))])
        cursor.fetchall()
    return time.perf_counter() - started


def legacy_seconds(today: dt.date) -> dict[dt.date, float]:
    """Each of the 24 months counted by the per-month statements of before, timed month by month."""
    from jaring.reports import legacy
    from jaring.reports.rebuild import month_for

    times = {}
    for back in range(MONTHS - 1, -1, -1):
        month = month_for(_month(today, back), today)
        started = time.perf_counter()
        legacy.month_rows(month.period, month.as_of, 1)
        times[month.period] = time.perf_counter() - started
        progress(f"per-month statements: {month.period:%Y-%m} {times[month.period]:.1f} s")
    return times


def late_payment(actor: object, today: dt.date) -> tuple[int, dt.date]:
    """One open due of three months ago paid on its due date, as BPJSTK's payment file reports it."""
    from jaring.contributions.models import Due
    from jaring.contributions.services import StatementPayment, statement_payments_apply

    due = Due.objects.filter(status="open", period=_month(today, 3)).order_by("pk").first()
    assert due is not None
    statement_payments_apply(actor=actor, payments=[StatementPayment(  # type: ignore[arg-type]
        due_id=due.pk, membership_id=due.membership_id, amount_idr=due.amount_idr, paid_on=due.due_date,
        channel="bpjstk_office", reference="BENCH-LATE-1")])
    return due.pk, due.due_date


def time_page(user: object, repeats: int = 15) -> tuple[list[float], int, int, int]:
    from django.db import connection

    from jaring.accounts.testing import OtpClient

    client = OtpClient()  # the admin's login comes with a verified second factor, as in the tests
    client.force_login(user)
    for _ in range(2):
        response = client.get("/dasbor/")
        assert response.status_code == 200, response.status_code
    statements: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get("/dasbor/")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get("/dasbor/")
        times.append(time.perf_counter() - started)
    return times, len(statements), len(response.content), len(gzip.compress(response.content))


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url) as home:
        os.makedirs(os.path.join(home, "static"), exist_ok=True)  # whitenoise looks for it
        from django.db import connection
        from django.utils import timezone

        from jaring.accounts.services import system_user
        from jaring.reports.models import SnapshotMark
        from jaring.reports.services import snapshot_refresh, snapshot_refresh_touched

        today = timezone.localdate()
        started = time.perf_counter()
        counts = build(size, today)
        emit("dashboard.build", size, time.perf_counter() - started, rows=counts["dues"], database=connection.vendor,
             dues=counts["dues"], households=counts["households"])
        admin, facilitator = users()
        actor = system_user()
        started, cpu = time.perf_counter(), time.process_time()
        result = snapshot_refresh(actor=actor, months=MONTHS, trigger="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        current = snapshot_refresh(actor=actor, months=1, trigger="bench").months[0]
        if size <= LEGACY_MAX_SIZE:
            per_month = legacy_seconds(today)
            baseline, label = sum(per_month.values()), "the per-month statements of before, 24 passes, this run"
        else:
            per_month = {}
            baseline = README_LEGACY_SECONDS
            label = "README: the per-month rebuild before, 1,000,000 persons, SQLite (323 s; not re-run)"
        emit("dashboard.snapshot", size, seconds, rows=counts["dues"], baseline_seconds=baseline, baseline=label,
             database=connection.vendor, months=MONTHS, snapshot_rows=sum(m.rows for m in result.months),
             process_cpu_seconds=round(cpu, 3), load_average=os.getloadavg()[0],
             running_month_seconds=round(current.seconds, 3), protected_now=current.protected,
             members_now=current.members, at_risk_now=current.at_risk)
        due_id, paid_on = late_payment(admin, today)
        marks = SnapshotMark.objects.count()
        started = time.perf_counter()
        touched = snapshot_refresh_touched(actor=actor, trigger="bench")
        touched_seconds = time.perf_counter() - started
        periods = [m["period"] for m in touched.months]
        kelurahan = sorted({k for m in touched.months for k in m["kelurahan"]})
        if per_month:
            before = sum(t for p, t in per_month.items() if f"{p:%Y-%m}" in periods)
            label = f"the per-month statements of before for the {len(periods)} months touched, this run"
        else:
            before = README_LEGACY_SECONDS * len(periods) / MONTHS
            label = f"README's 323 s per 24 months, scaled to the {len(periods)} months touched"
        emit("dashboard.snapshot_touched", size, touched_seconds, baseline_seconds=before, baseline=label,
             database=connection.vendor, due=due_id, paid_on=paid_on.isoformat(), marks=marks, months=periods,
             kelurahan=kelurahan, full_rebuild_seconds=round(seconds, 3))
        live = min(live_seconds(today) for _ in range(2))
        times, queries, raw, packed = time_page(admin)
        stats = summary_ms(times)
        emit("dashboard", size, stats["p50_ms"] / 1000, baseline_seconds=live, database=connection.vendor,
             baseline="the same headline figures counted live from the dues (no snapshot)", dues=counts["dues"],
             queries=queries, page_bytes=raw, page_gzip_bytes=packed, **stats)
        times, queries, raw, packed = time_page(facilitator)
        stats = summary_ms(times)
        emit("dashboard.facilitator", size, stats["p50_ms"] / 1000, baseline_seconds=live,
             database=connection.vendor, baseline="the same headline figures counted live from the dues",
             queries=queries, page_bytes=raw, page_gzip_bytes=packed, **stats)
