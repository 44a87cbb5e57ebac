"""The money loop end to end through the services (issue 4's acceptance cases)."""

import datetime as dt

import pytest
from django.utils import timezone

from jaring.contributions.models import Due, Invoice
from jaring.contributions.services import (
    billing_close,
    billing_run,
    invoice_issue,
    invoice_pay,
    payment_record,
)
from jaring.core.errors import Conflict, ValidationFailed
from jaring.membership.models import Membership
from jaring.membership.services import membership_enrol


def months(year: int, first: int, last: int) -> list[dt.date]:
    return [dt.date(year, m, 1) for m in range(first, last + 1)]


def bill(actor, periods):  # type: ignore[no-untyped-def]
    for period in periods:
        billing_run(actor=actor, period=period)


def test_self_payer_discount_and_lapse(personas, payers, register_person):
    operator = personas["operator_sorong"]
    person = register_person(occupation="market_trader")  # not transport
    membership = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26010000001")
    assert membership.status == Membership.Status.ACTIVE
    bill(operator, months(2026, 1, 9))
    amounts = dict(Due.objects.filter(membership=membership).values_list("period", "amount_idr"))
    assert [amounts[m] for m in months(2026, 1, 5)] == [16_800] * 3 + [8_400] * 2
    for period in months(2026, 1, 5):
        payment_record(actor=operator, membership=membership, amount_idr=amounts[period],
                       paid_on=period.replace(day=10), reference=f"PAY-{period:%m}")
    assert Due.objects.filter(membership=membership, status="paid").count() == 5
    close = billing_close(actor=operator, as_of=dt.date(2026, 9, 14))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE and close.ended == 0 and close.at_risk == 1
    close = billing_close(actor=operator, as_of=dt.date(2026, 9, 16))
    membership.refresh_from_db()
    assert close.ended == 1
    assert membership.status == Membership.Status.ENDED and membership.end_reason == "arrears"
    assert membership.ended_on == dt.date(2026, 9, 16)
    # Closing again changes nothing.
    assert billing_close(actor=operator, as_of=dt.date(2026, 9, 20)).ended == 0


def test_government_dues_invoice_and_no_second_payer(personas, payers, register_person):
    operator = personas["operator_sorong"]
    workers = [register_person(full_name=f"Pekerja {i}", birth_date=dt.date(1980, 1, 1 + i),
                               occupation="ojek_driver") for i in range(3)]
    for i, worker in enumerate(workers):
        membership_enrol(actor=operator, person=worker, payer=payers["city"], programs=["JKK", "JKM"],
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj=f"2601000010{i}")
    bill(operator, months(2026, 1, 12))
    assert set(Due.objects.filter(payer=payers["city"]).values_list("amount_idr", flat=True)) == {16_800}
    invoice = invoice_issue(actor=operator, payer=payers["city"], period=dt.date(2026, 4, 1))
    assert invoice.member_count == 3 and invoice.total_idr == 3 * 16_800
    paid = invoice_pay(actor=operator, payer=payers["city"], period=dt.date(2026, 4, 1),
                       paid_on=dt.date(2026, 4, 20), reference="SP2D-0412")
    assert paid.status == Invoice.Status.PAID
    assert Due.objects.filter(invoice=paid, status="paid", paid_on=dt.date(2026, 4, 20)).count() == 3
    again = invoice_pay(actor=operator, payer=payers["city"], period=dt.date(2026, 4, 1),
                        paid_on=dt.date(2026, 4, 20), reference="SP2D-0412")
    assert again.pk == paid.pk
    with pytest.raises(Conflict):
        invoice_pay(actor=operator, payer=payers["city"], period=dt.date(2026, 4, 1),
                    paid_on=dt.date(2026, 4, 21), reference="SP2D-other")
    # The province may not take a person the city pays for in the same months.
    with pytest.raises(Conflict):
        membership_enrol(actor=operator, person=workers[0], payer=payers["province"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 6, 1))


def test_billing_is_idempotent_and_dry_run_writes_nothing(personas, payers, register_person):
    operator = personas["operator_sorong"]
    person = register_person()
    membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=dt.date(2026, 2, 20), kpj="26020000001")
    dry = billing_run(actor=operator, period=dt.date(2026, 2, 1), dry_run=True)
    assert dry.created == 1 and Due.objects.count() == 0
    first = billing_run(actor=operator, period=dt.date(2026, 2, 1))
    assert first.total_idr == dry.total_idr == 16_800
    second = billing_run(actor=operator, period=dt.date(2026, 2, 1))
    assert (first.created, second.created, second.already_billed) == (1, 0, 1)
    due = Due.objects.get()
    assert due.due_date == dt.date(2026, 2, 20)  # joined after the 15th: due on the start date
    assert billing_run(actor=operator, period=dt.date(2026, 1, 1)).created == 0  # before the start


def test_payment_arrears_advance_and_credit(personas, payers, register_person):
    operator = personas["operator_sorong"]
    person = register_person(occupation="farmer")
    membership = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=dt.date(2025, 10, 1), kpj="25100000009")
    bill(operator, [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)])
    # Oct-Dec owed (3 × 16,800) then three months ahead Jan-Mar 2026 (3 × 16,800), 1,000 left over.
    result = payment_record(actor=operator, membership=membership, amount_idr=6 * 16_800 + 1_000,
                            paid_on=dt.date(2025, 12, 10), reference="R1")
    assert [p.isoformat()[:7] for p in result.paid_periods] == [
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert result.credit_idr == 1_000
    assert billing_run(actor=operator, period=dt.date(2026, 1, 1)).created == 0  # paid ahead already


@pytest.mark.parametrize("amount", [0, -5])
def test_bad_payments_are_refused(personas, payers, register_person, amount):
    operator = personas["operator_sorong"]
    membership = membership_enrol(actor=operator, person=register_person(), payer=payers["self"],
                                  programs="JKK,JKM", declared_income_idr=1_000_000,
                                  start_date=dt.date(2026, 1, 1), kpj="26010000005")
    with pytest.raises(ValidationFailed):
        payment_record(actor=operator, membership=membership, amount_idr=amount, paid_on=dt.date(2026, 1, 5))


def test_payment_dated_before_the_rules_is_refused_not_a_crash(personas, payers, register_person):
    """Found by the API fuzz: POST /api/v1/payments/ with paid_on 2000-01-01 was a server error."""
    operator = personas["operator_sorong"]
    membership = membership_enrol(actor=operator, person=register_person(), payer=payers["self"],
                                  programs="JKK,JKM", declared_income_idr=1_000_000,
                                  start_date=dt.date(2026, 1, 1), kpj="26010000006")
    with pytest.raises(ValidationFailed) as refused:
        payment_record(actor=operator, membership=membership, amount_idr=16_800, paid_on=dt.date(2000, 1, 1))
    assert "paid_on" in refused.value.fields


def test_payment_for_draft_or_government_member_is_refused(personas, payers, register_person):
    operator = personas["operator_sorong"]
    draft = membership_enrol(actor=operator, person=register_person(), payer=payers["self"], programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=timezone.localdate())
    with pytest.raises(Conflict):
        payment_record(actor=operator, membership=draft, amount_idr=16_800, paid_on=dt.date(2026, 1, 5))


def test_enrolment_refusals(personas, payers, register_person):
    operator = personas["operator_sorong"]
    old = register_person(birth_date=dt.date(1955, 1, 1))
    with pytest.raises(ValidationFailed) as info:
        membership_enrol(actor=operator, person=old, payer=payers["self"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1))
    assert info.value.code == "age"
    person = register_person()
    with pytest.raises(ValidationFailed):
        membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                         declared_income_idr=1_234_567, start_date=dt.date(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK",
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1))
    membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=timezone.localdate())
    with pytest.raises(Conflict):
        membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1))


def test_billing_month_without_parameters_is_refused(personas, payers, register_person):
    operator = personas["operator_sorong"]
    with pytest.raises(ValidationFailed):  # enrolment itself refuses a month before the regulation
        membership_enrol(actor=operator, person=register_person(), payer=payers["city"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=dt.date(2014, 1, 1), kpj="14010000077")
    Membership.objects.create(person=register_person(full_name="Lama"), payer=payers["city"], status="active",
                              declared_income_idr=1_000_000, start_date=dt.date(2014, 1, 1))
    with pytest.raises(ValidationFailed) as info:
        billing_run(actor=operator, period=dt.date(2014, 1, 1))
    assert info.value.code == "no_parameters"
    assert Due.objects.count() == 0


def test_database_refuses_two_payers_for_one_person_month(personas, payers, register_person):
    from django.db import IntegrityError, transaction

    operator = personas["operator_sorong"]
    person = register_person()
    first = membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26010000011")
    billing_run(actor=operator, period=dt.date(2026, 1, 1))
    second = Membership.objects.create(person=person, payer=payers["province"], declared_income_idr=1_000_000,
                                       start_date=dt.date(2026, 1, 1), status="ended")
    due = Due.objects.get(membership=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Due.objects.create(membership=second, person=person, payer=payers["province"], period=due.period,
                           amount_idr=16_800, base_amount_idr=16_800, due_date=due.due_date)
