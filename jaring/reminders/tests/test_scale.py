"""Set-based: the queries of a run do not grow with the number of members (2,000 here)."""

from __future__ import annotations

import datetime as dt

from jaring.contributions.services import billing_run
from jaring.membership.models import Membership
from jaring.registry.models import Person
from jaring.reminders.models import ReminderMessage
from jaring.reminders.services import reminders_send
from jaring.targeting.testing import build_candidates

APRIL_10 = dt.date(2026, 4, 10)


def test_queries_do_not_grow_with_members(personas, payers, django_assert_max_num_queries):
    operator = personas["operator_sorong"]
    # 2,000 persons written set-based (the targeting pool builder), each a self-payer since January;
    # the dues come from the set-based billing run.
    assert build_candidates(500, on=APRIL_10, tag="R") == 2000
    Person.objects.update(phone="081234567890")
    Membership.objects.bulk_create([
        Membership(person_id=pk, payer=payers["self"], declared_income_idr=1_000_000, status="active",
                   start_date=dt.date(2026, 1, 1)) for pk in Person.objects.values_list("id", flat=True)])
    for month in (1, 2, 3, 4):
        billing_run(actor=operator, period=dt.date(2026, month, 1))
    # Two statements per kind, a bulk write and a read-back per 5,000 messages, and one audit event per
    # message written by core.audit_log_many (about 80 a statement on SQLite, 2,000 on PostgreSQL).
    with django_assert_max_num_queries(20 + 4000 // 50) as captured:
        summary = reminders_send(actor=operator, as_of=APRIL_10, on=APRIL_10)
    audit_writes = [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
    assert len(captured.captured_queries) - len(audit_writes) <= 20
    # Nobody paid: April falls due in five days, and March was missed.
    assert (summary.due_soon, summary.overdue, summary.queued) == (2000, 2000, 4000)
    assert ReminderMessage.objects.count() == 4000
    assert "tanyakan nomor KPJ ke pendamping" in ReminderMessage.objects.first().body  # no KPJ yet
    with django_assert_max_num_queries(10):
        again = reminders_send(actor=operator, as_of=APRIL_10, on=APRIL_10)
    assert again.queued == 0 and again.skipped["already_sent"] == 4000
