"""Claims in a browser (issue 11): a facilitator reports a work accident from a person's page on a
360 px phone, lands on the claim page with its deadlines and document checklist, records the
stage-I report made to BPJSTK and adds a photo of a document."""

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
    assert phone.locator("ul.checklist button", has_text="Tandai diterima").count() == claim.documents.count()
    fits_the_phone(phone)
    shot(phone, "claims_detail_phone")

    # The facilitator phoned the branch the same day: the stage-I report is made.
    phone.click("text=Catat laporan yang sudah dibuat ke BPJSTK")
    assert phone.is_checked("#id_stage_0")
    assert phone.input_value("#id_reported_on") == timezone.localdate().isoformat()
    fits_the_phone(phone)
    phone.click("#laporan button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/klaim/{claim.pk}/")
    assert "Laporan tahap I ke BPJSTK dicatat." in phone.locator("body").inner_text()
    assert "dilaporkan" in phone.locator("ul.deadlines").inner_text()
    claim.refresh_from_db()
    assert claim.stage1_reported_on == timezone.localdate()

    # A photo of the ID card, taken with the phone's camera (here: a file chosen for the input).
    item = phone.locator("ul.checklist > li").first
    item.locator("summary", has_text="Tambah foto atau PDF").click()
    upload = item.locator("input[type=file]")
    assert upload.get_attribute("accept") == "image/*,application/pdf" and upload.get_attribute("capture")
    upload.set_input_files({"name": "ktp.png", "mimeType": "image/png",
                            "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 200})
    fits_the_phone(phone)
    item.locator("button", has_text="Unggah").click()
    phone.wait_for_url(f"{live_server.url}/klaim/{claim.pk}/")
    assert "Pindaian disimpan." in phone.locator("body").inner_text()
    assert phone.locator("ul.checklist > li").first.locator("ul.scans li").count() == 1
    fits_the_phone(phone)
    shot(phone, "claims_steps_phone")
