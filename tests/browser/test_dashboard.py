"""The coverage dashboard with its SVG charts, for an admin and (scoped) for a facilitator, on a phone."""

import pytest

from jaring.reports.tests.fixtures import small_city  # noqa: F401 - a fixture
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHARTS = ["chart-area", "chart-payer", "chart-occupation", "chart-sex", "chart-trend"]


@pytest.fixture
def city(request, personas):  # type: ignore[no-untyped-def]
    from jaring.reports.services import snapshot_refresh

    state = request.getfixturevalue("small_city")

    snapshot_refresh(actor=personas["operator_sorong"], months=9, today=state["today"])
    return state


def _charts_and_tables(page):  # type: ignore[no-untyped-def]
    for chart in CHARTS:
        svg = page.locator(f"svg#{chart}")
        assert svg.count() == 1 and svg.is_visible()
        assert svg.get_attribute("role") == "img"
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20
        # every chart is followed by its table
        assert page.locator(f"svg#{chart} ~ div table.figures").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_admin_dashboard_on_a_phone(phone, live_server, city):
    log_in(phone, live_server.url, "admin_sorong")
    phone.goto(f"{live_server.url}/dasbor/?bulan={city['r']:%Y-%m}")
    assert phone.locator("h1").inner_text().startswith("Dasbor cakupan")
    _charts_and_tables(phone)
    assert phone.locator("#card-protected b").inner_text() == "3"
    assert phone.locator("#card-decile b").inner_text() == "50,0%"
    assert phone.locator("svg#chart-area g.bar").count() == 10  # every distrik of the city
    assert phone.locator("svg#chart-trend polyline.series").count() >= 1
    rows = phone.locator("#table-facilitators tbody tr")
    assert rows.count() == 2
    shot(phone, "dashboard_admin_phone")


def test_facilitator_sees_only_their_kelurahan(phone, live_server, city):
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/dasbor/?bulan={city['r']:%Y-%m}")
    _charts_and_tables(phone)
    assert phone.locator("svg#chart-area g.bar").count() == 1
    assert phone.locator("#table-area tbody th").all_inner_texts() == ["Remu"]
    assert phone.locator("#card-protected b").inner_text() == "3"
    body = phone.locator("main").inner_text()
    assert "Klawasi" not in body and "Sorong Barat" not in body and "Siti Aisyah" not in body
    assert phone.locator("#table-facilitators tbody tr").count() == 1
    assert phone.locator("#target-form").count() == 0
    shot(phone, "dashboard_facilitator_phone")


def test_dashboard_prints_on_a4(page, live_server, city):
    log_in(page, live_server.url, "admin_sorong")
    page.goto(f"{live_server.url}/dasbor/?bulan={city['r']:%Y-%m}")
    assert page.locator("svg.chart").count() == len(CHARTS)
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator("#export-xlsx").is_visible()
    assert page.locator("svg#chart-trend").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
