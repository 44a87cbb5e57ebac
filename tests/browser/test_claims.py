"""Claims in a browser (issue 11): a facilitator reports a work accident from a person's page on a
360 px phone and lands on the claim page with its deadlines and document checklist."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.conftest import shot
from tests.browser.test_money_pages import fits_the_phone
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_facilitator_reports_an_accident_on_a_phone(phone, live_server, personas, register_person):
    from jaring.claims.models import Claim

    person = register_person(full_name="Agustinus Kambuaya", occupation="ojek_driver")
    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/orang/{person.pk}/")
    assert "Belum ada klaim." in phone.locator("section.claims-panel").inner_text()
    fits_the_phone(phone)
    phone.click("text=Laporkan kejadian")
    phone.wait_for_url(f"{live_server.url}/orang/{person.pk}/klaim/baru/")
    assert phone.input_value("#id_event_date") == timezone.localdate().isoformat()
    phone.select_option("#id_type", "jkk")
    phone.fill("#id_event_place", "Jl. Basuki Rahmat km 10, Sorong")
    phone.fill("#id_chronology", "Motor ojek tergelincir saat hujan; kaki kanan patah. Saksi: penumpang.")
    fits_the_phone(phone)
    shot(phone, "claims_report_phone")
    phone.click("main form button[type=submit]")
    claim = Claim.objects.get(person=person)
    phone.wait_for_url(f"{live_server.url}/klaim/{claim.pk}/")
    main = phone.locator("main").inner_text()
    assert "Laporan tahap I" in main and "Hak gugur" in main
    assert "Tidak terlindungi" in main  # never enrolled: recorded, and marked
    assert phone.locator("ul.checklist li").count() == claim.documents.count() > 0
    assert phone.locator("ul.checklist button").count() == claim.documents.count()
    fits_the_phone(phone)
    shot(phone, "claims_detail_phone")
