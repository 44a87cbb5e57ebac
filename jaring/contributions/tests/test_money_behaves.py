"""Money that behaves (issue 10 §5): nothing stuck as credit, block invoices paid whole or in part,
refunds after a claim, and "protected" that is true on the 1st of the month."""

import datetime as dt
import json

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jaring.contributions.models import CreditEntry, Due, Invoice, InvoicePayment, PaymentAllocation
from jaring.contributions.selectors import protection
from jaring.contributions.services import (
    billing_run,
    dues_void_after,
    invoice_issue,
    invoice_pay,
    invoice_payment_record,
    payment_record,
)
from jaring.contributions.tests.test_money_loop import bill, months
from jaring.core.audit import AuditEvent
from jaring.core.errors import Conflict, ValidationFailed
from jaring.membership.services import membership_enrol
from jaring.rules.protection import ProtectionReason

D = dt.date
_KPJ = iter(range(10_000))


def kpj() -> str:
    return f"2611{next(_KPJ):07d}"


def enrol(personas, payer, register_person, *, start):  # type: ignore[no-untyped-def]
    person = register_person(occupation="market_trader")
    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=start, kpj=kpj())


def test_an_advance_recorded_after_next_month_was_billed_pays_that_month(personas, payers, register_person):
    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 9, 1))
    bill(operator, months(2026, 9, 12))
    # Paid through November on time; December is billed (open, not yet due). A 12-month advance on
    # 7 December: December first, then eleven more months; nothing sits as credit while December is a gap.
    for period in months(2026, 9, 11):
        payment_record(actor=operator, membership=membership, amount_idr=8_400, paid_on=period.replace(day=5),
                       reference=f"P{period:%m}")
    result = payment_record(actor=operator, membership=membership, amount_idr=8_400 + 12 * 16_800,
                            paid_on=D(2026, 12, 7), reference="ADV")
    assert result.paid_periods[0] == D(2026, 12, 1)
    assert Due.objects.get(membership=membership, period=D(2026, 12, 1)).status == "paid"
    assert not Due.objects.filter(membership=membership, status="open").exists()
    assert result.credit_idr < 16_800


def test_credit_pays_dues_billed_later(personas, payers, register_person):
    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 10))
    # Rp30,000 pays October (Rp8,400) and leaves Rp21,600: less than a 3-month block, so it is credit.
    result = payment_record(actor=operator, membership=membership, amount_idr=30_000, paid_on=D(2026, 10, 3),
                            reference="A")
    assert result.paid_periods == [D(2026, 10, 1), D(2026, 11, 1)] or result.credit_idr == 30_000 - 8_400
    billing_run(actor=operator, period=D(2026, 11, 1))
    billing_run(actor=operator, period=D(2026, 12, 1))
    statuses = dict(Due.objects.filter(membership=membership).values_list("period", "status"))
    assert statuses[D(2026, 11, 1)] == "paid" and statuses[D(2026, 12, 1)] == "paid"


def test_block_invoice_for_a_quarter_is_billed_ahead_and_paid_in_part(personas, payers, register_person):
    admin = personas["admin_sorong"]
    members = [enrol(personas, payers["city"], register_person, start=D(2026, 12, 1)) for _ in range(3)]
    with pytest.raises(ValidationFailed):
        invoice_issue(actor=admin, payer=payers["city"], period=D(2027, 2, 1), months=3)  # not a quarter start
    with pytest.raises(ValidationFailed):
        invoice_issue(actor=admin, payer=payers["city"], period=D(2027, 1, 1), months=4)
    invoice = invoice_issue(actor=admin, payer=payers["city"], period=D(2027, 1, 1), months=3)
    assert (invoice.period, invoice.period_to, invoice.months) == (D(2027, 1, 1), D(2027, 3, 1), 3)
    assert invoice.member_count == 3 and invoice.total_idr == 3 * 3 * 16_800  # APBD: no discount
    assert Due.objects.filter(invoice=invoice).count() == 9
    with pytest.raises(Conflict):  # February is already in the quarter
        invoice_issue(actor=admin, payer=payers["city"], period=D(2027, 2, 1))
    # SP2D for January and half of February: whole dues, oldest month first, the rest unapplied.
    part = invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 7), reference="SP2D-1",
                                  amount_idr=3 * 16_800 + 16_800 + 10_000)
    assert part.payment.dues_paid == 4 and part.payment.unapplied_idr == 10_000
    assert part.invoice.status == Invoice.Status.PARTIAL and part.invoice.paid_idr == 4 * 16_800
    paid = Due.objects.filter(invoice=invoice, status="paid")
    assert set(paid.values_list("period", flat=True)) == {D(2027, 1, 1), D(2027, 2, 1)}
    # The same transfer again changes nothing; the same reference with other figures is refused.
    again = invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 7), reference="SP2D-1",
                                   amount_idr=3 * 16_800 + 16_800 + 10_000)
    assert again.already_recorded and InvoicePayment.objects.filter(invoice=invoice).count() == 1
    with pytest.raises(Conflict):
        invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 6), reference="SP2D-1",
                               amount_idr=16_800)
    with pytest.raises(ValidationFailed):  # more than is owed
        invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 7), reference="SP2D-2",
                               amount_idr=10 * 16_800)
    with pytest.raises(ValidationFailed):
        invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 7), reference="SP2D-2",
                               amount_idr=-5)
    rest = invoice_payment_record(actor=admin, invoice=invoice, paid_on=D(2026, 12, 7), reference="SP2D-2")
    assert rest.invoice.status == Invoice.Status.PAID and rest.invoice.outstanding_idr == 0
    assert Due.objects.filter(invoice=invoice, status="paid").count() == 9
    assert invoice_pay(actor=admin, payer=payers["city"], period=D(2027, 1, 1), paid_on=D(2026, 12, 7),
                       reference="SP2D-2").status == Invoice.Status.PAID
    events = AuditEvent.objects.filter(action="invoice.pay", object_id=str(invoice.pk))
    assert events.count() == 2
    assert all(m.status == "active" for m in members)


def test_months_after_a_death_are_refunded_and_not_protected(personas, payers, register_person):
    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 10))
    # October, then a 3-month block: November and December at the PP 50/2025 price, January at full price.
    payment_record(actor=operator, membership=membership, amount_idr=3 * 8_400 + 16_800, paid_on=D(2026, 10, 2),
                   reference="Q")
    assert Due.objects.filter(membership=membership, status="paid").count() == 4  # October to January
    voided = dues_void_after(actor=operator, membership_ids=[membership.pk], after=D(2026, 11, 20), refund_paid=True)
    assert voided == 2  # December and January
    refund = CreditEntry.objects.filter(membership=membership, reason=CreditEntry.Reason.REFUND)
    assert refund.aggregate(s=Sum("amount_idr"))["s"] == 8_400 + 16_800
    assert AuditEvent.objects.filter(action="dues.refund_after_claim").exists()
    paid = set(Due.objects.filter(membership=membership, status="paid").values_list("period", flat=True))
    assert paid == {D(2026, 10, 1), D(2026, 11, 1)}


def test_protected_on_the_first_of_the_month(personas, payers, register_person):
    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["city"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 12))
    for period in months(2026, 10, 11):
        invoice_pay(actor=personas["admin_sorong"], payer=payers["city"], period=period,
                    paid_on=period.replace(day=10), reference=f"SP2D-{period:%m}")
    person = membership.person
    first = protection(person=person, day=D(2026, 12, 1))
    assert first.protected and first.reason == ProtectionReason.NOT_YET_DUE
    assert protection(person=person, day=D(2026, 12, 15)).protected
    late = protection(person=person, day=D(2026, 12, 16))
    assert not late.protected and late.reason == ProtectionReason.IN_ARREARS
    assert protection(person=person, day=D(2026, 9, 30)).reason == ProtectionReason.NOT_STARTED
    assert protection(person=register_person(), day=D(2026, 12, 1)).reason == ProtectionReason.NO_MEMBERSHIP


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(amounts=st.lists(st.integers(min_value=1, max_value=250_000), min_size=1, max_size=5),
       billed=st.integers(min_value=1, max_value=3))
@pytest.mark.django_db(transaction=False)
def test_payments_never_pay_a_month_twice_and_money_is_conserved(personas, payers, register_person, amounts,
                                                                 billed):
    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 8, 1))
    bill(operator, months(2026, 8, 8 + billed - 1))
    for i, amount in enumerate(amounts):
        payment_record(actor=operator, membership=membership, amount_idr=amount, paid_on=D(2026, 11, 1 + i),
                       reference=f"H{i}")
    # A month is paid by at most one allocation or one use of credit, never twice.
    allocations = list(PaymentAllocation.objects.filter(due__membership=membership).values_list("due_id", flat=True))
    credit_uses = list(CreditEntry.objects.filter(membership=membership, reason=CreditEntry.Reason.APPLIED)
                       .values_list("due_id", flat=True))
    assert len(allocations + credit_uses) == len(set(allocations + credit_uses))
    # The dues paid are the payments applied plus the credit used; every rupiah paid is applied,
    # used from credit or still credit.
    paid = Due.objects.filter(membership=membership, status="paid").aggregate(s=Sum("amount_idr"))["s"] or 0
    applied = PaymentAllocation.objects.filter(due__membership=membership).aggregate(s=Sum("amount_idr"))["s"] or 0
    used = -(CreditEntry.objects.filter(membership=membership, reason=CreditEntry.Reason.APPLIED)
             .aggregate(s=Sum("amount_idr"))["s"] or 0)
    credit = CreditEntry.objects.filter(membership=membership).aggregate(s=Sum("amount_idr"))["s"] or 0
    assert paid == applied + used
    assert sum(amounts) == applied + used + credit
    assert credit >= 0


def test_payment_preview_says_what_a_payment_will_pay_and_writes_nothing(personas, payers, register_person):
    from jaring.contributions.models import Payment
    from jaring.contributions.selectors import payer_uninvoiced_months
    from jaring.contributions.services import payment_preview

    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 12))
    payments, events = Payment.objects.count(), AuditEvent.objects.count()
    preview = payment_preview(actor=operator, membership=membership, amount_idr=20_000, paid_on=D(2026, 12, 7),
                              reference="R1")
    assert [p for p, _a in preview.owed] == months(2026, 10, 12) and preview.owed_idr == 3 * 8_400
    assert preview.paid_periods == months(2026, 10, 11) and preview.credit_idr == 20_000 - 2 * 8_400
    assert (Payment.objects.count(), AuditEvent.objects.count()) == (payments, events)
    payment_record(actor=operator, membership=membership, amount_idr=20_000, paid_on=D(2026, 12, 7), reference="R1")
    assert payment_preview(actor=operator, membership=membership, amount_idr=20_000, paid_on=D(2026, 12, 7),
                           reference="R1").already_recorded
    with pytest.raises(ValidationFailed):
        payment_preview(actor=operator, membership=membership, amount_idr=-1, paid_on=D(2026, 12, 7))
    city = enrol(personas, payers["city"], register_person, start=D(2026, 11, 1))
    bill(operator, months(2026, 11, 12))
    assert [(m.period, m.members) for m in payer_uninvoiced_months(payer=payers["city"])] == [
        (D(2026, 11, 1), 1), (D(2026, 12, 1), 1)]
    assert city.payer == payers["city"]


def test_a_due_date_on_a_sunday_moves_to_monday(personas, payers, register_person):
    from jaring.contributions.selectors import coverage_strip

    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 11))
    november = Due.objects.get(membership=membership, period=D(2026, 11, 1))
    assert november.due_date == D(2026, 11, 16)  # 15 November 2026 is a Sunday
    payment_record(actor=operator, membership=membership, amount_idr=8_400, paid_on=D(2026, 10, 5), reference="O")
    assert protection(person=membership.person, day=D(2026, 11, 16)).protected  # not past due yet
    payment_record(actor=operator, membership=membership, amount_idr=8_400, paid_on=D(2026, 11, 16), reference="N")
    strip = {m.period: m.status for m in coverage_strip(person=membership.person, months=3, today=D(2026, 11, 30))}
    assert strip[D(2026, 11, 1)] == "paid_on_time"


def test_a_discount_published_after_months_were_paid_ahead_is_credited(personas, payers, register_person, settings,
                                                                         tmp_path, capsys):
    from jaring.contributions.tests.test_cli import jaring
    from jaring.core import parameters

    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 12, 1))
    bill(operator, months(2026, 12, 12))
    # December at the PP 50/2025 price, then January to March 2027 at full price, paid on 1 December.
    payment_record(actor=operator, membership=membership, amount_idr=8_400 + 3 * 16_800, paid_on=D(2026, 12, 1),
                   reference="AHEAD")
    assert Due.objects.filter(membership=membership, status="paid").count() == 4
    extra = tmp_path / "discount_2027.toml"
    extra.write_text('id = "discount-test-2027"\nfamily = "discount"\ncode = "test_2027"\nlabel = "Uji 2027"\n'
                     'title = "Diskon uji"\neffective_from = 2026-12-01\n\n[[rules]]\nperiods_from = "2027-01"\n'
                     'periods_to = "2027-12"\nprogrammes = ["jkk", "jkm"]\nsectors = ["other"]\n'
                     'payers = ["self", "non_state"]\nrate = "0.5"\ncitation = "Uji"\n')
    settings.JARING_RULES_EXTRA = [str(extra)]
    parameters._load.cache_clear()
    try:
        code, out, err = jaring(capsys, "billing", "reprice", "--from", "2027-01", "--json")
        assert code == 0, err
        result = json.loads(out)
    finally:
        settings.JARING_RULES_EXTRA = []
        parameters._load.cache_clear()
    assert result["paid_repriced"] == 3 and result["credit_idr"] == 3 * 8_400
    assert set(Due.objects.filter(membership=membership, period__gte=D(2027, 1, 1))
               .values_list("amount_idr", flat=True)) == {8_400}
    assert CreditEntry.objects.filter(membership=membership, reason="repricing").count() == 3
    assert AuditEvent.objects.filter(action="billing.reprice").exists()


def test_the_discount_follows_the_funding_source_not_the_payer_kind(personas, payers, register_person):
    from jaring.membership.services import payer_create

    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    kelurahan = payer_create(actor=admin, code="DANA-KEL-REMU", name="Dana Kelurahan Remu", kind="village")
    otsus = payer_create(actor=admin, code="OTSUS", name="Dana Otsus", kind="other", funding_source="otsus")
    church = payer_create(actor=admin, code="GKI", name="Gereja", kind="other")
    members = {code: enrol(personas, payer, register_person, start=D(2026, 10, 1))
               for code, payer in (("kel", kelurahan), ("otsus", otsus), ("church", church), ("self", payers["self"]))}
    billing_run(actor=operator, period=D(2026, 10, 1))
    amounts = {code: Due.objects.get(membership=m, period=D(2026, 10, 1)).amount_idr for code, m in members.items()}
    # Dana kelurahan and Otsus money are APBD: full price; a church and the worker get PP 50/2025's 50%.
    assert amounts == {"kel": 16_800, "otsus": 16_800, "church": 8_400, "self": 8_400}


def test_ending_a_membership_for_death_refunds_the_months_paid_after_it(personas, payers, register_person):
    from jaring.membership.services import membership_end

    operator = personas["operator_sorong"]
    membership = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 10))
    payment_record(actor=operator, membership=membership, amount_idr=3 * 8_400 + 16_800, paid_on=D(2026, 10, 2),
                   reference="Q")
    membership_end(actor=operator, membership=membership, reason="death", ended_on=D(2026, 11, 3))
    refund = CreditEntry.objects.filter(membership=membership, reason=CreditEntry.Reason.REFUND)
    assert refund.aggregate(s=Sum("amount_idr"))["s"] == 8_400 + 16_800  # December and January
    assert protection(person=membership.person, day=D(2026, 11, 3)).protected  # covered on the day of death
    assert protection(person=membership.person, day=D(2026, 12, 5)).reason == ProtectionReason.ENDED
    other = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 10))
    payment_record(actor=operator, membership=other, amount_idr=3 * 8_400 + 16_800, paid_on=D(2026, 10, 2),
                   reference="Q2")
    membership_end(actor=operator, membership=other, reason="moved", ended_on=D(2026, 11, 3))
    assert not CreditEntry.objects.filter(membership=other, reason=CreditEntry.Reason.REFUND).exists()
    disabled = enrol(personas, payers["self"], register_person, start=D(2026, 10, 1))
    bill(operator, months(2026, 10, 10))
    payment_record(actor=operator, membership=disabled, amount_idr=3 * 8_400 + 16_800, paid_on=D(2026, 10, 2),
                   reference="Q3")
    membership_end(actor=operator, membership=disabled, reason="total_disability", ended_on=D(2026, 11, 20))
    assert CreditEntry.objects.filter(membership=disabled, reason=CreditEntry.Reason.REFUND).count() == 2
