"""Consequential money actions are confirmed after a page of figures, with an optional comment kept
in the audit event (issue 14, point 3): recording a payer's transfer against an invoice, ending a
membership, reactivating a cohort."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from jaring.contributions.models import Due, Invoice, InvoicePayment
from jaring.contributions.services import invoice_issue
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_enrol
from jaring.membership.tests.test_bpjstk_pages import lapsed  # noqa: F401  (the fixture)
from jaring.membership.tests.test_money_pages import brackets, kpj, next_quarter

HOSTILE = "<b>tebal</b>\x00\x07\u2028" + "x" * 10_000


@pytest.fixture
def invoice(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> Invoice:
    start = next_quarter(timezone.localdate())
    for _ in range(3):
        membership_enrol(actor=personas["operator_sorong"], person=register_person(), payer=payers["city"],
                         programs="JKK,JKM", declared_income_idr=brackets()[0], start_date=start, kpj=kpj())
    return invoice_issue(actor=personas["admin_sorong"], payer=payers["city"], period=start, months=3)


def _pay(invoice: Invoice, **extra: str) -> dict[str, str]:
    p = f"t{invoice.pk}-"
    return {f"{p}paid_on": timezone.localdate().isoformat(), f"{p}reference": "SP2D/0001", **extra}


def test_an_invoice_payment_is_shown_first_and_changes_nothing(client, personas, invoice):
    client.force_login(personas["operator_sorong"])
    url = f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"
    due = invoice.total_idr // 9
    response = client.post(url, _pay(invoice, **{f"t{invoice.pk}-amount_idr": str(4 * due + 1000)}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "4 dari 9 iuran terbuka (3 peserta)" in page and 'name="confirmed" value="1"' in page
    rp = f"Rp{5 * due:,}".replace(",", ".")
    assert rp in page and "Rp1.000" in page and "Komentar (opsional)" in page
    assert f'name="t{invoice.pk}-reference" value="SP2D/0001"' in page
    assert not InvoicePayment.objects.exists() and not Due.objects.filter(status="paid").exists()
    assert not AuditEvent.objects.filter(action="invoice.pay").exists()


def test_a_confirmed_invoice_payment_keeps_the_comment(client, personas, invoice):
    client.force_login(personas["operator_sorong"])
    url = f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"
    response = client.post(url, _pay(invoice, confirmed="1", comment=" Transfer BUD \t tahap 1 "))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert AuditEvent.objects.get(action="invoice.pay").after["comment"] == "Transfer BUD tahap 1"


def test_a_hostile_comment_on_a_payment_is_cleaned(client, personas, invoice):
    client.force_login(personas["operator_sorong"])
    url = f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"
    shown = client.post(url, _pay(invoice, comment=HOSTILE)).content.decode()
    assert "<b>tebal</b>" not in shown and "&lt;b&gt;tebal&lt;/b&gt;" in shown
    assert client.post(url, _pay(invoice, confirmed="1", comment=HOSTILE)).status_code == 302
    comment = AuditEvent.objects.get(action="invoice.pay").after["comment"]
    assert len(comment) == 500 and comment.startswith("<b>tebal</b> x") and "\x00" not in comment


def test_too_much_or_a_future_date_is_refused_on_the_form(client, personas, invoice):
    client.force_login(personas["operator_sorong"])
    url = f"/wadah/APBD-KOTA/tagihan/{invoice.pk}/bayar/"
    response = client.post(url, _pay(invoice, **{f"t{invoice.pk}-amount_idr": str(invoice.total_idr + 1)}))
    assert response.context["invoices"][0].pay_form.errors["amount_idr"]
    future = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    response = client.post(url, _pay(invoice, **{f"t{invoice.pk}-paid_on": future}))
    assert response.context["invoices"][0].pay_form.errors["paid_on"]
    assert not InvoicePayment.objects.exists()


# --- Ending a membership ---------------------------------------------------------------------------

@pytest.fixture
def billed(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> Membership:
    """A city member since two months ago, billed up to next month."""
    from jaring.contributions.services import billing_run
    from jaring.core.money import add_months, month_start

    first = add_months(month_start(timezone.localdate()), -2)
    membership = membership_enrol(actor=personas["operator_sorong"], person=register_person(), payer=payers["city"],
                                  programs="JKK,JKM", declared_income_idr=brackets()[0], start_date=first, kpj=kpj())
    for i in range(4):
        billing_run(actor=personas["operator_sorong"], period=add_months(first, i))
    return membership


def test_ending_a_membership_shows_the_figures_first(client, personas, billed):
    client.force_login(personas["operator_sorong"])
    url = f"/orang/{billed.person_id}/akhiri/"
    assert url in client.get(billed.person.get_absolute_url()).content.decode()
    form = client.get(url)
    assert form.status_code == 200 and "Periksa" in form.content.decode()
    today = timezone.localdate().isoformat()
    response = client.post(url, {"reason": "moved", "ended_on": today, "comment": "pindah ke Jayapura"})
    page = response.content.decode()
    due = Due.objects.filter(membership=billed).first().amount_idr
    assert "Iuran terbuka sesudah bulan itu yang dibatalkan" in page
    assert "1 iuran, Rp" + f"{due:,}".replace(",", ".") in page and 'name="confirmed" value="1"' in page
    assert "pindah ke Jayapura</textarea>" in page
    billed.refresh_from_db()
    assert billed.status == "active" and not AuditEvent.objects.filter(action="membership.end").exists()
    assert not Due.objects.filter(membership=billed, status="void").exists()


def test_a_confirmed_end_keeps_the_comment(client, personas, billed):
    client.force_login(personas["operator_sorong"])
    url = f"/orang/{billed.person_id}/akhiri/"
    today = timezone.localdate().isoformat()
    response = client.post(url, {"reason": "moved", "ended_on": today, "confirmed": "1",
                                 "comment": "Surat pindah\r\nno. 12"})
    assert response.status_code == 302
    billed.refresh_from_db()
    assert (billed.status, billed.end_reason) == ("ended", "moved")
    assert Due.objects.filter(membership=billed, status="void").count() == 1
    event = AuditEvent.objects.get(action="membership.end")
    assert event.after["comment"] == "Surat pindah no. 12" and event.after["status"] == "ended"


def test_ending_refuses_bad_input_and_hostile_comments_never_crash(client, personas, billed):
    client.force_login(personas["operator_sorong"])
    url = f"/orang/{billed.person_id}/akhiri/"
    future = timezone.localdate().replace(year=timezone.localdate().year + 1).isoformat()
    for data in ({"reason": "moved", "ended_on": future, "confirmed": "1"},
                 {"reason": "moved", "ended_on": "2000-01-01", "confirmed": "1"},
                 {"reason": "bogus", "ended_on": timezone.localdate().isoformat(), "confirmed": "1"},
                 {"reason": "", "ended_on": "", "confirmed": "1"}):
        response = client.post(url, data)
        assert response.status_code == 200 and response.context["form"].errors, data
    billed.refresh_from_db()
    assert billed.status == "active"
    today = timezone.localdate().isoformat()
    shown = client.post(url, {"reason": "withdrawn", "ended_on": today, "comment": HOSTILE}).content.decode()
    assert "<b>tebal</b>" not in shown
    assert client.post(url, {"reason": "withdrawn", "ended_on": today, "comment": HOSTILE,
                             "confirmed": "1"}).status_code == 302
    assert len(AuditEvent.objects.get(action="membership.end").after["comment"]) == 500


def test_only_the_office_ends_memberships(client, personas, billed):
    url = f"/orang/{billed.person_id}/akhiri/"
    for username in ("facilitator_remu", "auditor", "liaison"):
        client.force_login(personas[username])
        assert client.post(url, {"reason": "moved", "ended_on": timezone.localdate().isoformat(),
                                 "confirmed": "1"}).status_code in (403, 404), username
    billed.refresh_from_db()
    assert billed.status == "active"


# --- Reactivating a cohort ---------------------------------------------------------------------------


def test_reactivation_keeps_the_comment(client, personas, payers, lapsed):  # noqa: F811
    client.force_login(personas["operator_sorong"])
    url = "/wadah/APBD-KOTA/aktifkan-kembali/"
    page = client.get(url).content.decode()
    assert "Komentar (opsional)" in page and "Akan diaktifkan kembali" in page
    refused = client.post(url, {"reference": "SP2D 9", "comment": "belum dicentang"})
    assert refused.status_code == 200 and "Centang konfirmasi" in refused.content.decode()
    assert Membership.objects.filter(payer=payers["city"], status="ended").count() == 3
    response = client.post(url, {"reference": "SP2D 9", "confirm": "on", "comment": HOSTILE, "ended_from": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="payer.reactivate")
    assert len(event.after["comment"]) == 500 and event.after["comment"].startswith("<b>tebal</b> x")


@pytest.mark.parametrize("share", [0, 1, 4, 9])
def test_the_payment_plan_is_what_the_service_then_pays(personas, invoice, share):
    from jaring.contributions.selectors import invoice_payment_plan
    from jaring.contributions.services import invoice_payment_record

    due = invoice.total_idr // 9
    amount = share * due + 999 if share < 9 else None
    plan = invoice_payment_plan(invoice=invoice, amount_idr=amount)
    result = invoice_payment_record(actor=personas["operator_sorong"], invoice=invoice, amount_idr=amount,
                                    paid_on=timezone.localdate(), reference=f"SP2D-{share}")
    assert (plan.dues_paid, plan.applied_idr, plan.unapplied_idr) == (
        result.payment.dues_paid, result.payment.applied_idr, result.payment.unapplied_idr)
    assert plan.outstanding_after_idr == result.invoice.outstanding_idr and plan.dues_open == 9
