"""Every snapshot month at once: one pass over the dues for all months (decision 0046).

``compute`` fills two temporary tables of the connection — ``snap_cov`` (month index, kelurahan,
payer kind, occupation, sex, members, protected, at risk, lapsed) and ``snap_hh`` (month index,
kelurahan, decile households, protected) — that ``services`` copies into the snapshot tables, month
by month. It reads only; it writes nothing but the connection's temporary tables, so on SQLite it
holds no write lock while it counts.

The figures are those of the per-month statements (``legacy``; a test compares them): the same
rules, counted once per due instead of once per due and month.

- A month is a bit: months are a contiguous span of at most ``MAX_SPAN`` months, month *i* of the
  span is bit *i* of a 64-bit integer. Each membership gets, in one ``GROUP BY`` over the dues,
  the mask of months it was billed for (``snap_dm``); from the membership row, the months it had
  started and not ended on the month's day (``snap_mk``).
- Arrears runs come from the unpaid dues alone (``snap_r``): a due is in the run of month *i*
  when it had fallen due and was unpaid on the month's day, lies in the month's window, and no later
  due of the membership was paid and past due by then (the run starts after the last month paid as
  known on the day). The later dues looked at are those up to month *i* itself: a due falls due on
  or after its month (``calendar.due_date``, ``max`` with the start date), so a later month cannot
  be past due on month *i*'s day.
- Memberships that share a kelurahan, payer kind, occupation, sex and the same masks are counted
  together (``snap_cg``) before the masks are read month by month: the last step is over groups,
  not memberships.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from jaring.contributions.selectors import max_arrears_months
from jaring.core.money import add_months, month_start

MAX_SPAN = 48  # months a pass counts at once (bits of a BIGINT, with room to spare)
TEMP_TABLES = ("snap_mo", "snap_ps", "snap_ms", "snap_dm", "snap_dp", "snap_u", "snap_r", "snap_mk", "snap_dq",
               "snap_cg", "snap_cov", "snap_hc", "snap_hh")


@dataclass(frozen=True)
class Month:
    """One snapshot month: the day it is counted as of, and its arrears limit on that day."""

    period: dt.date
    as_of: dt.date
    limit: int

    @property
    def window(self) -> dt.date:
        return add_months(self.period, -(self.limit + 2))


def month_for(period: dt.date, today: dt.date, as_of: dt.date | None = None) -> Month:
    """The month as counted today: as of its last day, or today for the running month."""
    period = month_start(period)
    day = as_of or min(today, add_months(period, 1) - dt.timedelta(days=1))
    return Month(period=period, as_of=day, limit=max_arrears_months(day))


def spans(months: Sequence[Month]) -> list[list[Month]]:
    """``months`` (ascending, distinct) cut into contiguous spans of at most ``MAX_SPAN`` months; a
    gap between two months starts a new span."""
    out: list[list[Month]] = []
    for month in months:
        if out and len(out[-1]) < MAX_SPAN and add_months(out[-1][-1].period, 1) == month.period:
            out[-1].append(month)
        else:
            out.append([month])
    return out


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _month_number(column: str) -> str:
    """``year * 12 + month`` of a date column (SQLite keeps dates as ``YYYY-MM-DD`` text)."""
    if _pg():
        return f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER))"
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER))"


def _bit(expr: str) -> str:
    return f"(CAST(1 AS BIGINT) << ({expr}))"


def _mask(low: str, high: str) -> str:
    """Bits ``low`` to ``high`` (none when ``high < low``)."""
    return f"(CASE WHEN {high} >= {low} THEN {_bit(f'{high} + 1')} - {_bit(low)} ELSE 0 END)"


def drop(cursor: Any) -> None:
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    if _pg():
        cursor.execute("RESET work_mem")
        cursor.execute("RESET jit")


def compute(cursor: Any, span: Sequence[Month], *, decile: int, kelurahan_ids: Sequence[int] | None = None) -> None:
    """Fill ``snap_cov`` and ``snap_hh`` for the months of ``span`` (contiguous, ascending), for
    every kelurahan or only ``kelurahan_ids``. Month *i* of the span is ``snap_mo.i``."""
    assert span and len(span) <= MAX_SPAN
    drop(cursor)
    pg = _pg()
    if pg:
        # Hash tables of a few hundred thousand memberships stay in memory; compiling each statement
        # costs more than it saves here. Both are reset by ``drop``.
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET jit = off")
    n = len(span)
    day = "CAST(%s AS DATE)" if pg else "%s"
    values = ", ".join([f"(CAST(%s AS INTEGER), {day}, {day}, {day}, CAST(%s AS INTEGER))"] * n)
    params: list[Any] = []
    for i, month in enumerate(span):
        params += [i, month.period, month.as_of, month.window, month.limit]

    def run(sql: str, args: Sequence[Any] | dict[str, Any] = (), *, table: str = "") -> None:
        """Execute; on PostgreSQL, ``ANALYZE`` a temporary ``table`` that later statements join
        (autovacuum never looks at temporary tables)."""
        cursor.execute(sql, args)
        if pg and table:
            cursor.execute(f"ANALYZE {table}")

    run(f"CREATE TEMPORARY TABLE snap_mo AS WITH v (i, period, as_of, win, lim) AS (VALUES {values}) "  # noqa: S608
        "SELECT i, period, as_of, win, lim FROM v", params, table="snap_mo")
    run("CREATE INDEX snap_mo_as_of ON snap_mo (as_of)")
    run("CREATE UNIQUE INDEX snap_mo_i ON snap_mo (i)")
    base = span[0].period.year * 12 + span[0].period.month
    first, last = span[0].period, span[-1].period
    window = min(m.window for m in span)
    last_as_of = span[-1].as_of
    scope_d = scope_m = scope_h = ""
    if kelurahan_ids is not None:
        ids = ", ".join(str(int(k)) for k in kelurahan_ids) or "NULL"
        # The persons counted in these kelurahan, or in households there; their memberships, and
        # those whose dues are theirs (a merged person's dues moved to the person kept).
        run(f"CREATE TEMPORARY TABLE snap_ps AS SELECT pe.id FROM registry_person pe WHERE pe.kelurahan_id IN ({ids}) "  # noqa: S608
            "UNION SELECT pe.id FROM registry_person pe JOIN registry_household h ON h.id = pe.household_id "
            f"WHERE h.kelurahan_id IN ({ids})", table="snap_ps")
        run("CREATE TEMPORARY TABLE snap_ms AS SELECT m.id FROM membership_membership m "
            "WHERE m.person_id IN (SELECT id FROM snap_ps) UNION SELECT d.membership_id FROM contributions_due d "
            "WHERE d.person_id IN (SELECT id FROM snap_ps)", table="snap_ms")
        run("CREATE UNIQUE INDEX snap_ms_id ON snap_ms (id)")
        scope_d = "AND d.membership_id IN (SELECT id FROM snap_ms)"
        scope_m = "AND m.id IN (SELECT id FROM snap_ms)"
        scope_h = f"AND h.kelurahan_id IN ({ids})"
    bit = _bit(f"{_month_number('d.period')} - {base}")
    # SQLite: read the table in order rather than fetch each row through the month index (at a
    # million persons the table is larger than the cache; even one month's rows lie on every page).
    # A few kelurahan (``scope_d``) go through their memberships' index instead.
    scan = "" if pg or scope_d else "NOT INDEXED"

    billed = "d.status <> 'void' AND d.period >= %(first)s AND d.period <= %(last)s"
    args = {"first": first, "last": last, "window": window, "last_as_of": last_as_of, "decile": decile}
    # The months each membership was billed for, with its dues' person and payer (the same as the
    # membership's, except after a merge: those few are split by person and payer below).
    run(f"CREATE TEMPORARY TABLE snap_dm AS SELECT d.membership_id AS m, MIN(d.person_id) AS p1, "  # noqa: S608
        f"MAX(d.person_id) AS p2, MIN(d.payer_id) AS y1, MAX(d.payer_id) AS y2, CAST(SUM({bit}) AS BIGINT) AS mm "
        f"FROM contributions_due d {scan} WHERE {billed} {scope_d} GROUP BY d.membership_id", args, table="snap_dm")
    run("CREATE TEMPORARY TABLE snap_dp AS SELECT m, p1 AS person_id, y1 AS payer_id, mm FROM snap_dm "  # noqa: S608
        "WHERE p1 = p2 AND y1 = y2 UNION ALL "
        f"SELECT d.membership_id, d.person_id, d.payer_id, CAST(SUM({bit}) AS BIGINT) FROM contributions_due d "
        f"WHERE d.membership_id IN (SELECT m FROM snap_dm WHERE p1 <> p2 OR y1 <> y2) AND {billed} "
        "GROUP BY d.membership_id, d.person_id, d.payer_id", args, table="snap_dp")
    # Arrears runs: (membership, month) → months in the run; the mask of months with a run, and of
    # those with at most the month's limit (at risk).
    paid_after_month_end = (f"({_month_number('d.paid_on')} > {_month_number('d.due_date')} "
                            "OR d.paid_on > %(last_as_of)s)")
    # The dues unpaid on some month's day: open ones (through their status index), and those paid
    # after a month's end that followed their due date.
    # The dues unpaid on some month's day: open ones (through their status index), and those paid
    # after a month's end that followed their due date (a due falls due on or after its month: the
    # due date's bounds narrow the status index); with the months they were unpaid past due in,
    # ``s`` (the first month whose day is after the due date) up to ``e`` (the first one whose day
    # is on or after the payment), excluded.
    first_after = "(SELECT mo.i FROM snap_mo mo WHERE mo.as_of {op} {day} ORDER BY mo.as_of LIMIT 1)"
    s = first_after.format(op=">", day="d.due_date")
    # No run outlasts the first later month paid: from the month whose day is on or after both its
    # payment and its due date, the run is over (``e`` bounds it too; the exact test is below).
    k = ("(SELECT mo.i FROM snap_mo mo WHERE mo.as_of >= q.paid_on AND mo.as_of > q.due_date "
         "ORDER BY mo.as_of LIMIT 1)")
    e_open = (f"COALESCE((SELECT {k} FROM contributions_due q WHERE q.membership_id = d.membership_id "  # noqa: S608
              f"AND q.period > d.period AND q.status = 'paid' ORDER BY q.period LIMIT 1), {n})")
    e = f"MIN({e_open}, COALESCE({first_after.format(op='>=', day='d.paid_on')}, {n}))"
    if pg:
        e = e.replace("MIN(", "LEAST(", 1)
    run(f"""CREATE TEMPORARY TABLE snap_u AS
        SELECT d.membership_id, d.period, {s} AS s, {e_open} AS e FROM contributions_due d
        WHERE d.status = 'open' AND d.due_date >= %(window)s AND d.due_date < %(last_as_of)s
          AND d.period >= %(window)s {scope_d}
        UNION ALL
        SELECT d.membership_id, d.period, {s}, {e} FROM contributions_due d {scan}
        WHERE d.status = 'paid' AND d.paid_on > d.due_date AND {paid_after_month_end}
          AND d.due_date >= %(window)s AND d.due_date < %(last_as_of)s AND d.period >= %(window)s
          {scope_d}""", args, table="snap_u")  # noqa: S608
    run(f"""CREATE TEMPORARY TABLE snap_r AS
        SELECT u.m, CAST(SUM({_bit('u.i')}) AS BIGINT) AS rm,
               CAST(SUM(CASE WHEN u.n <= u.lim THEN {_bit('u.i')} ELSE 0 END) AS BIGINT) AS km
        FROM (SELECT d.membership_id AS m, mo.i, mo.lim, COUNT(*) AS n
              FROM snap_u d JOIN snap_mo mo ON mo.i >= d.s AND mo.i < d.e AND mo.win <= d.period
              -- (OFFSET 0 keeps PostgreSQL probing the index per row, not hashing every paid due.)
              WHERE NOT EXISTS (SELECT 1 FROM contributions_due q
                                WHERE q.membership_id = d.membership_id AND q.period > d.period
                                  AND q.period <= mo.period AND q.status = 'paid' AND q.paid_on <= mo.as_of
                                  AND q.due_date < mo.as_of
                                LIMIT 1 OFFSET 0)
              GROUP BY d.membership_id, mo.i, mo.lim) u
        GROUP BY u.m""", table="snap_r")  # noqa: S608
    run("CREATE UNIQUE INDEX snap_r_m ON snap_r (m)")
    # Each membership's months: started and not ended on the day (protected: ended on or after
    # it; at risk: after it), and the month it lapsed for arrears.
    start = f"COALESCE((SELECT mo.i FROM snap_mo mo WHERE mo.as_of >= m.start_date ORDER BY mo.as_of LIMIT 1), {n})"  # noqa: S608
    end_on = ("CASE WHEN m.ended_on IS NULL THEN {last} ELSE COALESCE((SELECT mo.i FROM snap_mo mo "
              "WHERE mo.as_of {op} m.ended_on ORDER BY mo.as_of DESC LIMIT 1), -1) END")
    run(f"""CREATE TEMPORARY TABLE snap_mk AS
        SELECT x.m, x.person_id, x.payer_id, x.ok * {_mask('x.lo', 'x.hp')} AS okp,
               x.ok * {_mask('x.lo', 'x.hr')} AS okr, x.lm
        FROM (SELECT m.id AS m, m.person_id, m.payer_id,
                     CASE WHEN m.status IN ('active', 'ended') THEN 1 ELSE 0 END AS ok,
                     {start} AS lo, {end_on.format(last=n - 1, op='<=')} AS hp,
                     {end_on.format(last=n - 1, op='<')} AS hr,
                     CASE WHEN m.end_reason = 'arrears' AND m.ended_on IS NOT NULL
                          THEN COALESCE((SELECT {_bit('mo.i')} FROM snap_mo mo
                                         WHERE mo.period <= m.ended_on AND mo.as_of >= m.ended_on), 0)
                          ELSE 0 END AS lm
              FROM membership_membership m WHERE m.start_date <= %(last_as_of)s {scope_m}) x""",  # noqa: S608
        args, table="snap_mk")
    run("CREATE UNIQUE INDEX snap_mk_m ON snap_mk (m)")
    # Billed months, and of those the protected ones, per membership, person and payer.
    run("""CREATE TEMPORARY TABLE snap_dq AS
        SELECT dp.person_id, dp.payer_id, dp.mm, dp.mm & COALESCE(mk.okp, 0) & ~COALESCE(r.rm, 0) AS pm
        FROM snap_dp dp LEFT JOIN snap_mk mk ON mk.m = dp.m LEFT JOIN snap_r r ON r.m = dp.m""", table="snap_dq")
    run("""CREATE TEMPORARY TABLE snap_cg AS
        SELECT pe.kelurahan_id, pa.kind AS payer_kind, pe.occupation_id, pe.sex, x.mm, x.pm, x.am, x.lm,
               COUNT(*) AS c
        FROM (SELECT person_id, payer_id, mm, pm, 0 AS am, 0 AS lm FROM snap_dq
              UNION ALL
              SELECT mk.person_id, mk.payer_id, 0, 0, COALESCE(r.km, 0) & mk.okr, mk.lm
              FROM snap_mk mk LEFT JOIN snap_r r ON r.m = mk.m
              WHERE mk.lm <> 0 OR (COALESCE(r.km, 0) & mk.okr) <> 0) x
        JOIN registry_person pe ON pe.id = x.person_id
        JOIN membership_payer pa ON pa.id = x.payer_id
        GROUP BY pe.kelurahan_id, pa.kind, pe.occupation_id, pe.sex, x.mm, x.pm, x.am, x.lm""", table="snap_cg")

    def month_bit(column: str) -> str:
        return f"(({column} >> mo.i) & 1)"

    run(f"""CREATE TEMPORARY TABLE snap_cov AS
        SELECT mo.i, g.kelurahan_id, g.payer_kind, g.occupation_id, g.sex,
               SUM(g.c * {month_bit('g.mm')}) AS members, SUM(g.c * {month_bit('g.pm')}) AS protected,
               SUM(g.c * {month_bit('g.am')}) AS at_risk, SUM(g.c * {month_bit('g.lm')}) AS lapsed
        FROM snap_cg g CROSS JOIN snap_mo mo
        GROUP BY mo.i, g.kelurahan_id, g.payer_kind, g.occupation_id, g.sex
        HAVING SUM(g.c * {month_bit('(g.mm | g.am | g.lm)')}) > 0""")  # noqa: S608
    # Households with a member protected, by month (a household's months: the OR of its members').
    covered = ("BIT_OR(x.pm)" if pg else
               " + ".join(f"MAX(x.pm & {1 << i})" for i in range(n)))
    run(f"""CREATE TEMPORARY TABLE snap_hc AS
        SELECT pe.household_id AS h, {covered} AS cm
        FROM snap_dq x JOIN registry_person pe ON pe.id = x.person_id
        WHERE x.pm <> 0 AND pe.household_id IS NOT NULL
        GROUP BY pe.household_id""", table="snap_hc")  # noqa: S608
    run("CREATE UNIQUE INDEX snap_hc_h ON snap_hc (h)")
    run(f"""CREATE TEMPORARY TABLE snap_hh AS
        SELECT mo.i, h.kelurahan_id, COUNT(*) AS households, SUM((COALESCE(c.cm, 0) >> mo.i) & 1) AS protected
        FROM registry_household h LEFT JOIN snap_hc c ON c.h = h.id CROSS JOIN snap_mo mo
        WHERE h.welfare_decile IS NOT NULL AND h.welfare_decile <= %(decile)s {scope_h}
        GROUP BY mo.i, h.kelurahan_id""", args)  # noqa: S608
