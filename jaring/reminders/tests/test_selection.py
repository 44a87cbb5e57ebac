"""Who gets a reminder on a day, who never does, and that a run says so exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.contributions.models import Due
from jaring.core.errors import NotFound, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.services import membership_end
from jaring.registry.models import DuplicateCandidate
from jaring.registry.services import PersonInput, dedup_scan, person_merge, person_set_reminders, person_update
from jaring.reminders.models import ReminderMessage
from jaring.reminders.services import reminders_send
from jaring.reminders.tests.conftest import pay

JAN, MAY = dt.date(2026, 1, 1), dt.date(2026, 5, 1)


def send(actor, day, **kw):  # type: ignore[no-untyped-def]
    return reminders_send(actor=actor, as_of=day, on=kw.pop("on", day), **kw)


def balanced(summary) -> bool:  # type: ignore[no-untyped-def]
    return summary.due_soon + summary.overdue == summary.queued + sum(summary.skipped.values())


def test_unpaid_self_payer_is_reminded_five_and_one_days_before(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    person, membership = self_payer("Mama Maria Kambu")
    bill(JAN, MAY)
    pay(operator, membership, 3, paid_on=dt.date(2026, 3, 10))  # January to March
    april = Due.objects.get(membership=membership, period=dt.date(2026, 4, 1))
    assert april.due_date == dt.date(2026, 4, 15) and april.amount_idr == 8_400  # PP 50/2025 from April

    assert send(operator, dt.date(2026, 4, 9)).due_soon == 0  # six days before: not yet
    first = send(operator, dt.date(2026, 4, 10))
    assert first.as_dict() == {"due_soon": 1, "overdue": 0, "queued": 1,
                               "skipped": {"ended": 0, "deceased": 0, "paid": 0, "already_sent": 0, "opted_out": 0,
                                           "no_consent": 0, "no_phone": 0}}
    message = ReminderMessage.objects.get()
    assert (message.kind, message.days_before, message.status, message.channel) == ("due_soon", 5, "queued", "sms")
    assert message.person == person and message.due == april and message.to == "6281234567890"
    assert message.body == ("Yth. Maria, iuran BPJSTK April 2026 Rp8.400 jatuh tempo 15/04/2026. Bayar di kantor pos, "
                            f"Indomaret/Alfamart atau JMO dengan KPJ {person.kpj}.")
    assert len(message.body) <= 160 and person.nik not in message.body
    assert AuditEvent.objects.filter(action="reminder.queue", object_id=str(message.pk)).count() == 1
    # Two days later the five-day reminder is out already; the day before, the one-day reminder goes.
    between = send(operator, dt.date(2026, 4, 12))
    assert (between.queued, between.skipped["already_sent"]) == (0, 1)
    last = send(operator, dt.date(2026, 4, 14))
    assert last.queued == 1
    assert sorted(ReminderMessage.objects.values_list("days_before", flat=True)) == [1, 5]
    # Paid on the 14th: nothing more (and nothing overdue) after the due date.
    pay(operator, membership, 1, paid_on=dt.date(2026, 4, 14))
    after = send(operator, dt.date(2026, 4, 16))
    assert (after.due_soon, after.overdue, after.queued) == (0, 0, 0)


def test_missed_due_date_reminds_that_protection_is_at_risk(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    person, membership = self_payer()
    bill(JAN, MAY)
    pay(operator, membership, 2, paid_on=dt.date(2026, 2, 10))  # January and February
    on_due_date = send(operator, dt.date(2026, 3, 16))  # March is due on Monday the 16th (the 15th is a Sunday)
    assert (on_due_date.overdue, on_due_date.due_soon, on_due_date.queued) == (0, 1, 1)
    missed = send(operator, dt.date(2026, 3, 17))
    assert (missed.overdue, missed.queued) == (1, 1)
    message = ReminderMessage.objects.get(kind="overdue")
    assert message.due.period == dt.date(2026, 3, 1) and message.days_before == 0
    assert message.body == ("Yth. Yohanes, iuran BPJSTK 1 bulan sejak Maret 2026 (Rp16.800) belum dibayar. "
                            "Perlindungan terancam; kepesertaan berakhir bila belum lunas 15/06/2026. "
                            f"Bayar di kantor pos, Indomaret/Alfamart atau JMO dengan KPJ {person.kpj}.")
    assert len(message.body) <= 2 * 153  # at most two SMS segments
    # One message per missed month: April missed too → a second one, for April, naming both months.
    assert send(operator, dt.date(2026, 4, 1)).queued == 0
    send(operator, dt.date(2026, 4, 16))
    april = ReminderMessage.objects.get(kind="overdue", due__period=dt.date(2026, 4, 1))
    assert "2 bulan sejak Maret 2026 (Rp25.200)" in april.body


def test_a_run_longer_than_the_allowed_arrears_has_lapsed(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    self_payer()
    bill(JAN, MAY)
    at_risk = send(operator, dt.date(2026, 4, 1), dry_run=True)  # January to March unpaid: 3, the limit
    assert (at_risk.overdue, at_risk.queued) == (1, 1)
    lapsed = send(operator, dt.date(2026, 4, 16), dry_run=True)  # April too: ended by the rule
    assert (lapsed.overdue, lapsed.skipped["ended"]) == (1, 1) and lapsed.queued == lapsed.due_soon == 0


def test_who_never_gets_one(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    people = {
        "ended": self_payer("Ended Person"),
        "paid_ahead": self_payer("Paid Ahead"),
        "opted_out": self_payer("Opted Out"),
        "government": self_payer("Kota Bayar", payer="city"),
        "no_phone": self_payer("No Phone", phone=""),
        "landline": self_payer("Land Line", phone="0951321456"),
        "no_consent": self_payer("No Consent", consent_basis=""),
        "deceased": self_payer("Sudah Meninggal"),
    }
    bill(JAN, MAY)
    for key, (_person, membership) in people.items():
        if key != "government":
            pay(operator, membership, 2 if key == "ended" else 3, paid_on=dt.date(2026, 3, 10))
    pay(operator, people["paid_ahead"][1], 1, paid_on=dt.date(2026, 3, 11))  # April, ahead
    membership_end(actor=operator, membership=people["ended"][1], reason="withdrawn", ended_on=dt.date(2026, 3, 31))
    assert Due.objects.get(membership=people["ended"][1], period=dt.date(2026, 4, 1)).status == Due.Status.VOID
    person_set_reminders(actor=operator, person=people["opted_out"][0], opt_out=True)
    person_update(actor=operator, person=people["deceased"][0],
                  data=PersonInput.of(death_date=dt.date(2026, 4, 1)))

    summary = send(operator, dt.date(2026, 4, 10))
    assert summary.queued == 0 and not ReminderMessage.objects.exists()
    assert summary.due_soon == 6  # the ended one's April is void; the city's members are no candidates
    assert summary.overdue == 1  # the ended one's unpaid March
    assert summary.skipped == {"ended": 1, "deceased": 1, "paid": 1, "already_sent": 0, "opted_out": 1,
                               "no_consent": 1, "no_phone": 2}
    assert balanced(summary)


def test_consent_and_opt_out_are_recorded_on_the_person(personas, self_payer, bill):
    operator, facilitator = personas["operator_sorong"], personas["facilitator_remu"]
    person, membership = self_payer("Tanpa Dasar", consent_basis="")
    bill(JAN, MAY)
    pay(operator, membership, 3, paid_on=dt.date(2026, 3, 10))
    assert send(operator, dt.date(2026, 4, 10), dry_run=True).skipped["no_consent"] == 1
    with pytest.raises(ValidationFailed):
        person_set_reminders(actor=facilitator, person=person, opt_out=False, channel="none")
    with pytest.raises(ValidationFailed):
        person_set_reminders(actor=facilitator, person=person, opt_out=False, channel="pigeon")
    with pytest.raises(NotFound):  # another area: not found
        person_set_reminders(actor=personas["facilitator_klawasi"], person=person, opt_out=True)
    with pytest.raises(PermissionDenied):
        person_set_reminders(actor=personas["liaison"], person=person, opt_out=True)
    person = person_set_reminders(actor=facilitator, person=person, opt_out=False, channel="whatsapp")
    assert person.reminder_channel == "whatsapp" and person.reminder_consent_at and not person.reminder_opt_out_at
    events = AuditEvent.objects.filter(action="person.set_reminders", object_id=str(person.pk))
    assert events.count() == 1 and events.get().after["channel"] == "whatsapp"
    person_set_reminders(actor=facilitator, person=person, opt_out=False, channel="whatsapp")  # the same again
    assert events.count() == 1
    assert send(operator, dt.date(2026, 4, 10)).queued == 1
    assert ReminderMessage.objects.get().channel == "whatsapp"
    person = person_set_reminders(actor=facilitator, person=person, opt_out=True)
    assert person.reminder_channel == "none" and person.reminder_opt_out_at is not None
    assert send(operator, dt.date(2026, 4, 14), dry_run=True).skipped["opted_out"] == 1
    assert events.count() == 2


def test_running_twice_queues_nothing_new(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    for i in range(3):
        self_payer(f"Pekerja {i}")
    bill(JAN, MAY)
    first = send(operator, dt.date(2026, 4, 10))  # January to March unpaid: overdue, and April due soon
    assert (first.due_soon, first.overdue, first.queued) == (3, 3, 6)
    second = send(operator, dt.date(2026, 4, 10))
    assert second.queued == 0 and second.skipped["already_sent"] == 6 and balanced(second)
    assert ReminderMessage.objects.count() == 6
    assert AuditEvent.objects.filter(action="reminder.queue").count() == 6


def test_holiday_moved_due_date(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    _person, membership = self_payer()
    bill(JAN, MAY)
    pay(operator, membership, 4, paid_on=dt.date(2026, 4, 10))
    may = Due.objects.get(membership=membership, period=MAY)
    assert may.due_date == dt.date(2026, 5, 16)  # the 15th is cuti bersama: the next working day
    assert send(operator, dt.date(2026, 5, 10)).due_soon == 0  # six days before the moved date
    assert send(operator, dt.date(2026, 5, 11)).queued == 1  # five days before it
    assert "jatuh tempo 16/05/2026" in ReminderMessage.objects.get().body


def test_dry_run_writes_nothing(personas, self_payer, bill):
    operator = personas["operator_sorong"]
    self_payer()
    bill(JAN, MAY)
    events = AuditEvent.objects.count()
    dry = send(operator, dt.date(2026, 4, 10), dry_run=True)
    assert dry.queued == 2 and not ReminderMessage.objects.exists() and AuditEvent.objects.count() == events
    real = send(operator, dt.date(2026, 4, 10))
    assert real.as_dict() == dry.as_dict()


def test_only_the_office_sends(personas, self_payer, bill):
    self_payer()
    bill(JAN, MAY)
    for username in ("facilitator_remu", "liaison", "auditor"):
        with pytest.raises(PermissionDenied):
            send(personas[username], dt.date(2026, 4, 10), dry_run=True)


@pytest.mark.parametrize(("as_of", "dry_run", "code"), [
    (dt.date(2026, 4, 11), False, "as_of_future"),
    (dt.date(2026, 4, 1), False, "as_of_too_old"),
    (dt.date(9999, 12, 31), True, "as_of_out_of_range"),
    (dt.date(1, 1, 1), True, "as_of_out_of_range"),
])
def test_hostile_days_are_refused(personas, as_of, dry_run, code):
    with pytest.raises(ValidationFailed) as refused:
        reminders_send(actor=personas["operator_sorong"], as_of=as_of, dry_run=dry_run, on=dt.date(2026, 4, 10))
    assert refused.value.code == code


def test_a_merge_keeps_the_opt_out_and_moves_the_messages(personas, self_payer, bill, register_person):
    operator = personas["operator_sorong"]
    born = dt.date(1979, 5, 4)
    other, membership = self_payer("Ibu Sukarni Wanma", sex="F", birth_date=born, nik="9271014405790002")
    kept = register_person(full_name="Soekarni Wanma", sex="F", birth_date=born, nik="9271014405790001",
                           consent_basis="consent")  # a second record of the same woman, not enrolled
    bill(JAN, dt.date(2026, 4, 1))
    pay(operator, membership, 3, paid_on=dt.date(2026, 3, 10))
    assert send(operator, dt.date(2026, 4, 10)).queued == 1
    person_set_reminders(actor=operator, person=other, opt_out=True)
    assert dedup_scan(actor=operator)["candidates"] == 1
    person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=kept)
    kept.refresh_from_db()
    assert kept.reminder_opt_out_at is not None  # the duplicate's opt-out holds for the person
    assert ReminderMessage.objects.get().person_id == kept.pk
    assert AuditEvent.objects.get(action="reminder.move").after == {"from_person": other.pk, "messages": 1}
    assert send(operator, dt.date(2026, 4, 14), dry_run=True).skipped["opted_out"] == 1
