"""An operator uploads a facilitator's sheet on a phone and reads what became of every row."""

import pytest

from jaring.registry.models import Person
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHEET = ("Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa\n"
         "Yohanes Kalami;9271011403850001;9271010203150007;14/03/1985;L;Remu\n"
         "Maria Kalami;9271015508900001;9271010203150007;15 Agustus 1990;P;Klasur\n"
         "Rusak;3.27E+15;;14/03/1985;L;Remu\n")


def test_upload_shows_the_summary_and_the_report(phone, live_server, personas, tmp_path):
    path = tmp_path / "pendataan-remu.csv"
    path.write_text(SHEET, encoding="cp1252")
    log_in(phone, live_server.url, "operator_sorong")
    phone.goto(f"{live_server.url}/impor/")
    phone.set_input_files("#id_file", str(path))
    phone.click("form button[type=submit]")
    phone.wait_for_selector("#import-progress table.summary")
    summary = phone.locator("#import-progress").inner_text()
    assert "Selesai" in summary and "Baru\t2" in summary and "Ditolak\t1" in summary
    assert phone.locator("text=Unduh laporan (XLSX)").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "import_summary_phone")
    assert Person.objects.count() == 0  # a check first: nothing saved until "Impor sekarang"
    phone.fill("#confirm-comment", "Pendataan Remu")
    phone.click("text=Impor sekarang")
    phone.wait_for_selector("text=Impor dari pemeriksaan")
    phone.wait_for_selector("#import-progress table.summary")
    assert Person.objects.count() == 2
