"""The claim page's own steps (issue 11, points 5 and 7): the outcome, the reports made to BPJSTK,
heirs, and scans of the checklist's documents (uploaded from a phone, served inline and sandboxed,
never to another area). Each step redirects with a message; a refusal names its field and keeps the
other values; another area is 404; a role that may only read gets no form and a 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from conftest import KLAWASI
from jaring.claims.models import Claim, ClaimChild, ClaimHeir, ClaimScan
from jaring.claims.services import claim_open, claim_scan_add
from jaring.core.models import AuditEvent
from jaring.registry.testing import make_nik

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"KARTU-PESERTA-YOHANES" * 20
PDF = b"%PDF-1.4\n% surat keterangan dokter\n" + b"0" * 200
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"></svg>'


def today() -> dt.date:
    return timezone.localdate()


def ago(days: int) -> str:
    return (today() - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def jkk(personas: dict[str, Any], register_person: Any) -> Claim:
    person = register_person(full_name="Yosias Malak", declared_income_idr=1_000_000)
    return claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                      event_date=today() - dt.timedelta(days=10))


@pytest.fixture
def jkm(personas: dict[str, Any], register_person: Any) -> Claim:
    person = register_person(full_name="Marthen Sagrim", declared_income_idr=1_000_000)
    return claim_open(actor=personas["operator_sorong"], person=person, type="jkm",
                      event_date=today() - dt.timedelta(days=3))


def as_facilitator(client: Any, personas: dict[str, Any], name: str = "facilitator_remu") -> Any:
    client.force_login(personas[name])
    return client


def upload(client: Any, claim: Claim, code: str, content: bytes | None, name: str = "kartu.png",
           content_type: str = "image/png") -> Any:
    document = claim.documents.get(code=code)
    data: dict[str, Any] = {"document": document.pk}
    if content is not None:
        data["file"] = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"/klaim/{claim.pk}/pindaian/", data)


# --- Outcome -------------------------------------------------------------------------------------------

def test_the_outcome_updates_the_estimate_and_the_stage_two_deadline(client, personas, jkk):
    as_facilitator(client, personas)
    page = client.get(f"/klaim/{jkk.pk}/").content.decode()
    assert f"/klaim/{jkk.pk}/akibat/" in page and "belum dapat dihitung" in page
    response = client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "total_disability", "outcome_date": ago(2)})
    assert response.status_code == 302 and response["Location"] == f"/klaim/{jkk.pk}/"
    jkk.refresh_from_db()
    assert (jkk.outcome, jkk.outcome_date) == ("total_disability", today() - dt.timedelta(days=2))
    assert jkk.estimate_idr and jkk.estimate_idr > 0
    page = client.get(response["Location"]).content.decode()
    assert "Akibat kecelakaan dicatat" in page and "Laporan tahap II" in page
    assert AuditEvent.objects.filter(action="claim.outcome", object_id=str(jkk.pk)).count() == 1


def test_a_refused_outcome_names_its_field_and_keeps_the_values(client, personas, jkk):
    as_facilitator(client, personas)
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "death", "outcome_date": tomorrow})
    assert response.status_code == 200
    form = response.context["outcome_form"]
    assert form.errors["outcome_date"] and "outcome" not in form.errors
    body = response.content.decode()
    assert tomorrow in body and '<option value="death" selected>' in body
    before_event = client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "death", "outcome_date": ago(30)})
    assert "sebelum tanggal kejadian" in before_event.context["outcome_form"].errors["outcome_date"][0]
    unknown = client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "<script>", "outcome_date": ago(1)})
    assert unknown.status_code == 200 and unknown.context["outcome_form"].errors["outcome"]
    jkk.refresh_from_db()
    assert jkk.outcome == "" and jkk.estimate_idr is None


def test_a_death_claim_has_no_outcome_form_and_refuses_one(client, personas, jkm):
    as_facilitator(client, personas)
    assert f"/klaim/{jkm.pk}/akibat/" not in client.get(f"/klaim/{jkm.pk}/").content.decode()
    response = client.post(f"/klaim/{jkm.pk}/akibat/", {"outcome": "death", "outcome_date": ago(1)})
    assert response.status_code == 200
    assert "hanya dicatat untuk klaim JKK" in response.context["outcome_form"].errors["outcome"][0]


# --- Reports made ------------------------------------------------------------------------------------

def test_a_stage_one_report_made_is_no_longer_due(client, personas, jkk):
    as_facilitator(client, personas)
    page = client.get(f"/klaim/{jkk.pk}/")
    assert [value for value, _label in page.context["report_form"].fields["stage"].choices] == [1]
    response = client.post(f"/klaim/{jkk.pk}/laporan/", {"stage": "1", "reported_on": ago(9)})
    assert response.status_code == 302
    jkk.refresh_from_db()
    assert jkk.stage1_reported_on == today() - dt.timedelta(days=9)
    page = client.get(f"/klaim/{jkk.pk}/").content.decode()
    assert "Laporan tahap I ke BPJSTK dicatat." in page and "dilaporkan" in page
    assert 'class="overdue"' not in page  # ten days after the event, but the report was made


def test_stage_two_comes_with_the_outcome_and_a_bad_date_is_named(client, personas, jkk):
    as_facilitator(client, personas)
    refused = client.post(f"/klaim/{jkk.pk}/laporan/", {"stage": "2", "reported_on": ago(1)})
    assert refused.status_code == 200 and refused.context["report_form"].errors["stage"]
    client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "recovered", "outcome_date": ago(5)})
    early = client.post(f"/klaim/{jkk.pk}/laporan/", {"stage": "2", "reported_on": ago(20)})
    assert early.status_code == 200
    assert "sebelum tanggal kejadian" in early.context["report_form"].errors["reported_on"][0]
    assert ago(20) in early.content.decode()  # the value typed is kept
    assert client.post(f"/klaim/{jkk.pk}/laporan/", {"stage": "2", "reported_on": ago(1)}).status_code == 302
    jkk.refresh_from_db()
    assert jkk.stage2_reported_on == today() - dt.timedelta(days=1) and jkk.stage1_reported_on is None


# --- Heirs -------------------------------------------------------------------------------------------

def test_heirs_are_added_in_the_regulations_order_with_the_nik_masked(client, personas, jkm):
    as_facilitator(client, personas)
    page = client.get(f"/klaim/{jkm.pk}/").content.decode()
    assert f"/klaim/{jkm.pk}/ahli-waris/" in page
    nik = make_nik(birth_date=dt.date(1990, 5, 6), sex="F", serial=4321)
    response = client.post(f"/klaim/{jkm.pk}/ahli-waris/", {
        "heir-name": "  Ruth   Sagrim ", "heir-relationship": "child", "heir-nik": nik, "heir-phone": "0812-3456-7890"})
    assert response.status_code == 302
    client.post(f"/klaim/{jkm.pk}/ahli-waris/", {"heir-name": "Ester Sagrim", "heir-relationship": "spouse"})
    page = client.get(f"/klaim/{jkm.pk}/").content.decode()
    assert "Ahli waris Ruth Sagrim ditambahkan." in page
    assert nik not in page and f"{nik[:4]}********{nik[-4:]}" in page and "081234567890" in page
    heirs = page[page.index('class="heirs"'):]
    assert heirs.index("Ester Sagrim") < heirs.index("Ruth Sagrim")  # the widow before the children
    assert [h.relationship for h in ClaimHeir.objects.filter(claim=jkm)] == ["spouse", "child"]


def test_a_refused_heir_keeps_the_other_values(client, personas, jkm):
    as_facilitator(client, personas)
    response = client.post(f"/klaim/{jkm.pk}/ahli-waris/", {
        "heir-name": "Ruth Sagrim", "heir-relationship": "child", "heir-nik": "1234", "heir-phone": "081299990000"})
    assert response.status_code == 200
    form = response.context["heir_form"]
    assert form.errors["nik"] and set(form.errors) == {"nik"}
    body = response.content.decode()
    assert 'value="Ruth Sagrim"' in body and 'value="081299990000"' in body
    missing = client.post(f"/klaim/{jkm.pk}/ahli-waris/", {"heir-name": "", "heir-relationship": "cousin"})
    assert set(missing.context["heir_form"].errors) == {"name", "relationship"}
    huge = client.post(f"/klaim/{jkm.pk}/ahli-waris/", {"heir-name": "x" * 10_000, "heir-relationship": "child"})
    assert huge.status_code == 200 and huge.context["heir_form"].errors["name"]
    assert not ClaimHeir.objects.exists()


def test_an_accident_claim_takes_heirs_only_once_it_is_a_death(client, personas, jkk):
    as_facilitator(client, personas)
    assert f"/klaim/{jkk.pk}/ahli-waris/" not in client.get(f"/klaim/{jkk.pk}/").content.decode()
    client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "death", "outcome_date": ago(1)})
    assert f"/klaim/{jkk.pk}/ahli-waris/" in client.get(f"/klaim/{jkk.pk}/").content.decode()


# --- Who may ----------------------------------------------------------------------------------------

def test_another_area_gets_404_and_a_reader_gets_no_forms_and_403(client, personas, register_person):
    person = register_person(kelurahan=KLAWASI)
    claim = claim_open(actor=personas["operator_sorong"], person=person, type="jkm",
                       event_date=today() - dt.timedelta(days=2))
    steps = {"akibat/": {"outcome": "death", "outcome_date": ago(1)},
             "laporan/": {"stage": "1", "reported_on": ago(1)},
             "ahli-waris/": {"heir-name": "Ruth", "heir-relationship": "child"}}
    as_facilitator(client, personas)  # Remu's facilitator; the claim is Klawasi's
    for step, data in steps.items():
        assert client.post(f"/klaim/{claim.pk}/{step}", data).status_code == 404, step
        assert client.get(f"/klaim/{claim.pk}/{step}").status_code == 404, step
    client.force_login(personas["liaison"])
    page = client.get(f"/klaim/{claim.pk}/").content.decode()
    assert all(f"/klaim/{claim.pk}/{step}" not in page for step in [*steps, "pindaian/"])
    for step, data in steps.items():
        assert client.post(f"/klaim/{claim.pk}/{step}", data).status_code == 403, step
    claim.refresh_from_db()
    assert claim.stage1_reported_on is None and not claim.heirs.exists()


def test_a_get_on_a_step_goes_back_to_the_claim(client, personas, jkk):
    as_facilitator(client, personas)
    for step in ("akibat/", "laporan/", "ahli-waris/", "pindaian/"):
        response = client.get(f"/klaim/{jkk.pk}/{step}")
        assert response.status_code == 302 and response["Location"] == f"/klaim/{jkk.pk}/", step


# --- Scans -------------------------------------------------------------------------------------------

def test_a_photo_is_uploaded_listed_and_served_inline_in_a_sandbox(client, personas, jkk):
    as_facilitator(client, personas)
    page = client.get(f"/klaim/{jkk.pk}/").content.decode()
    assert 'accept="image/*,application/pdf"' in page and "capture=" in page
    assert 'enctype="multipart/form-data"' in page
    response = upload(client, jkk, "ktp", PNG, name="../../KTP Yosias.png")
    assert response.status_code == 302 and response["Location"] == f"/klaim/{jkk.pk}/"
    scan = ClaimScan.objects.get()
    assert (scan.document.code, scan.filename, scan.size) == ("ktp", "KTP Yosias.png", len(PNG))
    page = client.get(f"/klaim/{jkk.pk}/").content.decode()
    assert "Pindaian disimpan." in page and "KTP Yosias.png" in page and "Maria Mobalen" in page
    assert f"/klaim/{jkk.pk}/pindaian/{scan.pk}/" in page
    served = client.get(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/")
    assert served.status_code == 200 and served.content == PNG
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline;") and "KTP Yosias.png" in served["Content-Disposition"]
    assert served["X-Content-Type-Options"] == "nosniff" and served["Cache-Control"] == "no-store"
    csp = served["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert AuditEvent.objects.filter(action="claim.scan_view", object_id=str(jkk.pk)).count() == 1


def test_a_pdf_is_served_inline_without_scripts(client, personas, jkk):
    as_facilitator(client, personas)
    assert upload(client, jkk, "surat_dokter", PDF, name="surat.png", content_type="image/png").status_code == 302
    scan = ClaimScan.objects.get()
    served = client.get(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/")
    assert served["Content-Type"] == "application/pdf"  # by its content, not its name
    assert 'filename="surat.pdf"' in served["Content-Disposition"]
    assert served["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(("content", "name", "message"), [
    (SVG, "foto.png", "Hanya foto JPEG atau PNG, atau PDF."),
    (b"<html><script>alert(1)</script></html>", "ktp.png", "Hanya foto JPEG atau PNG, atau PDF."),
    (b"GIF89a" + b"\x00" * 50, "ktp.gif", "Hanya foto JPEG atau PNG, atau PDF."),
])
def test_a_file_that_is_no_photo_or_pdf_is_refused_on_its_field(client, personas, jkk, content, name, message):
    as_facilitator(client, personas)
    response = upload(client, jkk, "ktp", content, name=name)
    assert response.status_code == 200
    document = jkk.documents.get(code="ktp")
    form = response.context["documents"][[r.document.pk for r in response.context["documents"]].index(
        document.pk)].upload
    assert form.errors["file"] == [message]
    body = response.content.decode()
    assert message in body and "<details class=\"scan-upload\" open>" in body
    assert not ClaimScan.objects.exists()


def test_a_missing_or_empty_file_is_named(client, personas, jkk):
    as_facilitator(client, personas)
    missing = upload(client, jkk, "ktp", None)
    assert missing.status_code == 200 and b"scan-upload\" open" in missing.content
    empty = upload(client, jkk, "ktp", b"")
    assert empty.status_code == 200
    assert client.post(f"/klaim/{jkk.pk}/pindaian/", {"document": "99999999"}).status_code == 302
    assert client.post(f"/klaim/{jkk.pk}/pindaian/", {"document": "../1"}).status_code == 302
    assert not ClaimScan.objects.exists()


@override_settings(JARING_CLAIM_SCAN_MAX_BYTES=1000)
def test_an_oversized_file_passes_the_body_limit_and_is_refused_by_its_size(client, personas, jkk):
    """2.5 MB is over the 2 MB body limit of other pages: this view takes uploads (200 MB), keeps
    one byte past the scan limit in memory and says the file is too large."""
    as_facilitator(client, personas)
    response = upload(client, jkk, "ktp", PNG + b"\x00" * (2_500_000))
    assert response.status_code == 200
    assert "terlalu besar" in response.content.decode()
    assert not ClaimScan.objects.exists()


def test_scans_are_never_served_or_taken_across_areas(client, personas, register_person):
    person = register_person(kelurahan=KLAWASI)
    claim = claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                       event_date=today() - dt.timedelta(days=2))
    scan = claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="ktp", filename="ktp.png", data=PNG)
    as_facilitator(client, personas)  # Remu's
    assert client.get(f"/klaim/{claim.pk}/pindaian/{scan.pk}/").status_code == 404
    assert upload(client, claim, "ktp", PDF, name="x.pdf").status_code == 404
    assert client.post(f"/klaim/{claim.pk}/pindaian/{scan.pk}/hapus/").status_code == 404
    assert ClaimScan.objects.count() == 1
    assert not AuditEvent.objects.filter(action="claim.scan_view").exists()
    # Klawasi's facilitator sees it; a scan id under another claim's URL is not found either.
    other = claim_open(actor=personas["operator_sorong"], person=register_person(kelurahan=KLAWASI), type="jkm",
                       event_date=today() - dt.timedelta(days=2))
    as_facilitator(client, personas, "facilitator_klawasi")
    assert client.get(f"/klaim/{claim.pk}/pindaian/{scan.pk}/").status_code == 200
    assert client.get(f"/klaim/{other.pk}/pindaian/{scan.pk}/").status_code == 404
    assert client.post(f"/klaim/{other.pk}/pindaian/{scan.pk}/hapus/").status_code == 404
    assert client.post(f"/klaim/{claim.pk}/pindaian/{scan.pk}/").status_code == 405


def test_readers_open_scans_but_only_writers_delete(client, personas, jkk):
    scan = claim_scan_add(actor=personas["operator_sorong"], claim=jkk, code="ktp", filename="ktp.pdf", data=PDF)
    for reader in ("liaison", "auditor"):
        client.force_login(personas[reader])
        page = client.get(f"/klaim/{jkk.pk}/").content.decode()
        assert f"/pindaian/{scan.pk}/" in page and "/hapus/" not in page and "Tambah foto" not in page
        assert client.get(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/").status_code == 200
        assert client.post(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/hapus/").status_code == 403
        assert upload(client, jkk, "ktp", PNG).status_code == 403
    assert AuditEvent.objects.filter(action="claim.scan_view").count() == 2
    as_facilitator(client, personas)
    assert client.get(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/hapus/").status_code == 302  # a GET deletes nothing
    assert ClaimScan.objects.exists()
    response = client.post(f"/klaim/{jkk.pk}/pindaian/{scan.pk}/hapus/")
    assert response.status_code == 302 and not ClaimScan.objects.exists()
    assert "Pindaian dihapus." in client.get(f"/klaim/{jkk.pk}/").content.decode()


def test_the_upload_checks_the_csrf_token_after_setting_its_handler(personas, jkk):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["facilitator_remu"])
    document = jkk.documents.get(code="ktp")
    refused = browser.post(f"/klaim/{jkk.pk}/pindaian/", {
        "document": document.pk, "file": SimpleUploadedFile("k.png", PNG, content_type="image/png")})
    assert refused.status_code == 403 and not ClaimScan.objects.exists()
    browser.get(f"/klaim/{jkk.pk}/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(f"/klaim/{jkk.pk}/pindaian/", {
        "document": document.pk, "csrfmiddlewaretoken": token,
        "file": SimpleUploadedFile("k.png", PNG, content_type="image/png")})
    assert accepted.status_code == 302 and ClaimScan.objects.count() == 1


def test_the_upload_handler_keeps_one_file_bounded_in_memory(settings):
    """Parsed as the view parses it: the scan field only, at most one byte past the limit, held in
    memory whatever its size (never a temporary file); any other file is dropped."""
    from io import BytesIO

    from django.core.files.uploadedfile import InMemoryUploadedFile
    from django.http.multipartparser import MultiPartParser
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from jaring.claims.scan_http import ScanUploadHandler

    settings.JARING_CLAIM_SCAN_MAX_BYTES = 1000
    big = b"%PDF-" + b"1" * 3_000_000
    body = encode_multipart(BOUNDARY, {
        "other": SimpleUploadedFile("a.pdf", b"%PDF-other"), "file": SimpleUploadedFile("big.pdf", big),
        "document": "7"})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    post, files = MultiPartParser(meta, BytesIO(body), [ScanUploadHandler()]).parse()
    assert post["document"] == "7" and list(files) == ["file"]
    scan = files["file"]
    assert isinstance(scan, InMemoryUploadedFile) and scan.size == len(big)
    assert scan.read() == big[:1001]


# --- Scholarship children ---------------------------------------------------------------------------

def test_a_child_is_named_for_the_scholarship_of_a_death(client, personas, jkm):
    as_facilitator(client, personas)
    page = client.get(f"/klaim/{jkm.pk}/")
    assert f"/klaim/{jkm.pk}/anak/" in page.content.decode()
    assert ("SD", "SD") in page.context["child_form"].fields["level"].choices
    response = client.post(f"/klaim/{jkm.pk}/anak/", {
        "child-name": " Naomi  Sagrim ", "child-birth_date": "2016-04-05", "child-level": "SD", "child-chosen": "on"})
    assert response.status_code == 302 and response["Location"] == f"/klaim/{jkm.pk}/"
    child = ClaimChild.objects.get(claim=jkm)
    assert (child.name, child.birth_date, child.level, child.chosen) == ("Naomi Sagrim", dt.date(2016, 4, 5), "SD",
                                                                          True)
    page = client.get(f"/klaim/{jkm.pk}/")
    body = page.content.decode()
    assert "Anak Naomi Sagrim dicatat untuk beasiswa." in body and "dipilih keluarga" in body
    # Never a member: no paid months, so the scholarship's rule says why it pays no one.
    assert [row.child.pk for row in page.context["children"]] == [child.pk]
    assert page.context["scholarship"]["reasons"] and not page.context["children"][0].taken
    assert AuditEvent.objects.filter(action="claim.child_add", object_id=str(jkm.pk)).count() == 1


def test_a_refused_child_names_its_field_and_keeps_the_values(client, personas, jkm):
    as_facilitator(client, personas)
    after_event = ago(1)
    response = client.post(f"/klaim/{jkm.pk}/anak/", {
        "child-name": "Naomi Sagrim", "child-birth_date": after_event, "child-level": "SMP"})
    assert response.status_code == 200
    form = response.context["child_form"]
    assert set(form.errors) == {"birth_date"} and "setelah tanggal kejadian" in form.errors["birth_date"][0]
    body = response.content.decode()
    assert 'value="Naomi Sagrim"' in body and after_event in body and '<option value="SMP" selected>' in body
    bad = client.post(f"/klaim/{jkm.pk}/anak/", {"child-name": "", "child-birth_date": "05/04/2016",
                                                  "child-level": "S3"})
    assert set(bad.context["child_form"].errors) == {"name", "level"}
    assert not ClaimChild.objects.exists()


def test_an_accident_takes_children_only_once_it_killed_or_disabled(client, personas, jkk, register_person):
    as_facilitator(client, personas)
    assert f"/klaim/{jkk.pk}/anak/" not in client.get(f"/klaim/{jkk.pk}/").content.decode()
    refused = client.post(f"/klaim/{jkk.pk}/anak/", {"child-name": "Naomi", "child-birth_date": "2016-04-05"})
    assert refused.status_code == 200 and refused.context["child_form"].non_field_errors()
    client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "total_disability", "outcome_date": ago(1)})
    assert f"/klaim/{jkk.pk}/anak/" in client.get(f"/klaim/{jkk.pk}/").content.decode()
    other = claim_open(actor=personas["operator_sorong"], person=register_person(kelurahan=KLAWASI), type="jkm",
                       event_date=today() - dt.timedelta(days=2))
    assert client.post(f"/klaim/{other.pk}/anak/", {"child-name": "Naomi",
                                                    "child-birth_date": "2016-04-05"}).status_code == 404
    assert not ClaimChild.objects.exists()


def inline_code(html: str) -> list[str]:
    """What a CSP without 'unsafe-inline' refuses (the check of tests/security/test_web_hardening.py)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if (tag == "script" and not values.get("src")) or tag == "style":
                found.append(tag)
            found.extend(f"{tag} {name}" for name, _value in attrs if name.startswith("on") or name == "style")

    Finder().feed(html)
    return found


def test_the_page_with_every_step_has_the_sites_csp_and_no_inline_code(client, personas, jkk):
    """The walk in tests/security/test_web_hardening.py meets no claim of its own: this page, with its
    forms, scans, heirs and children, is checked here."""
    from jaring.core.security import CONTENT_SECURITY_POLICY

    assert inline_code('<p onclick="x()" style="a"></p><script>1</script>') == ["p onclick", "p style", "script"]
    as_facilitator(client, personas)
    client.post(f"/klaim/{jkk.pk}/akibat/", {"outcome": "death", "outcome_date": ago(1)})
    client.post(f"/klaim/{jkk.pk}/ahli-waris/", {"heir-name": "Ester Malak", "heir-relationship": "spouse"})
    client.post(f"/klaim/{jkk.pk}/anak/", {"child-name": "Naomi Malak", "child-birth_date": "2016-04-05"})
    upload(client, jkk, "ktp", PNG)
    page = client.get(f"/klaim/{jkk.pk}/")
    body = page.content.decode()
    assert "Ester Malak" in body and "Naomi Malak" in body and "/pindaian/" in body
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert inline_code(body) == []
    refused = upload(client, jkk, "ktp", SVG)
    assert refused["Content-Security-Policy"] == CONTENT_SECURITY_POLICY and inline_code(refused.content.decode()) == []
