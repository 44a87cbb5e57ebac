"""The error summary on a phone (issue 14, point 4): an empty person form, submitted at 360 px,
comes back with the summary on screen and focused, each link leading to its field."""

import pytest

from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_empty_person_form_on_a_phone_shows_and_focuses_the_summary(phone, live_server, personas):
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/baru/")
    phone.click("form[method=post] button[type=submit]")
    summary = phone.locator(".error-summary")
    summary.wait_for()
    assert "isian yang perlu diperbaiki" in summary.inner_text()
    assert phone.evaluate("document.activeElement && document.activeElement.classList.contains('error-summary')")
    box = phone.evaluate("(() => { const r = document.querySelector('.error-summary').getBoundingClientRect();"
                         " return [r.top, r.right, window.innerHeight]; })()")
    top, right, height = box
    assert 0 <= top < height and right <= 360, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    # Inputs are at least 16 px (no zoom on tap) and the name field spans the form.
    size = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('#id_full_name')).fontSize)")
    assert size >= 16
    shot(phone, "person_form_errors_phone")
    # A link moves to its field.
    summary.locator("a[href='#id_full_name']").click()
    assert phone.evaluate("location.hash") == "#id_full_name"
