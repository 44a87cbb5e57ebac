"""The Simulasi page on a 360-px phone, and printed on one A4 page."""

import pytest

from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_simulation_on_a_phone_and_on_paper(phone, browser, live_server, personas):
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/simulasi/")
    phone.select_option("select[name=months]", "3")
    phone.click("button:has-text('Hitung')")
    phone.wait_for_selector("text=Yang dibayar")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Rp42.000.000" in phone.content()
    shot(phone, "simulation_phone")

    # Printed: Chromium's own PDF of the print stylesheet fits on a single A4 page.
    context = browser.new_context()
    context.add_cookies(phone.context.cookies())
    paper = context.new_page()
    paper.goto(f"{live_server.url}/simulasi/?months=3")
    pdf = paper.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, f"the simulation prints on {pages} pages"
    context.close()
