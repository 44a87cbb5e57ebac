"""A person's history (issue 15 point 5) opened on a 360 px phone: long values wrap or scroll inside
their box, the page never scrolls sideways, and the open section passes axe."""

import pytest

from tests.browser.conftest import shot
from tests.browser.test_accessibility import axe_violations, report
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_history_fits_a_phone(phone, live_server, personas, register_person):
    from jaring.core.audit import audit_log
    from jaring.registry.services import PersonInput, person_update

    person = register_person(full_name="Markus Osok", birth_place="Sorong")
    person_update(actor=personas["admin_sorong"], person=person, data=PersonInput.of(
        birth_place="Kampung Baru Distrik Sorong Manoi", full_name="Markus Yohanis Fransiskus Osok"))
    # A value with no place to break (as an older event or an import may hold one) and a long list.
    audit_log(actor=personas["admin_sorong"], action="person.merge", obj=person, region_code=person.kelurahan.code,
              before={"note": "Tanpaspasi" * 12}, after={"note": "", "filled": [f"field_{i}" for i in range(30)]})
    log_in(phone, live_server.url, "auditor")
    phone.goto(f"{live_server.url}{person.get_absolute_url()}")
    phone.click("#riwayat-registry-person summary")
    phone.wait_for_selector("#riwayat-registry-person table.compare")
    assert phone.is_visible("text=Data diubah") and phone.is_visible("text=Lihat semua di jejak audit")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the person page is {width}px wide on a 360px phone"
    shot(phone, "person_history_phone")
    found = {"history": axe_violations(phone)}
    assert not any(found.values()), report(found)
