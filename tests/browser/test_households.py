"""A facilitator builds a household with two members on a phone (issue 14.1): from the menu, the KK
first, then a new member registered on the spot and a registered person found by the search."""

import datetime as dt

import pytest

from conftest import REMU
from tests.browser.conftest import shot
from tests.browser.test_accessibility import axe_violations, report
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px phone"


def test_a_household_with_two_members_on_a_phone(phone, live_server, personas, register_person):
    from jaring.registry.models import Household, HouseholdMembershipChange, Person
    from jaring.registry.testing import make_kk, make_nik

    register_person(full_name="Martha Kambu", sex="F", birth_date=dt.date(1986, 4, 9), kelurahan=REMU)
    kk = make_kk(issued=dt.date(2019, 5, 2), serial=31)
    log_in(phone, live_server.url, "facilitator_remu")

    phone.click("label.menu-button")
    phone.click(".mainnav >> text=Tambah keluarga")
    phone.wait_for_selector("h1:has-text('Keluarga baru')")
    _fits(phone)
    phone.fill("#id_kk_number", kk)
    phone.fill("#id_address", "Jl. Remu Utara 7")
    phone.select_option("#id_kelurahan", REMU)
    phone.click("form button[type=submit]")

    phone.wait_for_selector("h1:has-text('Anggota keluarga')")
    assert "Langkah 2 dari 2" in phone.content()
    _fits(phone)
    # The head: registered right here (the form is open while the household has no member).
    phone.select_option("#id_new-relationship", "head")
    phone.fill("#id_new-nik", make_nik(birth_date=dt.date(1984, 1, 20), sex="M", serial=801))
    phone.fill("#id_new-full_name", "Yakob Mobalen")
    phone.check("input[name='new-sex'][value=M]")
    phone.fill("#id_new-birth_date", "1984-01-20")
    phone.click("button:has-text('Daftarkan anggota')")
    phone.wait_for_selector("text=Yakob Mobalen didaftarkan sebagai anggota keluarga ini")
    # The wife: already registered, found by her name.
    phone.fill("#member-q", "martha")
    phone.click("#member-search button[type=submit]")
    wife = Person.objects.get(full_name="Martha Kambu")
    phone.select_option(f"#add-{wife.pk}", "spouse")
    phone.click("button:has-text('Tambahkan ke keluarga ini')")
    phone.wait_for_selector("text=Martha Kambu ditambahkan ke keluarga ini")
    _fits(phone)
    shot(phone, "household_members_phone")
    found = {"members": axe_violations(phone)}

    phone.click("text=Selesai")
    phone.wait_for_selector("h1:has-text('Keluarga')")
    table = phone.locator("table.list").first.inner_text()
    assert "Yakob Mobalen" in table and "Kepala keluarga" in table
    assert "Martha Kambu" in table and "Istri/suami" in table
    assert kk not in phone.content()  # the KK only masked
    _fits(phone)
    shot(phone, "household_detail_phone")
    found["household"] = axe_violations(phone)
    # Moving the wife to a KK nobody registered: refused with its reason in the shared error summary.
    phone.click("table.list >> text=Pindahkan >> nth=1")
    phone.wait_for_selector("h1:has-text('Pindah keluarga')")
    phone.fill("#id_kk_number", make_kk(issued=dt.date(2021, 2, 3), serial=32))
    phone.select_option("#id_relationship", "spouse")
    phone.click("form button[type=submit]")
    summary = phone.locator(".error-summary")
    assert "Belum ada keluarga dengan nomor KK ini" in summary.inner_text()
    assert phone.evaluate("document.activeElement.classList.contains('error-summary')")
    _fits(phone)
    found["move"] = axe_violations(phone)
    assert not any(found.values()), "axe found serious or critical violations:\n" + report(found)
    household = Household.objects.get()
    assert {p.relationship for p in Person.objects.filter(household=household)} == {"head", "spouse"}
    assert HouseholdMembershipChange.objects.filter(to_household=household).count() == 2
