"""The per-month snapshot statements the dashboard used before decision 0046, kept as reads only.

They count one month at a time straight from the dues (24 passes for 24 months): the set-based
rebuild in ``services`` must give exactly their figures (a test compares them on seeded data), the
benchmark times them beside it, and it counts the dashboard's headline figures live with them.
Nothing here writes a table but the connection's own temporary one.

Members are the month's dues. Protected is rules.protection's one definition, counted in SQL: the
membership had started and not ended on the day, and had no month in arrears then (the latest
past-due month paid as known on the day) — so the running month counts while it is paid *or not yet
due*, and a past month counts when it was paid by its last day. At risk are memberships with 1 up to
the allowed months in arrears as of the day ("in arrears" is contributions.selectors.ARREARS_RUN_SQL).
Lapsed are memberships billing_close ended for arrears in the month. The runs look only at the last
(limit + 2) months before the month and the month itself (see decision 0015).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection

from jaring.contributions.selectors import arrears_run_sql, arrears_run_values, max_arrears_months
from jaring.core.money import add_months

RUNS = "reports_snapshot_runs"
RUNS_CREATE = (f"CREATE TEMPORARY TABLE {RUNS} AS SELECT r.membership_id, COUNT(*) AS n FROM ("  # noqa: S608
               + arrears_run_sql() + ") r GROUP BY r.membership_id")
RUNS_INDEX = f"CREATE INDEX {RUNS}_m ON {RUNS} (membership_id)"
RUNS_DROP = f"DROP TABLE IF EXISTS {RUNS}"
PROTECTED = """(m.status IN ('active', 'ended') AND m.start_date <= %(as_of)s
                  AND (m.ended_on IS NULL OR m.ended_on >= %(as_of)s) AND nr.membership_id IS NULL)"""
COVERAGE_SQL = """
SELECT pe.kelurahan_id, pa.kind, pe.occupation_id, pe.sex,
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
""".replace("{protected}", PROTECTED)
HOUSEHOLD_SQL = """WITH covered AS (
    SELECT DISTINCT pe.household_id
    FROM contributions_due d JOIN membership_membership m ON m.id = d.membership_id
         JOIN registry_person pe ON pe.id = d.person_id
         LEFT JOIN reports_snapshot_runs nr ON nr.membership_id = m.id
    WHERE d.period = %(period)s AND d.status <> 'void' AND pe.household_id IS NOT NULL AND {protected})
SELECT h.kelurahan_id, COUNT(*), SUM(CASE WHEN c.household_id IS NULL THEN 0 ELSE 1 END)
FROM registry_household h LEFT JOIN covered c ON c.household_id = h.id
WHERE h.welfare_decile IS NOT NULL AND h.welfare_decile <= %(decile)s
GROUP BY h.kelurahan_id
""".replace("{protected}", PROTECTED)


def month_values(period: dt.date, as_of: dt.date, decile: int) -> dict[str, Any]:
    limit = max_arrears_months(as_of)
    return {**arrears_run_values(as_of, window=add_months(period, -(limit + 2))), "period": period,
            "limit": limit, "decile": decile}


def month_rows(period: dt.date, as_of: dt.date, decile: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One month's coverage rows ``(kelurahan, payer kind, occupation, sex, members, protected,
    at risk, lapsed)`` and household rows ``(kelurahan, households, protected)``, sorted, as the
    per-month statements count them."""
    values = month_values(period, as_of, decile)
    with connection.cursor() as cursor:
        cursor.execute(RUNS_DROP)
        cursor.execute(RUNS_CREATE, values)
        cursor.execute(RUNS_INDEX)
        cursor.execute(COVERAGE_SQL, values)
        coverage = [_plain(row) for row in cursor.fetchall()]
        cursor.execute(HOUSEHOLD_SQL, values)
        households = [_plain(row) for row in cursor.fetchall()]
        cursor.execute(RUNS_DROP)
    return sorted(coverage, key=repr), sorted(households, key=repr)


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """PostgreSQL's SUM is a Decimal: counts as ints, so rows compare across engines."""
    return tuple(int(v) if isinstance(v, Decimal) else v for v in row)
