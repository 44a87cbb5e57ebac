"""The money pages in a browser: a facilitator enrols a person and records a payment on a 360 px
phone, the at-risk list is read and filtered on a phone, and the office issues a quarter invoice and
records its SP2D payments at 1366 px. The data is built through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from conftest import KLAWASI, REMU
from tests.browser.conftest import SCREENSHOTS, shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

_KPJ = itertools.count(1)


def kpj() -> str:
    return f"2612{next(_KPJ):07d}"  # 11 digits


def brackets() -> tuple[int, ...]:
    from jaring.core.parameters import current_parameters

    return tuple(current_parameters().on(timezone.localdate(), field="start").value("income_brackets", "brackets_idr"))


def running_month(offset: int = 0) -> dt.date:
    from jaring.core.money import add_months, month_start

    return add_months(month_start(timezone.localdate()), offset)


def viewport_shot(page: Any, name: str) -> None:
    """The screen only: a list of 50 is ~11,000 px tall as a full page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_filters(page):  # type: ignore[no-untyped-def]
    """The at-risk filters fold away on a phone until asked for."""
    if page.locator("details.filters").get_attribute("open") is None:
        page.click("details.filters summary")


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px phone"


def enrol(personas: dict[str, Any], person: Any, payer: Any, start: dt.date) -> Any:
    from jaring.membership.services import membership_enrol

    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=brackets()[0], start_date=start, kpj=kpj())


def bill(personas: dict[str, Any], *offsets: int) -> None:
    from jaring.contributions.services import billing_run

    for offset in offsets:
        billing_run(actor=personas["operator_sorong"], period=running_month(offset))


# A facilitator on a phone: enrol, then a payment checked before it is recorded


def test_a_facilitator_enrols_a_person_on_a_phone(phone, live_server, personas, payers, register_person):
    from jaring.membership.models import Membership

    person = register_person(full_name="Agustina Sawaki", occupation="market_trader")
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/{person.pk}/")
    panel = phone.locator("section.membership-panel")
    assert "Belum pernah terdaftar." in panel.inner_text()
    fits_the_phone(phone)
    phone.click("text=Daftarkan sebagai peserta")
    phone.wait_for_url(f"{live_server.url}/orang/{person.pk}/daftar/")
    # A facilitator is offered the self-payer only, already chosen.
    options = [o for o in phone.locator("#id_payer option").all_inner_texts() if o != "—"]
    assert len(options) == 1 and options[0].startswith("Mandiri"), options
    assert phone.input_value("#id_payer") == "MANDIRI"
    assert phone.input_value("#id_start_date") == timezone.localdate().isoformat()
    phone.select_option("#id_declared_income_idr", str(brackets()[0]))
    phone.check("#id_jht")
    number = kpj()
    phone.fill("#id_kpj", number)
    fits_the_phone(phone)
    shot(phone, "money_enrol_form_phone")
    phone.click("form button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/orang/{person.pk}/")
    membership = Membership.objects.get(person=person)
    assert (membership.payer.code, membership.status, membership.has_jht) == ("MANDIRI", "active", True)
    assert "Agustina Sawaki didaftarkan melalui Mandiri" in phone.locator("main").inner_text()
    # The protection badge and the reason under it; no second enrolment offered.
    assert phone.locator("section.membership-panel .badge").inner_text() == "Terlindungi"
    reason = phone.locator("section.membership-panel .protection-reason").inner_text()
    assert reason.startswith("Terlindungi:"), reason
    assert number in panel.inner_text()
    assert phone.locator("text=Daftarkan sebagai peserta").count() == 0
    assert phone.locator("section.membership-panel a:has-text('Catat pembayaran')").count() == 1
    fits_the_phone(phone)
    shot(phone, "money_enrolled_phone")


def test_a_payment_is_checked_then_recorded_on_a_phone(phone, live_server, personas, payers, register_person):
    from jaring.contributions.models import Due, Payment

    person = register_person(full_name="Hana Momot", occupation="market_trader")
    membership = enrol(personas, person, payers["self"], running_month(-2))
    bill(personas, -2, -1)
    dues = list(Due.objects.filter(membership=membership).order_by("period"))
    assert [d.period for d in dues] == [running_month(-2), running_month(-1)]
    owed = sum(d.amount_idr for d in dues)

    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/{person.pk}/")
    panel = phone.locator("section.membership-panel")
    assert panel.locator(".badge").inner_text() == "Tidak terlindungi"
    assert "menunggak 2 bulan" in panel.locator(".protection-reason").inner_text()
    assert panel.locator(".strip .cell.s-unpaid").count() == 2
    phone.click("section.membership-panel a:has-text('Catat pembayaran')")
    phone.wait_for_url(f"{live_server.url}/orang/{person.pk}/bayar/")
    assert phone.input_value("#id_paid_on") == timezone.localdate().isoformat()
    phone.fill("#id_amount_idr", str(owed))
    phone.fill("#id_reference", "ALFA-0701")
    # Step 1: "Periksa" shows what the payment will pay; nothing is written.
    phone.click("button:has-text('Periksa')")
    preview = phone.locator("section.payment-preview")
    preview.wait_for()
    assert preview.locator("table.compact tbody tr").count() == 2
    text = preview.inner_text()
    for due in dues:
        assert f"{due.period:%Y}" in text
    assert "Pembayaran ini melunasi" in text
    assert not Payment.objects.exists()
    fits_the_phone(phone)
    shot(phone, "money_payment_check_phone")
    # Step 2: "Catat pembayaran" records the same values.
    preview.locator("button:has-text('Catat pembayaran')").click()
    phone.wait_for_url(f"{live_server.url}/orang/{person.pk}/")
    assert "Pembayaran dicatat" in phone.locator("main").inner_text()
    payment = Payment.objects.get(reference="ALFA-0701")
    assert payment.amount_idr == owed
    assert set(Due.objects.filter(membership=membership).values_list("status", flat=True)) == {"paid"}
    # The two months are paid on the strip (after their due date: late), none left unpaid.
    panel = phone.locator("section.membership-panel")
    assert panel.locator(".strip .cell.s-unpaid").count() == 0
    assert panel.locator(".strip .cell.s-paid_late").count() == 2
    assert panel.locator(".badge").inner_text() == "Terlindungi"
    fits_the_phone(phone)
    shot(phone, "money_paid_phone")


# The at-risk list on a phone


@pytest.fixture
def behind(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Any]:
    """54 self-payers in Remu behind (52 by two months, one by one month, one by three), one city-paid
    member in Remu two months behind and one self-payer in Klawasi two months behind."""
    people: dict[str, Any] = {}
    plan = ([(f"Peserta {i:02d}", "self", REMU, -2) for i in range(52)]
            + [("Satu Bulan", "self", REMU, -1), ("Tiga Bulan", "self", REMU, -3),
               ("Dibayar Kota", "city", REMU, -2), ("Warga Klawasi", "self", KLAWASI, -2)])
    for name, payer, kelurahan, start in plan:
        person = register_person(full_name=name, kelurahan=kelurahan, occupation="market_trader")
        enrol(personas, person, payers[payer], running_month(start))
        people[name] = person
    bill(personas, -3, -2, -1)
    return people


def rows(page: Any) -> list[str]:
    return page.locator("table.list tbody tr td:first-child").all_inner_texts()


def test_the_at_risk_list_on_a_phone(phone, browser, live_server, personas, behind):
    from jaring.contributions.selectors import AtRiskFilter, at_risk

    url = f"{live_server.url}/risiko/"
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(url)
    tabs = phone.locator("nav.subnav a")
    assert tabs.all_inner_texts() == ["Bayar sendiri (54)", "Dibayar pemerintah/lembaga (1)"]
    assert tabs.first.get_attribute("aria-current") == "page"
    # First to lapse first, 50 to a page.
    first = rows(phone)
    assert len(first) == 50 and first[0] == "Tiga Bulan"
    assert "Menampilkan 1–50 dari 54" in phone.locator("nav.pager").inner_text()
    assert "Warga Klawasi" not in first and "Dibayar Kota" not in first  # another area; the city's arrears
    fits_the_phone(phone)
    viewport_shot(phone, "money_at_risk_phone")
    phone.click("nav.pager a:has-text('Berikutnya')")
    phone.wait_for_url("**page=2**")
    second = rows(phone)
    assert len(second) == 4 and "Menampilkan 51–54 dari 54" in phone.locator("nav.pager").inner_text()
    assert set(first) | set(second) == {n for n in behind if n not in ("Warga Klawasi", "Dibayar Kota")}
    assert rows(phone)[-1] == "Satu Bulan"  # one month behind lapses last
    fits_the_phone(phone)
    # The government's arrears: their own tab, said to be the payer's.
    phone.click("nav.subnav a:has-text('Dibayar pemerintah/lembaga')")
    phone.wait_for_url("**kelompok=collective**")
    assert rows(phone) == ["Dibayar Kota"]
    assert "APBD Kota Sorong" in phone.locator("table.list").inner_text()
    assert "bukan pesertanya" in phone.locator("p.notice").inner_text()
    fits_the_phone(phone)
    # Months behind.
    phone.click("nav.subnav a:has-text('Bayar sendiri')")
    phone.wait_for_url("**kelompok=self**")
    open_filters(phone)
    phone.select_option("select[name=bulan]", "1")
    phone.click("form.filters button[type=submit]")
    phone.wait_for_url("**bulan=1**")
    assert rows(phone) == ["Satu Bulan"]
    assert phone.locator("nav.pager").count() == 0
    phone.click("form.filters a:has-text('Hapus saringan')")
    phone.wait_for_url("**kelompok=self")
    # Lapsing this week: whoever the selector says, on whatever day this runs.
    today = timezone.localdate()
    week_end = today + dt.timedelta(days=7)
    expected = [r.full_name for r in at_risk(actor=personas["facilitator_remu"], today=today,
                                             where=AtRiskFilter(lapsing_by=week_end)) if r.payer_is_self]
    open_filters(phone)
    phone.check("input[name=minggu_ini]")
    phone.click("form.filters button[type=submit]")
    phone.wait_for_url("**minggu_ini=1**")
    assert phone.locator("input[name=minggu_ini]").is_checked()
    assert rows(phone) == expected
    if expected:
        assert phone.locator("table.list tbody tr.urgent").count() == len(expected)
    else:
        assert "Tidak ada peserta berisiko yang cocok dengan saringan ini." in phone.locator("main").inner_text()
    fits_the_phone(phone)

    # The office on a phone: the kelurahan filter over the whole city.
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="id-ID")
    try:
        office = context.new_page()
        log_in(office, live_server.url, "operator_sorong")
        office.goto(url)
        assert office.locator("nav.subnav a").first.inner_text() == "Bayar sendiri (55)"
        open_filters(office)
        office.select_option("select[name=kelurahan]", KLAWASI)
        office.click("form.filters button[type=submit]")
        office.wait_for_url(f"**kelurahan={KLAWASI}**")
        assert rows(office) == ["Warga Klawasi"]
        assert office.locator("nav.subnav a").all_inner_texts() == [
            "Bayar sendiri (1)", "Dibayar pemerintah/lembaga (0)"]
        fits_the_phone(office)
        shot(office, "money_at_risk_filtered_phone")
    finally:
        context.close()


# The office at 1366 px: a quarter invoice paid by two SP2D transfers


def next_quarter(day: dt.date) -> dt.date:
    from jaring.core.money import add_months, month_start

    month = add_months(month_start(day), 1)
    while (month.month - 1) % 3:
        month = add_months(month, 1)
    return month


def test_the_office_issues_a_quarter_invoice_and_records_two_payments(browser, live_server, personas, payers,
                                                                      register_person):
    from jaring.contributions.models import Invoice

    quarter = next_quarter(timezone.localdate())
    for name in ("Yakob Kalami", "Martha Kambu", "Markus Osok"):
        enrol(personas, register_person(full_name=name, occupation="market_trader"), payers["city"], quarter)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    try:
        page = context.new_page()
        log_in(page, live_server.url, "operator_sorong")
        page.goto(f"{live_server.url}/wadah/APBD-KOTA/")
        assert page.locator("h1").inner_text() == "APBD Kota Sorong"
        page.fill("#id_period", f"{quarter:%Y-%m}")
        page.select_option("#id_months", "3")
        page.click("button:has-text('Terbitkan tagihan')")
        page.wait_for_url("**/wadah/APBD-KOTA/#tagihan-*")
        invoice = Invoice.objects.get(payer=payers["city"])
        assert (invoice.period, invoice.months, invoice.member_count) == (quarter, 3, 3)
        card = page.locator(f"#tagihan-{invoice.pk}")
        assert card.locator(".badge").inner_text() == "Belum dibayar"
        due = invoice.total_idr // 9
        assert invoice.total_idr == 9 * due
        # Part of it: four dues' worth and a little more.
        prefix = f"#id_t{invoice.pk}-"
        card.locator("summary:has-text('Catat pembayaran tagihan ini')").click()
        page.fill(f"{prefix}reference", "SP2D/KOTA/0001")
        page.fill(f"{prefix}amount_idr", str(4 * due + 1000))
        card.locator("button:has-text('Catat pembayaran')").click()
        # The confirmation: what the transfer pays, then the second button (issue 14.3).
        assert "4 dari 9 iuran terbuka" in page.locator("[data-confirm-figures]").inner_text()
        page.locator("button:has-text('Ya, catat pembayaran')").click()
        page.wait_for_load_state()
        card = page.locator(f"#tagihan-{invoice.pk}")
        card.locator(".badge:has-text('Dibayar sebagian')").wait_for()
        assert "SP2D/KOTA/0001" in card.inner_text()
        invoice.refresh_from_db()
        assert (invoice.status, invoice.paid_idr) == ("partial", 4 * due)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        shot(page, "money_invoice_partial_1366")
        # The rest: the amount left empty pays what is outstanding.
        card.locator("summary:has-text('Catat pembayaran tagihan ini')").click()
        page.fill(f"{prefix}reference", "SP2D/KOTA/0002")
        card.locator("button:has-text('Catat pembayaran')").click()
        page.locator("button:has-text('Ya, catat pembayaran')").click()
        page.wait_for_load_state()
        card = page.locator(f"#tagihan-{invoice.pk}")
        card.locator(".badge:has-text('Lunas')").wait_for()
        assert "Tagihan lunas." in page.locator("main").inner_text()
        assert card.locator("summary").count() == 0  # paid: no payment form left
        assert card.locator("table tbody tr").count() == 2
        invoice.refresh_from_db()
        assert (invoice.status, invoice.outstanding_idr) == ("paid", 0)
        shot(page, "money_invoice_paid_1366")
    finally:
        context.close()
