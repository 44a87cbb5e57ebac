"""The claims report on a 360 px phone: cards, four charts each followed by its table, the wide
tables scrolling inside their box and never the page; a facilitator's without money or other areas."""

import pytest

from jaring.reports.tests.test_claims_report import city  # noqa: F401 - a fixture
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GROUPS = ["month", "distrik", "type", "payer"]


def _fits_a_phone(page):  # type: ignore[no-untyped-def]
    for name in GROUPS:
        svg = page.locator(f"svg#chart-claims-{name}")
        assert svg.count() == 1 and svg.is_visible() and svg.get_attribute("role") == "img"
        assert page.locator(f"svg#chart-claims-{name} ~ div table#table-claims-{name}").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_admin_claims_report_on_a_phone(phone, live_server, city):  # noqa: F811
    log_in(phone, live_server.url, "admin_sorong")
    phone.goto(f"{live_server.url}/laporan/klaim/?dari=2026-01&sampai=2026-12")
    assert phone.locator("h1").inner_text().startswith("Laporan klaim")
    _fits_a_phone(phone)
    assert phone.locator("#card-reported b").inner_text() == "4"
    assert phone.locator("#card-benefits b").inner_text() == "Rp42.000.000"
    assert "APBD Kota Sorong membayar iuran Rp117.600" in phone.locator("#money").inner_text()
    shot(phone, "claims_report_admin_phone")


def test_facilitator_claims_report_on_a_phone(phone, live_server, city):  # noqa: F811
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/laporan/klaim/?dari=2026-01&sampai=2026-12")
    _fits_a_phone(phone)
    assert phone.locator("#card-reported b").inner_text() == "3"
    assert phone.locator("#card-benefits").count() == 0 and phone.locator("#money").count() == 0
    assert phone.locator("#table-claims-distrik tbody th").all_inner_texts() == ["Sorong"]
    body = phone.locator("main").inner_text()
    assert "Klawasi" not in body and "Sorong Barat" not in body
    shot(phone, "claims_report_facilitator_phone")
