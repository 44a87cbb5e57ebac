"""A clerk's and a facilitator's day: log in, search, open a person, register a new one."""

import pytest

from conftest import PASSWORD, REMU
from tests.browser.conftest import shot

# serialized_rollback restores the regions and occupations that migrations load, after each flush.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from jaring.accounts.models import User
    from jaring.accounts.services import user_requires_2fa
    from jaring.accounts.testing import next_totp_code, otp_test_device

    user = User.objects.get(username=username)
    device = otp_test_device(user) if user_requires_2fa(user) else None
    page.goto(f"{base}/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:  # admin and operator: the code from their authenticator app
        page.wait_for_url(f"{base}/masuk/kode/**")
        device.refresh_from_db()
        page.fill("#id_code", next_totp_code(device))
        page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_operator_searches_opens_and_registers(page, live_server, personas, register_person):
    register_person(full_name="Yohanes Kalami", kelurahan=REMU)
    log_in(page, live_server.url, "operator_sorong")
    assert "orang terdaftar" in page.content()
    page.fill("input[name=q]", "kalami")
    page.click("form[role=search] button[type=submit]")
    page.click("text=Yohanes Kalami")
    assert page.locator("h1").inner_text() == "Yohanes Kalami"
    page.click("text=Tampilkan NIK")
    page.wait_for_selector("text=dicatat di log audit")
    shot(page, "person_detail_desktop")

    page.goto(f"{live_server.url}/orang/baru/")
    page.fill("#id_nik", "9271015508900001")
    page.fill("#id_full_name", "Agustina Sawaki")
    page.check("input[name=sex][value=F]")
    page.fill("#id_birth_date", "1990-08-15")
    page.select_option("#id_kelurahan", REMU)
    page.select_option("#id_occupation", "market_trader")
    page.fill("#id_phone", "081344556677")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Agustina Sawaki')")
    assert "9271********0001" in page.content()
    assert "Agustina Sawaki terdaftar" in page.content()


def test_facilitator_on_a_phone(phone, live_server, personas, register_person):
    for name in ["Maria Mobalen", "Markus Osok", "Martha Kambu"]:
        register_person(full_name=name, kelurahan=REMU)
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/?q=mar")
    assert phone.locator("table.list tbody tr").count() == 3
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px phone"
    # Every menu item is on screen, none cut off at the right edge.
    edges = phone.evaluate("[...document.querySelectorAll('.mainnav a')].map(a => a.getBoundingClientRect().right)")
    assert edges and max(edges) <= 360, edges
    path = shot(phone, "person_list_phone")
    assert path.stat().st_size > 10_000


def test_invalid_nik_error_is_shown_inline(page, live_server, personas):
    log_in(page, live_server.url, "operator_sorong")
    page.goto(f"{live_server.url}/orang/baru/")
    page.fill("#id_nik", "3.27E+15")
    page.fill("#id_full_name", "Yakob Kalami")
    page.click("button[type=submit]")
    error = page.locator("#id_nik_error")
    assert "Excel" in error.inner_text()
    assert page.input_value("#id_full_name") == "Yakob Kalami"
