"""The money pages (issue 10 §6, "Web"): enrolment from the person page, a payment checked before it
is recorded, and a payer's invoices issued and paid — each refusal of the services shown on its form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jaring.contributions.models import Due, Invoice, InvoicePayment, Payment
from jaring.contributions.services import billing_run, payment_record
from jaring.core.models import AuditEvent
from jaring.core.money import add_months, month_start
from jaring.core.parameters import current_parameters
from jaring.membership.models import Membership
from jaring.membership.services import membership_enrol

_KPJ = iter(range(10_000))


def kpj() -> str:
    return f"2612{next(_KPJ):07d}"


def brackets() -> tuple[int, ...]:
    today = timezone.localdate()
    return tuple(current_parameters().on(today, field="start").value("income_brackets", "brackets_idr"))


def enrol_form(payer: str, **values: str) -> dict[str, str]:
    data = {"payer": payer, "declared_income_idr": str(brackets()[0]),
            "start_date": timezone.localdate().isoformat(), "kpj": ""}
    data.update(values)
    return data


# Enrolment from the person page


def test_a_facilitator_enrols_a_self_payer_from_the_person_page(client, personas, payers, register_person):
    person = register_person(occupation="market_trader")
    client.force_login(personas["facilitator_remu"])
    page = client.get(f"/orang/{person.pk}/").content.decode()
    assert "Daftarkan sebagai peserta" in page and f"/orang/{person.pk}/daftar/" in page
    form = client.get(f"/orang/{person.pk}/daftar/")
    assert form.status_code == 200
    html = form.content.decode()
    assert "Mandiri" in html and "APBD Kota Sorong" not in html  # facilitators: self-payers only
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("MANDIRI", jht="on"), follow=True)
    assert response.redirect_chain == [(f"/orang/{person.pk}/", 302)]
    membership = Membership.objects.get(person=person)
    assert (membership.payer, membership.status, membership.has_jht) == (payers["self"], "draft", True)
    assert membership.declared_income_idr == brackets()[0] and membership.start_date == timezone.localdate()
    html = response.content.decode()
    assert "didaftarkan melalui Mandiri" in html
    assert "Daftarkan sebagai peserta" not in html  # an open membership: no second enrolment offered


def test_the_enrol_link_follows_the_capability(client, personas, payers, register_person):
    person = register_person()
    client.force_login(personas["liaison"])
    assert "Daftarkan sebagai peserta" not in client.get(f"/orang/{person.pk}/").content.decode()
    assert client.get(f"/orang/{person.pk}/daftar/").status_code == 403
    client.force_login(personas["facilitator_klawasi"])  # outside the area: not found
    assert client.get(f"/orang/{person.pk}/daftar/").status_code == 404


def test_a_facilitator_is_not_offered_and_cannot_pick_a_city_payer(client, personas, payers, register_person):
    person = register_person()
    client.force_login(personas["facilitator_remu"])
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("APBD-KOTA"))
    assert response.status_code == 200 and response.context["form"].errors["payer"]
    assert not Membership.objects.filter(person=person).exists()
    client.force_login(personas["operator_sorong"])  # the office enrols with any payer
    assert "APBD Kota Sorong" in client.get(f"/orang/{person.pk}/daftar/").content.decode()
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("APBD-KOTA", kpj=kpj()))
    assert response.status_code == 302
    assert Membership.objects.get(person=person).payer == payers["city"]


def test_the_services_refusals_show_on_the_form_with_the_values_kept(client, personas, payers, register_person):
    client.force_login(personas["facilitator_remu"])
    second = str(brackets()[1])
    # Too old to register: above the form.
    old = register_person(birth_date=dt.date(1940, 1, 5))
    response = client.post(f"/orang/{old.pk}/daftar/", enrol_form("MANDIRI", declared_income_idr=second, jht="on"))
    form = response.context["form"]
    assert response.status_code == 200 and form.non_field_errors()
    html = response.content.decode()
    assert str(form.non_field_errors()[0]) in html.replace("&#x27;", "'")
    assert f'<option value="{second}" selected>' in html and 'name="jht" id="id_jht" checked' in html
    # A malformed KPJ: on the KPJ field, as typed.
    person = register_person()
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("MANDIRI", kpj="12345"))
    assert response.status_code == 200 and response.context["form"].errors["kpj"]
    assert 'value="12345"' in response.content.decode()
    # Backdated without a KPJ: on the start date.
    last_month = add_months(month_start(timezone.localdate()), -1).isoformat()
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("MANDIRI", start_date=last_month))
    assert response.context["form"].errors["start_date"] and f'value="{last_month}"' in response.content.decode()
    # Already enrolled: said above the form, nothing written.
    membership_enrol(actor=personas["operator_sorong"], person=person, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=brackets()[0], start_date=timezone.localdate(), kpj=kpj())
    response = client.post(f"/orang/{person.pk}/daftar/", enrol_form("MANDIRI", declared_income_idr=second))
    assert response.status_code == 200 and "sudah terdaftar" in " ".join(response.context["form"].non_field_errors())
    assert f'<option value="{second}" selected>' in response.content.decode()
    assert Membership.objects.filter(person=person).count() == 1
    assert not Membership.objects.filter(person=old).exists()


# A payment checked before it is recorded


@pytest.fixture
def member(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> Membership:
    """A self-payer two months behind: the last two months billed, none paid."""
    operator = personas["operator_sorong"]
    first = add_months(month_start(timezone.localdate()), -2)
    membership = membership_enrol(actor=operator, person=register_person(occupation="market_trader"),
                                  payer=payers["self"], programs="JKK,JKM", declared_income_idr=brackets()[0],
                                  start_date=first, kpj=kpj())
    for period in (first, add_months(first, 1)):
        billing_run(actor=operator, period=period)
    return membership


def test_the_payment_form_shows_what_it_will_pay_before_recording(client, personas, member):
    url = f"/orang/{member.person_id}/bayar/"
    dues = list(member.dues.order_by("period"))
    assert len(dues) == 2
    today = timezone.localdate().isoformat()
    values = {"amount_idr": str(dues[0].amount_idr + 100), "paid_on": today, "channel": "retail",
              "reference": "ALFA-7"}
    client.force_login(personas["facilitator_remu"])
    counts = (Payment.objects.count(), AuditEvent.objects.count())
    response = client.post(url, values)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [p for p, _a in preview.owed] == [d.period for d in dues]
    assert preview.owed_idr == sum(d.amount_idr for d in dues)
    assert preview.paid_periods == [dues[0].period] and preview.credit_idr == 100
    html = response.content.decode()
    assert "Catat pembayaran" in html and 'name="confirm" value="1"' in html and "Rp100" in html
    assert (Payment.objects.count(), AuditEvent.objects.count()) == counts  # nothing written
    assert Due.objects.filter(membership=member, status="open").count() == 2
    # Confirmed: the same values recorded.
    response = client.post(url, {**values, "confirm": "1"})
    assert response.status_code == 302 and response.url == f"/orang/{member.person_id}/"
    payment = Payment.objects.get(reference="ALFA-7")
    assert payment.amount_idr == dues[0].amount_idr + 100
    assert list(Due.objects.filter(membership=member, status="paid").values_list("period", flat=True)) == [
        dues[0].period]
    # Checked again: the same payment is already recorded; no button to record it twice.
    response = client.post(url, values)
    assert response.context["preview"].already_recorded
    html = response.content.decode()
    assert "Pembayaran dengan referensi ini sudah dicatat" in html and 'name="confirm"' not in html


def test_a_zero_or_negative_amount_never_reaches_the_service(client, personas, member):
    client.force_login(personas["facilitator_remu"])
    for amount in ("-5000", "0"):
        for confirm in ("", "1"):
            response = client.post(f"/orang/{member.person_id}/bayar/", {
                "amount_idr": amount, "paid_on": timezone.localdate().isoformat(), "channel": "retail",
                "confirm": confirm})
            assert response.status_code == 200 and response.context["preview"] is None
            assert response.context["form"].errors["amount_idr"] == ["Jumlah pembayaran harus lebih dari nol."]
            assert "Jumlah pembayaran harus lebih dari nol." in response.content.decode()
    assert not Payment.objects.exists()


def test_a_reference_used_for_another_payment_is_refused_on_its_field(client, personas, member):
    due = member.dues.order_by("period").first()
    today = timezone.localdate()
    payment_record(actor=personas["operator_sorong"], membership=member, amount_idr=due.amount_idr,
                   paid_on=today, reference="ALFA-9")
    client.force_login(personas["facilitator_remu"])
    for confirm in ("", "1"):
        response = client.post(f"/orang/{member.person_id}/bayar/", {
            "amount_idr": str(due.amount_idr * 2), "paid_on": today.isoformat(), "channel": "retail",
            "reference": "ALFA-9", "confirm": confirm})
        assert response.status_code == 200
        errors = response.context["form"].errors["reference"]
        assert "sudah dipakai" in errors[0] and 'value="ALFA-9"' in response.content.decode()
    assert Payment.objects.count() == 1


# A payer's invoices


def next_quarter(day: dt.date) -> dt.date:
    month = add_months(month_start(day), 1)
    while (month.month - 1) % 3:
        month = add_months(month, 1)
    return month


@pytest.fixture
def city_members(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> list[Membership]:
    start = next_quarter(timezone.localdate())
    return [membership_enrol(actor=personas["operator_sorong"], person=register_person(), payer=payers["city"],
                             programs="JKK,JKM", declared_income_idr=brackets()[0], start_date=start, kpj=kpj())
            for _ in range(3)]


def test_the_office_issues_a_quarter_invoice_and_records_it_in_two_payments(client, personas, payers,
                                                                             city_members):
    quarter = next_quarter(timezone.localdate())
    today = timezone.localdate().isoformat()
    client.force_login(personas["operator_sorong"])
    page = client.get("/wadah/APBD-KOTA/").content.decode()
    assert "Terbitkan tagihan" in page and 'action="/wadah/APBD-KOTA/tagihan/terbitkan/"' in page
    # A quarter starts a quarter; a month must be a month: refused on the field, values kept.
    off = add_months(quarter, 1)
    response = client.post("/wadah/APBD-KOTA/tagihan/terbitkan/", {"period": f"{off:%Y-%m}", "months": "3"})
    assert response.status_code == 200 and response.context["issue_form"].errors["period"]
    assert f'value="{off:%Y-%m}"' in response.content.decode()
    response = client.post("/wadah/APBD-KOTA/tagihan/terbitkan/", {"period": "maret", "months": "3"})
    assert response.context["issue_form"].errors["period"] and not Invoice.objects.exists()
    response = client.post("/wadah/APBD-KOTA/tagihan/terbitkan/", {"period": f"{quarter:%Y-%m}", "months": "3"})
    invoice = Invoice.objects.get(payer=payers["city"])
    assert response.status_code == 302 and response.url == f"/wadah/APBD-KOTA/#tagihan-{invoice.pk}"
    assert (invoice.period, invoice.months, invoice.member_count) == (quarter, 3, 3)
    due = Due.objects.filter(invoice=invoice).first().amount_idr
    assert invoice.total_idr == 9 * due
    html = client.get("/wadah/APBD-KOTA/").content.decode()
    assert "3 peserta" in html and f'action="/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"' in html
    # Part of it: whole dues, oldest month first, the rest left unapplied.
    pay = f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"
    prefix = f"t{invoice.pk}-"
    part = {f"{prefix}paid_on": today, f"{prefix}reference": "SP2D-1", f"{prefix}amount_idr": str(4 * due + 1000),
            "confirmed": "1"}
    response = client.post(pay, part, follow=True)
    assert response.redirect_chain == [(f"/wadah/APBD-KOTA/#tagihan-{invoice.pk}", 302)]
    html = response.content.decode()
    assert "4 iuran lunas" in html and "Rp1.000" in html and "Dibayar sebagian" in html and "SP2D-1" in html
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_idr, invoice.outstanding_idr) == ("partial", 4 * due, 5 * due)
    # The same transfer again: said so, nothing added.
    html = client.post(pay, part, follow=True).content.decode()
    assert "sudah dicatat sebelumnya" in html and InvoicePayment.objects.count() == 1
    # More than is owed: refused on the amount, typed values kept.
    response = client.post(pay, {f"{prefix}paid_on": today, f"{prefix}reference": "SP2D-2",
                                 f"{prefix}amount_idr": str(100 * due)})
    assert response.status_code == 200
    assert response.context["invoices"][0].pay_form.errors["amount_idr"]
    assert 'value="SP2D-2"' in response.content.decode()
    # The rest: the amount left empty pays all that is outstanding.
    html = client.post(pay, {f"{prefix}paid_on": today, f"{prefix}reference": "SP2D-2", "confirmed": "1"},
                       follow=True).content.decode()
    assert "5 iuran lunas" in html and "Tagihan lunas." in html
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.outstanding_idr == 0
    assert not Due.objects.filter(invoice=invoice, status="open").exists()
    assert list(invoice.payments.order_by("id").values_list("reference", "unapplied_idr")) == [
        ("SP2D-1", 1000), ("SP2D-2", 0)]
    assert pay not in client.get("/wadah/APBD-KOTA/").content.decode()  # paid: no payment form left


def test_months_not_yet_invoiced_are_listed(client, personas, payers, register_person):
    operator = personas["operator_sorong"]
    month = month_start(timezone.localdate())
    membership_enrol(actor=operator, person=register_person(), payer=payers["city"], programs="JKK,JKM",
                     declared_income_idr=brackets()[0], start_date=month, kpj=kpj())
    billing_run(actor=operator, period=month)
    client.force_login(personas["admin_sorong"])
    response = client.get("/wadah/APBD-KOTA/")
    assert [m.period for m in response.context["uninvoiced"]] == [month]
    assert "Bulan yang belum ditagih" in response.content.decode()
    assert response.context["issue_form"].initial["period"] == f"{month:%Y-%m}"


def test_roles_without_money_write_cannot_post(client, personas, payers, city_members):
    from jaring.contributions.services import invoice_issue

    invoice = invoice_issue(actor=personas["admin_sorong"], payer=payers["city"],
                            period=next_quarter(timezone.localdate()), months=3)
    issue = {"period": f"{invoice.period:%Y-%m}", "months": "3"}
    pay = {f"t{invoice.pk}-paid_on": timezone.localdate().isoformat(), f"t{invoice.pk}-reference": "SP2D-X",
           "confirmed": "1"}
    for username in ("facilitator_remu", "auditor", "liaison"):
        client.force_login(personas[username])
        assert client.post("/wadah/APBD-KOTA/tagihan/terbitkan/", issue).status_code == 403, username
        assert client.post(f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/", pay).status_code == 403, username
    assert not InvoicePayment.objects.exists()
    client.force_login(personas["auditor"])  # reads the books, is offered no form
    html = client.get("/wadah/APBD-KOTA/").content.decode()
    assert "Belum dibayar" in html and "Terbitkan tagihan" not in html and "/bayar/" not in html


def test_a_self_payer_has_no_invoices_to_issue(client, personas, payers, member):
    client.force_login(personas["operator_sorong"])
    html = client.get("/wadah/MANDIRI/").content.decode()
    assert "Terbitkan tagihan" not in html and "Bulan yang belum ditagih" not in html
    response = client.post("/wadah/MANDIRI/tagihan/terbitkan/",
                           {"period": f"{month_start(timezone.localdate()):%Y-%m}", "months": "1"}, follow=True)
    assert response.redirect_chain == [("/wadah/MANDIRI/", 302)]
    assert "Peserta mandiri membayar sendiri" in response.content.decode() and not Invoice.objects.exists()
    assert client.get("/wadah/MANDIRI/tagihan/terbitkan/").status_code == 302  # a GET changes nothing
    assert client.get("/wadah/MANDIRI/tagihan/999999/bayar/").status_code == 404
