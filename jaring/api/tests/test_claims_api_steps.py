"""API v1 for a claim's steps (issue 11, points 5 and 7): the outcome, heirs (idempotent), reports
made to BPJSTK, and document scans (multipart in, bytes out, never across areas), in the API's
error shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from conftest import KLAWASI
from jaring.claims.models import Claim, ClaimChild, ClaimHeir, ClaimScan
from jaring.claims.services import claim_open, claim_scan_add
from jaring.core.models import AuditEvent
from jaring.registry.testing import make_nik

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"KARTU-PESERTA" * 20
PDF = b"%PDF-1.4\n% kartu keluarga\n" + b"0" * 100


def ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def claim_of(personas: dict[str, Any], register_person: Any) -> Any:
    def make(type: str = "jkk", kelurahan: str | None = None) -> Claim:
        extra = {"kelurahan": kelurahan} if kelurahan else {}
        person = register_person(full_name="Agustina Kambu", declared_income_idr=1_000_000, **extra)
        return claim_open(actor=personas["operator_sorong"], person=person, type=type,
                          event_date=timezone.localdate() - dt.timedelta(days=10))

    return make


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


def test_outcome_updates_the_estimate_and_is_refused_with_its_field(api_for, claim_of):
    claim = claim_of()
    api = api_for("facilitator_remu")
    url = f"/api/v1/claims/{claim.pk}/outcome/"
    response = api.post(url, {"outcome": "total_disability", "outcome_date": ago(3)}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["outcome"], body["outcome_date"]) == ("total_disability", ago(3))
    assert body["estimate_idr"] and body["deadlines"]["stage2_report"]
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = api.post(url, {"outcome": "death", "outcome_date": future}, format="json")
    assert refused.status_code == 400 and "outcome_date" in error_of(refused)["fields"]
    unknown = api.post(url, {"outcome": "broken_leg"}, format="json")
    assert unknown.status_code == 400 and "outcome" in error_of(unknown)["fields"]
    jkm = claim_of("jkm")
    wrong_type = api.post(f"/api/v1/claims/{jkm.pk}/outcome/", {"outcome": "death"}, format="json")
    assert wrong_type.status_code == 400 and "outcome" in error_of(wrong_type)["fields"]
    claim.refresh_from_db()
    assert claim.outcome == "total_disability"


def test_heirs_are_idempotent_with_a_key_and_never_echo_the_nik(api_for, claim_of):
    claim = claim_of("jkm")
    api = api_for("facilitator_remu")
    url = f"/api/v1/claims/{claim.pk}/heirs/"
    nik = make_nik(birth_date=dt.date(1992, 7, 8), sex="F", serial=77)
    body = {"name": "Ruth Kambu", "relationship": "child", "nik": nik, "phone": "0812 3456 7890"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="heir-1")
    assert first.status_code == 201, first.json()
    assert first.json() == {"id": first.json()["id"], "claim": claim.pk, "name": "Ruth Kambu",
                            "relationship": "child", "priority": 2, "nik_recorded": True, "phone": "081234567890"}
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="heir-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and ClaimHeir.objects.count() == 1
    reused = api.post(url, {**body, "name": "Lain"}, format="json", HTTP_IDEMPOTENCY_KEY="heir-1")
    assert reused.status_code == 422 and error_of(reused)["code"] == "idempotency_key_reused"
    assert nik not in first.content.decode()
    detail = api.get(f"/api/v1/claims/{claim.pk}/").json()
    assert detail["heirs"] == [{"name": "Ruth Kambu", "relationship": "child", "priority": 2, "nik_recorded": True}]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "Ruth", "relationship": "child", "nik": "9271"}, "nik"),
    ({"name": "Ruth", "relationship": "cousin"}, "relationship"),
    ({"name": "x" * 151, "relationship": "child"}, "name"),
    ({"name": "Ruth\x00", "relationship": "child"}, "name"),
    ({"relationship": "child"}, "name"),
    ({"name": "Ruth", "relationship": "child", "phone": "0" * 31}, "phone"),
])
def test_a_refused_heir_names_its_field(api_for, claim_of, body, field):
    claim = claim_of("jkm")
    response = api_for("facilitator_remu").post(f"/api/v1/claims/{claim.pk}/heirs/", body, format="json")
    assert response.status_code == 400 and field in error_of(response)["fields"], response.json()
    assert not ClaimHeir.objects.exists()


def test_reports_made_stop_being_due(api_for, claim_of):
    claim = claim_of()
    api = api_for("facilitator_remu")
    url = f"/api/v1/claims/{claim.pk}/reports/"
    response = api.post(url, {"stage": 1, "reported_on": ago(9)}, format="json")
    assert response.status_code == 200 and response.json()["stage1_reported_on"] == ago(9)
    assert api.get("/api/v1/claims/deadlines/").json()[0]["deadline"] == "lapses_on"
    for body, field in (({"stage": 3, "reported_on": ago(1)}, "stage"),
                        ({"stage": 2, "reported_on": ago(30)}, "reported_on"),
                        ({"stage": "I", "reported_on": ago(1)}, "stage"),
                        ({"stage": 1, "reported_on": "kemarin"}, "reported_on")):
        refused = api.post(url, body, format="json")
        assert refused.status_code == 400 and field in error_of(refused)["fields"], (body, refused.json())
    assert AuditEvent.objects.filter(action="claim.report_made", object_id=str(claim.pk)).count() == 1


def test_steps_on_another_areas_claim_are_not_found_and_readers_are_forbidden(api_for, claim_of):
    claim = claim_of(kelurahan=KLAWASI)
    steps = {"outcome/": {"outcome": "recovered"}, "heirs/": {"name": "Ruth", "relationship": "child"},
             "reports/": {"stage": 1, "reported_on": ago(1)}}
    remu = api_for("facilitator_remu")
    for step, body in steps.items():
        response = remu.post(f"/api/v1/claims/{claim.pk}/{step}", body, format="json")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found", step
    for reader in ("liaison", "auditor"):
        for step, body in steps.items():
            response = api_for(reader).post(f"/api/v1/claims/{claim.pk}/{step}", body, format="json")
            assert response.status_code == 403, (reader, step)
    claim.refresh_from_db()
    assert claim.outcome == "" and claim.stage1_reported_on is None and not claim.heirs.exists()


# --- Scans -------------------------------------------------------------------------------------------

def scan_post(api: Any, claim: Claim, code: str, content: bytes, name: str = "ktp.png") -> Any:
    return api.post(f"/api/v1/claims/{claim.pk}/documents/{code}/scans/",
                    {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_a_scan_is_uploaded_described_and_served(api_for, claim_of):
    claim = claim_of()
    api = api_for("facilitator_remu")
    response = scan_post(api, claim, "ktp", PNG, name="KTP Agustina.png")
    assert response.status_code == 201, response.json()
    body = response.json()
    scan = ClaimScan.objects.get()
    assert body == {"id": scan.pk, "claim": claim.pk, "code": "ktp", "filename": "KTP Agustina.png",
                    "content_type": "image/png", "size": len(PNG), "sha256": scan.sha256,
                    "uploaded_by": "facilitator_remu", "uploaded_at": body["uploaded_at"],
                    "url": f"/api/v1/claims/scans/{scan.pk}/"}
    assert scan_post(api, claim, "ktp", PNG).json()["id"] == scan.pk  # the same file twice is one scan
    detail = api.get(f"/api/v1/claims/{claim.pk}/").json()
    assert [s["id"] for s in detail["scans"]] == [scan.pk]
    served = api_for("liaison").get(body["url"])
    assert served.status_code == 200 and served.content == PNG and served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline;") and served["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in served["Content-Security-Policy"] and served["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="claim.scan_view", object_id=str(claim.pk)).count() == 1


@pytest.mark.parametrize(("content", "name", "code"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "foto.png", "wrong_type"),
    (b"<!doctype html><script>alert(1)</script>", "foto.pdf", "wrong_type"),
    (b"MZ\x90\x00", "setup.png", "wrong_type"),
])
def test_a_file_that_is_no_photo_or_pdf_is_refused(api_for, claim_of, content, name, code):
    claim = claim_of()
    response = scan_post(api_for("facilitator_remu"), claim, "ktp", content, name=name)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code and "file" in error["fields"]
    assert not ClaimScan.objects.exists()


@override_settings(JARING_CLAIM_SCAN_MAX_BYTES=1000)
def test_an_oversized_scan_is_refused_by_its_size(api_for, claim_of):
    claim = claim_of()
    response = scan_post(api_for("facilitator_remu"), claim, "ktp", PDF + b"0" * 500_000, name="big.pdf")
    assert response.status_code == 400 and error_of(response)["code"] == "too_large"
    assert not ClaimScan.objects.exists()


def test_a_scan_needs_a_file_a_multipart_body_and_a_listed_document(api_for, claim_of):
    claim = claim_of()
    api = api_for("facilitator_remu")
    url = f"/api/v1/claims/{claim.pk}/documents/ktp/scans/"
    missing = api.post(url, {}, format="multipart")
    assert missing.status_code == 400 and "file" in error_of(missing)["fields"]
    as_json = api.post(url, {"file": "iVBORw0KGgo="}, format="json")
    assert as_json.status_code == 415 and error_of(as_json)["code"] == "unsupported_media_type"
    unlisted = scan_post(api, claim, "akta_kematian_palsu", PNG)
    assert unlisted.status_code == 400 and "code" in error_of(unlisted)["fields"]
    long_code = scan_post(api, claim, "k" * 500, PNG)
    assert long_code.status_code == 400
    assert api.get(url).status_code == 405
    assert not ClaimScan.objects.exists()


def test_scans_never_cross_areas_and_readers_cannot_upload(api_for, claim_of, personas):
    claim = claim_of(kelurahan=KLAWASI)
    scan = claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="ktp", filename="k.pdf", data=PDF)
    remu = api_for("facilitator_remu")
    assert remu.get(f"/api/v1/claims/scans/{scan.pk}/").status_code == 404
    assert error_of(remu.get(f"/api/v1/claims/scans/{scan.pk}/"))["code"] == "not_found"
    assert scan_post(remu, claim, "ktp", PNG).status_code == 404
    assert scan_post(api_for("liaison"), claim, "ktp", PNG).status_code == 403
    assert remu.get("/api/v1/claims/scans/99999999/").status_code == 404
    assert not AuditEvent.objects.filter(action="claim.scan_view").exists()
    assert ClaimScan.objects.count() == 1
    klawasi = api_for("facilitator_klawasi").get(f"/api/v1/claims/scans/{scan.pk}/")
    assert klawasi.status_code == 200 and klawasi["Content-Type"] == "application/pdf"


def test_the_schema_documents_the_new_operations(api_for):
    schema = api_for("operator_sorong").get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/claims/{claim_id}/outcome/", "/api/v1/claims/{claim_id}/heirs/",
                 "/api/v1/claims/{claim_id}/reports/", "/api/v1/claims/{claim_id}/documents/{code}/scans/",
                 "/api/v1/claims/scans/{scan_id}/", "/api/v1/claims/{claim_id}/children/",
                 "/api/v1/claims/{claim_id}/children/{child_id}/"):
        assert path in text, path
    assert "multipart/form-data" in text


# --- Scholarship children ----------------------------------------------------------------------------

def test_children_are_named_idempotently_and_changed(api_for, claim_of):
    claim = claim_of("jkm")
    api = api_for("facilitator_remu")
    url = f"/api/v1/claims/{claim.pk}/children/"
    body = {"name": "Naomi Kambu", "birth_date": "2016-04-05", "level": "sd", "chosen": True}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="child-1")
    assert first.status_code == 201, first.json()
    child = ClaimChild.objects.get()
    data = first.json()
    assert (data["id"], data["claim"], data["name"], data["level"], data["chosen"]) == (
        child.pk, claim.pk, "Naomi Kambu", "SD", True)
    assert "taken" in data and set(data["scholarship"]) >= {"triggered", "taken", "reasons", "notes"}
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="child-1")
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == child.pk
    assert api.post(url, body, format="json").json()["id"] == child.pk  # the same child, without a key
    assert ClaimChild.objects.count() == 1
    detail_url = f"{url}{child.pk}/"
    moved_up = api.patch(detail_url, {"level": "SMP"}, format="json")
    assert moved_up.status_code == 200 and moved_up.json()["level"] == "SMP"
    ended = api.patch(detail_url, {"end_reason": "married", "ended_on": ago(1)}, format="json")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "married"
    again_changed = api.patch(detail_url, {"level": "SMA"}, format="json")
    assert again_changed.status_code == 409 and error_of(again_changed)["code"] == "child_ended"
    assert api.get(f"/api/v1/claims/{claim.pk}/").json()["children"][0]["ended_on"] == ago(1)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "Naomi", "birth_date": "2099-01-01"}, "birth_date"),
    ({"name": "Naomi", "birth_date": "2016-04-05", "level": "S3"}, "level"),
    ({"name": "", "birth_date": "2016-04-05"}, "name"),
    ({"name": "N" * 151, "birth_date": "2016-04-05"}, "name"),
    ({"name": "Naomi", "birth_date": "05-04-2016"}, "birth_date"),
    ({"name": "Naomi", "birth_date": "2016-04-05", "chosen": "mungkin"}, "chosen"),
])
def test_a_refused_child_names_its_field(api_for, claim_of, body, field):
    claim = claim_of("jkm")
    response = api_for("facilitator_remu").post(f"/api/v1/claims/{claim.pk}/children/", body, format="json")
    assert response.status_code == 400 and field in error_of(response)["fields"], response.json()
    assert not ClaimChild.objects.exists()


def test_children_need_a_death_or_disability_and_the_area(api_for, claim_of):
    jkk = claim_of()
    api = api_for("facilitator_remu")
    body = {"name": "Naomi", "birth_date": "2016-04-05"}
    refused = api.post(f"/api/v1/claims/{jkk.pk}/children/", body, format="json")
    assert refused.status_code == 400 and error_of(refused)["code"] == "not_an_origin"
    other = claim_of("jkm", kelurahan=KLAWASI)
    assert api.post(f"/api/v1/claims/{other.pk}/children/", body, format="json").status_code == 404
    klawasi = api_for("facilitator_klawasi")
    child_id = klawasi.post(f"/api/v1/claims/{other.pk}/children/", body, format="json").json()["id"]
    assert api.patch(f"/api/v1/claims/{other.pk}/children/{child_id}/", {"level": "SD"},
                     format="json").status_code == 404
    mine = claim_of("jkm")
    assert api.patch(f"/api/v1/claims/{mine.pk}/children/{child_id}/", {"level": "SD"},
                     format="json").status_code == 404  # another claim's child
    assert api_for("liaison").post(f"/api/v1/claims/{other.pk}/children/", body, format="json").status_code == 403
    assert ClaimChild.objects.get().level == ""
