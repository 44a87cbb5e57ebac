"""Claims screens (issue 11): a facilitator reports from a person's page, the claim page shows
coverage, deadlines and the checklist, the office submits and settles, the auditor only reads,
and the list puts overdue claims first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import KLAWASI
from jaring.claims.models import Claim
from jaring.claims.services import claim_open
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def report(client: Any, person: Any, **data: Any) -> Any:
    values = {"type": "jkk", "event_date": timezone.localdate().isoformat(), "event_place": "Jl. Basuki Rahmat",
              "chronology": "Jatuh dari ojek", "reported_by": "facilitator"}
    values.update(data)
    return client.post(f"/orang/{person.pk}/klaim/baru/", values)


def open_claim(personas: dict[str, Any], person: Any, days_ago: int = 1) -> Claim:
    return claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                      event_date=timezone.localdate() - dt.timedelta(days=days_ago))


def receive_all(client: Any, claim: Claim) -> Any:
    response = None
    for document in claim.documents.filter(required=True):
        response = client.post(f"/klaim/{claim.pk}/dokumen/", {
            "document": document.pk, f"d{document.pk}-received_on": timezone.localdate().isoformat()})
        assert response.status_code == 302
    return response


def test_a_facilitator_reports_an_accident_from_the_person_page(client, personas, register_person):
    person = register_person(full_name="Yosias Malak")
    client.force_login(personas["facilitator_remu"])
    page = client.get(f"/orang/{person.pk}/")
    assert f"/orang/{person.pk}/klaim/baru/" in page.content.decode()
    form = client.get(f"/orang/{person.pk}/klaim/baru/")
    assert form.status_code == 200
    assert timezone.localdate().isoformat() in form.content.decode()  # the event date defaults to today

    response = report(client, person)

    claim = Claim.objects.get(person=person)
    assert response.status_code == 302 and response["Location"] == f"/klaim/{claim.pk}/"
    assert (claim.type, claim.status, claim.reported_by) == ("jkk", "reported", "facilitator")
    detail = client.get(response["Location"]).content.decode()
    assert "Laporan tahap I" in detail and "Tandai diterima" in detail


def test_a_refusal_shows_on_its_field_with_the_values_kept(client, personas, register_person):
    person = register_person()
    client.force_login(personas["facilitator_remu"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = report(client, person, event_date=tomorrow, chronology="Tertabrak truk di pasar")
    assert response.status_code == 200
    assert response.context["form"].errors["event_date"]
    body = response.content.decode()
    assert "Tertabrak truk di pasar" in body and tomorrow in body
    assert not Claim.objects.exists()


def test_a_facilitator_cannot_report_for_another_areas_person(client, personas, register_person):
    person = register_person(kelurahan=KLAWASI)
    client.force_login(personas["facilitator_remu"])
    assert client.get(f"/orang/{person.pk}/klaim/baru/").status_code == 404
    assert report(client, person).status_code == 404
    claim = open_claim(personas, person)
    assert client.get(f"/klaim/{claim.pk}/").status_code == 404
    assert Claim.objects.count() == 1


def test_an_unprotected_case_is_recorded_and_marked_unprotected(client, personas, register_person):
    person = register_person()  # never a member
    client.force_login(personas["facilitator_remu"])
    report(client, person)
    claim = Claim.objects.get(person=person)
    assert not claim.protected_on_event_date
    body = client.get(f"/klaim/{claim.pk}/").content.decode()
    assert "Tidak terlindungi" in body and 'class="warning-box unprotected"' in body
    assert claim.coverage_text in body


def test_marking_every_document_received_completes_the_claim(client, personas, register_person):
    claim = open_claim(personas, register_person())
    client.force_login(personas["facilitator_remu"])
    refused = client.post(f"/klaim/{claim.pk}/dokumen/", {
        "document": claim.documents.first().pk,  # type: ignore[union-attr]
        f"d{claim.documents.first().pk}-received_on": "2001-01-01"})  # type: ignore[union-attr]
    assert refused.status_code == 200 and "sebelum tanggal kejadian" in refused.content.decode()
    receive_all(client, claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DOCUMENTS_COMPLETE


def test_an_operator_submits_and_settles(client, personas, register_person):
    claim = open_claim(personas, register_person(), days_ago=5)
    client.force_login(personas["operator_sorong"])
    receive_all(client, claim)
    today = timezone.localdate().isoformat()
    page = client.get(f"/klaim/{claim.pk}/").content.decode()
    assert f"/klaim/{claim.pk}/ajukan/" in page
    refused = client.post(f"/klaim/{claim.pk}/ajukan/", {"bpjstk_number": " ", "submitted_on": today})
    assert refused.status_code == 200
    assert client.post(f"/klaim/{claim.pk}/ajukan/", {"bpjstk_number": "KLM-2026-001",
                                                     "submitted_on": today}).status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.bpjstk_number) == ("submitted", "KLM-2026-001")
    page = client.get(f"/klaim/{claim.pk}/").content.decode()
    assert "Batas pembayaran BPJSTK" in page and f"/klaim/{claim.pk}/bayar/" in page
    response = client.post(f"/klaim/{claim.pk}/bayar/", {"paid_idr": "1500000", "paid_on": today})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.paid_idr) == ("paid", 1_500_000)


def test_a_facilitator_gets_no_office_steps(client, personas, register_person):
    claim = open_claim(personas, register_person())
    client.force_login(personas["facilitator_remu"])
    receive_all(client, claim)
    assert "/ajukan/" not in client.get(f"/klaim/{claim.pk}/").content.decode()
    client.post(f"/klaim/{claim.pk}/ajukan/", {"bpjstk_number": "X1", "submitted_on": timezone.localdate()})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DOCUMENTS_COMPLETE


def test_the_auditor_reads_but_cannot_post(client, personas, register_person):
    claim = open_claim(personas, register_person())
    client.force_login(personas["auditor"])
    assert client.get("/klaim/").status_code == 200
    page = client.get(f"/klaim/{claim.pk}/")
    assert page.status_code == 200 and "Tandai diterima" not in page.content.decode()
    assert AuditEvent.objects.filter(action="claim.view", object_id=str(claim.pk)).exists()
    document = claim.documents.first()
    assert document is not None
    assert client.post(f"/klaim/{claim.pk}/dokumen/", {
        "document": document.pk, f"d{document.pk}-received_on": timezone.localdate()}).status_code == 403
    assert client.post(f"/orang/{claim.person_id}/klaim/baru/", {}).status_code == 403
    document.refresh_from_db()
    assert document.received_on is None


def test_the_list_shows_overdue_claims_first_and_filters(client, personas, register_person):
    recent = open_claim(personas, register_person(full_name="Baru Dilaporkan"), days_ago=0)
    late = open_claim(personas, register_person(full_name="Sudah Terlambat"), days_ago=20)
    client.force_login(personas["facilitator_remu"])
    body = client.get("/klaim/").content.decode()
    assert body.index("Sudah Terlambat") < body.index("Baru Dilaporkan")
    assert 'class="urgent"' in body and "lewat" in body
    home = client.get("/").content.decode()
    assert "Batas waktu klaim" in home and f"/klaim/{late.pk}/" in home
    assert "Baru Dilaporkan" not in client.get("/klaim/?jenis=jkm").content.decode()
    assert "Baru Dilaporkan" in client.get("/klaim/?status=reported").content.decode()
    assert recent.status == "reported"
