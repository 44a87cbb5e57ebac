"""The A4 claim packet (issue 11 point 5), opened by a real PDF reader: the person with a masked
NIK (never the full one), the event, the deadlines, the checklist and the heirs; the download is
area-scoped and audited; the CLI writes the file and refuses to overwrite one."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from pypdf import PdfReader

from jaring.claims.models import Claim
from jaring.claims.packet import claim_packet_pdf
from jaring.claims.selectors import checklist_labels
from jaring.claims.services import claim_document_received, claim_heir_add, claim_open
from jaring.core.models import AuditEvent
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db
EVENT = dt.date(2026, 6, 20)
TODAY = dt.date(2026, 12, 7)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def claim(personas: dict[str, Any], register_person: Any) -> Claim:
    person = register_person(full_name="Yohanes Kalami")
    opened = claim_open(actor=personas["operator_sorong"], person=person, type="jkm", event_date=EVENT,
                        event_place="Jl. Basuki Rahmat", chronology="Meninggal di rumah setelah sakit",
                        today=TODAY)
    first = opened.documents.first()
    assert first is not None
    claim_document_received(actor=personas["operator_sorong"], claim=opened, code=first.code,
                            received_on=dt.date(2026, 6, 25), today=TODAY)
    claim_heir_add(actor=personas["operator_sorong"], claim=opened, name="Maria Kalami", relationship="spouse")
    return opened


def test_the_packet_names_the_person_the_event_and_the_checklist_but_never_the_full_nik(claim):
    data = claim_packet_pdf(claim)

    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    text = pdf_text(data)
    person = claim.person
    assert "Berkas klaim BPJS Ketenagakerjaan" in text
    assert person.full_name in text
    assert person.nik_masked in text and person.nik not in text
    assert "20 Juni 2026" in text  # the event date
    assert "Laporan tahap I" in text and "Hak gugur" in text
    assert "Jl. Basuki Rahmat" in text and "Meninggal di rumah setelah sakit" in text
    assert "Maria Kalami" in text and "Janda/duda" in text
    assert "Dinas Sosial Kota Sorong" in text
    documents = list(claim.documents.all())
    labels = checklist_labels(claim.type)
    received, waiting = documents[0], documents[1]
    assert f"[x] {labels[received.code]}" in text
    assert f"[ ] {labels[waiting.code]}" in text


def test_the_facilitator_of_the_area_downloads_it_another_area_gets_404(client, personas, claim):
    client.force_login(personas["facilitator_remu"])
    page = client.get(f"/klaim/{claim.pk}/").content.decode()
    assert f"/klaim/{claim.pk}/berkas.pdf" in page and "Unduh berkas klaim (PDF)" in page

    response = client.get(f"/klaim/{claim.pk}/berkas.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="klaim-{claim.pk}.pdf"'
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert claim.person.full_name in text and claim.person.nik not in text

    client.force_login(personas["facilitator_klawasi"])
    assert client.get(f"/klaim/{claim.pk}/berkas.pdf").status_code == 404


def test_a_download_is_an_audited_read(client, personas, claim):
    client.force_login(personas["auditor"])

    assert client.get(f"/klaim/{claim.pk}/berkas.pdf").status_code == 200

    event = AuditEvent.objects.get(action="claim.packet", object_id=str(claim.pk))
    assert event.object_type == "claims.claim"


def test_the_cli_writes_the_packet_and_refuses_to_overwrite_without_force(capsys, personas, claim, tmp_path):
    out = tmp_path / "klaim.pdf"

    code, stdout, _err = jaring(capsys, "claim", "packet", str(claim.pk), "--out", str(out), "--as", "operator_sorong")

    assert code == 0 and str(out) in stdout
    assert claim.person.full_name in pdf_text(out.read_bytes())
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    out.write_bytes(b"keep")
    code, _out, err = jaring(capsys, "claim", "packet", str(claim.pk), "--out", str(out), "--as", "operator_sorong")
    assert code == 2 and "--force" in err and out.read_bytes() == b"keep"
    code, _out, _err = jaring(capsys, "claim", "packet", str(claim.pk), "--out", str(out), "--force",
                              "--as", "operator_sorong")
    assert code == 0 and out.read_bytes().startswith(b"%PDF")
