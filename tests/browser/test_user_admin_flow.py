"""People and the trail in the browser (issue 15): an admin creates a facilitator for one kelurahan,
the facilitator logs in on a phone with the temporary password, must change it, and then sees only
their kelurahan; the auditor filters the trail to that facilitator's actions."""

import datetime as dt

import pytest

from conftest import KLAWASI, PASSWORD, REMU
from tests.browser.conftest import shot
from tests.browser.test_accessibility import axe_violations, report
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "ikan-asar-di-remu-2026"  # the facilitator's own new password in the test


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px phone"


def test_admin_creates_a_facilitator_who_changes_the_password_and_sees_only_their_area(
        page, phone, browser, live_server, personas, register_person):
    from jaring.core.models import AuditEvent
    register_person(full_name="Agustina Remu", sex="F", birth_date=dt.date(1988, 3, 4), kelurahan=REMU)
    register_person(full_name="Benyamin Klawasi", sex="M", birth_date=dt.date(1979, 8, 1), kelurahan=KLAWASI)
    found: dict[str, list] = {}

    # The admin: Pengguna → Tambah pengguna, a facilitator for Remu with a temporary password.
    log_in(page, live_server.url, "admin_sorong")
    page.click("nav >> text=Pengguna")
    page.wait_for_selector("h1:has-text('Pengguna')")
    page.click("text=Tambah pengguna")
    page.fill("#id_username", "pendamping_baru")
    page.fill("#id_name", "Ester Mambrasar")
    page.select_option("#id_role", "facilitator")
    box = page.locator(f"input[name=areas][value='{REMU}']")
    page.locator("details", has=box).locator("summary").click()  # the district's group unfolds
    box.check()
    page.check("input[name=credentials][value=temporary]")
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Pengguna pendamping_baru dibuat')")
    temporary = page.locator("[data-credential]").inner_text().strip()
    assert len(temporary) == 16
    found["credentials"] = axe_violations(page)
    shot(page, "user_created")

    # The facilitator, on a phone: the temporary password, then a new one before anything else.
    phone.goto(f"{live_server.url}/masuk/")
    phone.fill("#id_username", "pendamping_baru")
    phone.fill("#id_password", temporary)
    phone.click("button[type=submit]")
    phone.wait_for_selector("h1:has-text('Ganti kata sandi')")
    _fits(phone)
    phone.goto(f"{live_server.url}/orang/")  # any other page sends them back
    phone.wait_for_selector("h1:has-text('Ganti kata sandi')")
    phone.fill("#id_old_password", temporary)
    phone.fill("#id_new_password1", "pendek")
    phone.fill("#id_new_password2", "pendek")
    phone.click("form button[type=submit]")
    assert "terlalu pendek" in phone.locator(".error-summary").inner_text()
    phone.fill("#id_old_password", temporary)
    phone.fill("#id_new_password1", NEW_PASSWORD)
    phone.fill("#id_new_password2", NEW_PASSWORD)
    phone.click("form button[type=submit]")
    phone.wait_for_selector("text=Kata sandi Anda sudah diganti")
    found["password_changed"] = axe_violations(phone)
    shot(phone, "password_changed_phone")
    # Only their kelurahan: the Remu worker is listed, the Klawasi one is not and cannot be opened.
    phone.goto(f"{live_server.url}/orang/")
    listing = phone.content()
    assert "Agustina Remu" in listing and "Benyamin Klawasi" not in listing
    _fits(phone)
    from jaring.registry.models import Person

    klawasi = Person.objects.get(full_name="Benyamin Klawasi")
    assert phone.goto(f"{live_server.url}/orang/{klawasi.pk}/").status == 404
    # The new password is the one that works from now on.
    phone.context.clear_cookies()
    phone.goto(f"{live_server.url}/masuk/")
    phone.fill("#id_username", "pendamping_baru")
    phone.fill("#id_password", NEW_PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/")

    # The auditor: the trail filtered to the new facilitator's actions.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    auditor = context.new_page()
    try:
        log_in(auditor, live_server.url, "auditor")
        auditor.goto(f"{live_server.url}/jejak/")
        auditor.click("#trail-filters summary")
        auditor.fill("input[name=actor]", "pendamping_baru")
        auditor.click("#trail-filters button[type=submit]")
        auditor.wait_for_selector("#trail-table")
        actions = auditor.locator("#trail-table tbody tr td:nth-child(3) > a").all_inner_texts()
        assert "user.password_change" in actions
        assert set(actions) == set(AuditEvent.objects.filter(actor_label="pendamping_baru")
                                   .values_list("action", flat=True))
        assert PASSWORD not in auditor.content() and temporary not in auditor.content()
        found["trail"] = axe_violations(auditor)
        shot(auditor, "trail_filtered_to_facilitator")
    finally:
        context.close()
    assert not any(found.values()), "axe found serious or critical violations:\n" + report(found)
