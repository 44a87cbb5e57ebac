"""Who is reminded of what on a day, set-based (decision 0038), and the outbox as a list.

Two candidate sets, each read by one SQL statement whatever the number of members:

- ``due_soon``: the dues (not void) of self-payers' memberships whose due date is between the day and
  the largest of ``JARING_REMINDER_DAYS`` ahead. Each falls in the stage of the smallest configured
  lead that is at least its distance (with 5 and 1: 2–5 days ahead is stage 5, 0–1 is stage 1), so a
  day the job did not run is caught up the next day, and one due gets at most one message per stage.
- ``overdue``: for each self-payer's membership in arrears on the day (``contributions``'
  ``ARREARS_RUN_SQL``, the one definition), its latest past-due unpaid month: one message after each
  missed due date, naming the months and the money owed and the day the membership ends.

Every candidate gets one reason, the first that applies: ``ended`` (the membership is not active,
or its run is longer than the allowed arrears: it has lapsed), ``deceased``, ``paid`` (paid ahead),
``already_sent`` (a message for this due, kind and stage exists), ``opted_out``, ``no_consent``,
``no_phone`` — or none: the message is queued. Government-paid memberships are not candidates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.contributions.selectors import arrears_run_sql, arrears_run_values
from jaring.core.money import add_months, month_start
from jaring.membership.models import Membership, Payer
from jaring.registry.selectors import person_queryset
from jaring.reminders.models import ReminderMessage

QUEUE = "queue"  # the reason of a candidate that gets a message
REASONS = ("ended", "deceased", "paid", "already_sent", "opted_out", "no_consent", "no_phone")

# A mobile number as texts.mobile_number reads it, roughly (prefix and length); the exact check
# runs on the few rows queued.
_PHONE_OK = """((p.phone LIKE %(ph_0)s AND LENGTH(p.phone) BETWEEN 10 AND 13)
             OR (p.phone LIKE %(ph_62)s AND LENGTH(p.phone) BETWEEN 11 AND 14)
             OR (p.phone LIKE %(ph_plus)s AND LENGTH(p.phone) BETWEEN 12 AND 15))"""

# Only the module's constants are formatted in; every value is a named parameter.
_REASON = f"""CASE
    WHEN m.status <> 'active' THEN 'ended'
    WHEN p.death_date IS NOT NULL THEN 'deceased'
    WHEN c.paid = 1 THEN 'paid'
    WHEN c.months > %(limit)s THEN 'ended'
    WHEN EXISTS (SELECT 1 FROM reminders_remindermessage x
                 WHERE x.due_id = c.due_id AND x.kind = %(kind)s AND x.days_before = c.stage) THEN 'already_sent'
    WHEN p.reminder_opt_out_at IS NOT NULL OR p.reminder_channel = 'none' THEN 'opted_out'
    WHEN p.reminder_consent_at IS NULL AND (p.reminder_channel = 'whatsapp' OR p.consent_basis = '')
        THEN 'no_consent'
    WHEN NOT {_PHONE_OK} THEN 'no_phone'
    ELSE '{QUEUE}' END"""  # noqa: S608

_OUTER = """SELECT {reason} AS reason, c.due_id, c.membership_id, c.person_id, c.period, c.amount_idr, c.due_date,
           c.stage, c.months, c.owed, c.oldest, p.full_name, p.phone, p.kpj, p.reminder_channel
    FROM ({candidates}) c
    JOIN membership_membership m ON m.id = c.membership_id
    JOIN registry_person p ON p.id = c.person_id"""

_DUE_SOON = """SELECT d.id AS due_id, d.membership_id, d.person_id, d.period, d.amount_idr, d.due_date,
           {stage} AS stage, 0 AS months, d.amount_idr AS owed, d.period AS oldest,
           CASE WHEN d.status = 'paid' AND d.paid_on <= %(as_of)s THEN 1 ELSE 0 END AS paid
    FROM contributions_due d
    WHERE d.status IN ('open', 'paid') AND d.due_date >= %(as_of)s AND d.due_date <= %(last_day)s
      AND d.membership_id IN ({scope})"""

_OVERDUE = """SELECT d.id AS due_id, d.membership_id, d.person_id, d.period, d.amount_idr, d.due_date,
           0 AS stage, s.months, s.owed, s.oldest, 0 AS paid
    FROM (SELECT r.membership_id AS mid, COUNT(*) AS months, SUM(r.amount_idr) AS owed,
                 MIN(r.period) AS oldest, MAX(r.period) AS latest
          FROM ({arrears}) r GROUP BY r.membership_id) s
    JOIN contributions_due d ON d.membership_id = s.mid AND d.period = s.latest"""


@dataclass(frozen=True)
class Candidate:
    """A queued candidate: a due to remind of and to whom."""

    kind: str
    due_id: int
    membership_id: int
    person_id: int
    period: dt.date
    amount_idr: int
    due_date: dt.date
    days_before: int
    months: int  # overdue: months in arrears
    owed_idr: int  # overdue: the arrears
    oldest: dt.date  # overdue: the first unpaid month
    full_name: str
    phone: str
    kpj: str | None
    channel: str


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _named(sql: str, params: Any, prefix: str) -> tuple[str, dict[str, Any]]:
    """A compiled queryset's positional SQL with its parameters named, to sit beside named ones."""
    first, *rest = sql.split("%s")
    return (first + "".join(f"%({prefix}_{i})s{part}" for i, part in enumerate(rest)),
            {f"{prefix}_{i}": v for i, v in enumerate(params)})


def _scope(actor: User) -> tuple[str, dict[str, Any]]:
    """The self-payers' memberships of persons in the actor's area, as SQL (``SELECT id …``)."""
    memberships = (Membership.objects.filter(payer__kind=Payer.Kind.SELF, person__in=person_queryset(actor=actor))
                   .order_by().values("id"))
    sql, params = memberships.query.sql_with_params()
    return _named(sql, params, "scope")


@dataclass(frozen=True)
class Selection:
    """The SQL of one kind's candidates with its reason, and the values it runs with."""

    kind: str
    sql: str
    values: dict[str, Any]

    def counts(self) -> dict[str, int]:
        """Candidates by reason (``QUEUE`` for those that get a message). One query."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT q.reason, COUNT(*) FROM ({self.sql}) q GROUP BY q.reason",  # noqa: S608
                           self.values)
            return {str(reason): int(n) for reason, n in cursor.fetchall()}

    def queued(self, chunk: int = 2000) -> Iterator[list[Candidate]]:
        """The candidates that get a message, ``chunk`` at a time, in due order. One query (a
        server-side cursor on PostgreSQL: a million rows are never held at once)."""
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({self.sql}) q WHERE q.reason = %(queue)s ORDER BY q.due_id",  # noqa: S608
                           {**self.values, "queue": QUEUE})
            while rows := cursor.fetchmany(chunk):
                yield [Candidate(kind=self.kind, due_id=r[1], membership_id=r[2], person_id=r[3], period=_as_date(r[4]),
                                 amount_idr=int(r[5]), due_date=_as_date(r[6]), days_before=int(r[7]),
                                 months=int(r[8] or 0), owed_idr=int(r[9] or 0), oldest=_as_date(r[10]),
                                 full_name=r[11], phone=r[12] or "", kpj=r[13], channel=r[14])
                       for r in rows]


def _common_values(kind: str, as_of: dt.date, max_arrears: int) -> dict[str, Any]:
    return {"as_of": as_of, "kind": kind, "limit": max_arrears, "ph_0": "08%", "ph_62": "628%", "ph_plus": "+628%"}


def due_soon_selection(*, actor: User, as_of: dt.date, days: tuple[int, ...], max_arrears: int) -> Selection:
    """Dues falling due in the next ``max(days)`` days, each in its stage (see the module)."""
    scope, scope_values = _scope(actor)
    stages = sorted(days)
    stage = "CASE " + " ".join(f"WHEN d.due_date <= %(stage_{s})s THEN {int(s)}" for s in stages) + " END"
    candidates = _DUE_SOON.format(stage=stage, scope=scope)
    values = {**_common_values(ReminderMessage.Kind.DUE_SOON, as_of, max_arrears), **scope_values,
              "last_day": as_of + dt.timedelta(days=stages[-1]),
              **{f"stage_{s}": as_of + dt.timedelta(days=s) for s in stages}}
    return Selection(ReminderMessage.Kind.DUE_SOON, _OUTER.format(reason=_REASON, candidates=candidates), values)


def overdue_selection(*, actor: User, as_of: dt.date, max_arrears: int) -> Selection:
    """The latest missed month of each self-payer's membership in arrears on ``as_of``. Months
    before ``max_arrears + 1`` months back are not looked at: a run that long has lapsed anyway."""
    scope, scope_values = _scope(actor)
    window = add_months(month_start(as_of), -(max_arrears + 1))
    candidates = _OVERDUE.format(arrears=arrears_run_sql(scope))
    values = {**_common_values(ReminderMessage.Kind.OVERDUE, as_of, max_arrears), **scope_values,
              **arrears_run_values(as_of, window=window)}
    return Selection(ReminderMessage.Kind.OVERDUE, _OUTER.format(reason=_REASON, candidates=candidates), values)


def reminder_messages(*, actor: User, status: str | None = None, kind: str | None = None) -> QuerySet[ReminderMessage]:
    """The outbox, newest first, for persons in the actor's area (``money.read``)."""
    require(actor, "money.read")
    messages = ReminderMessage.objects.filter(person__in=person_queryset(actor=actor))
    if status:
        messages = messages.filter(status=status)
    if kind:
        messages = messages.filter(kind=kind)
    return messages.order_by("-created_at", "-id")


def message_as_dict(message: ReminderMessage) -> dict[str, Any]:
    return {"id": message.pk, "person": message.person_id, "membership": message.membership_id,
            "due": message.due_id, "kind": message.kind, "days_before": message.days_before,
            "as_of": message.as_of.isoformat(), "channel": message.channel, "to": message.to, "body": message.body,
            "status": message.status, "attempts": message.attempts, "last_error": message.last_error,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "provider_id": message.provider_id, "created_at": message.created_at.isoformat()}
