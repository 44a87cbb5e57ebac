"""Scans of claim documents (issue 11, point 5): encrypted at rest, only JPEG/PNG/PDF by content,
bounded in size, never opened outside the claim's area, every opening audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from jaring.claims.models import Claim, ClaimScan
from jaring.claims.services import claim_open, claim_scan_add, claim_scan_delete, claim_scan_open
from jaring.core.errors import NotFound, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"KARTU-PESERTA-YOHANES" * 20
PDF = b"%PDF-1.4\n% surat dokter\n" + b"0" * 200


@pytest.fixture
def claim(personas: dict[str, Any], register_person: Any) -> Claim:
    person = register_person(full_name="Yohanes Kalami")
    return claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                      event_date=timezone.localdate() - dt.timedelta(days=1))


def test_scan_is_stored_encrypted_and_opened_with_an_audit_event(personas: dict[str, Any], claim: Claim) -> None:
    scan = claim_scan_add(actor=personas["facilitator_remu"], claim=claim, code="kartu_peserta",
                          filename="../../etc/kartu peserta.png", data=PNG)
    assert (scan.content_type, scan.size, scan.filename) == ("image/png", len(PNG), "kartu peserta.png")
    with connection.cursor() as cursor:
        cursor.execute("SELECT data_encrypted FROM claims_claimscan WHERE id = %s", [scan.pk])
        stored = bytes(cursor.fetchone()[0])
    assert b"KARTU-PESERTA" not in stored and len(stored) > len(PNG)
    opened, data = claim_scan_open(actor=personas["liaison"], scan_id=scan.pk)
    assert data == PNG and opened.pk == scan.pk
    views = AuditEvent.objects.filter(action="claim.scan_view", object_id=str(claim.pk))
    assert views.count() == 1 and views.get().actor_id == personas["liaison"].pk
    assert AuditEvent.objects.filter(action="claim.scan_add").count() == 1


def test_same_file_twice_is_one_scan(personas: dict[str, Any], claim: Claim) -> None:
    first = claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="surat_dokter", filename="a.pdf",
                           data=PDF)
    again = claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="surat_dokter", filename="b.pdf",
                           data=PDF)
    assert first.pk == again.pk and ClaimScan.objects.count() == 1


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"MZ\x90\x00 this is an exe", "wrong_type"),
    (b"<svg onload=alert(1)>", "wrong_type"),
    (b"GIF89a" + b"0" * 100, "wrong_type"),
])
def test_hostile_files_are_refused_with_a_reason(personas: dict[str, Any], claim: Claim, data: bytes,
                                                 code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="ktp", filename="ktp.png", data=data)
    assert refused.value.code == code and "file" in refused.value.fields
    assert not ClaimScan.objects.exists()


@override_settings(JARING_CLAIM_SCAN_MAX_BYTES=1000, JARING_CLAIM_SCANS_PER_DOCUMENT=2)
def test_size_and_count_limits(personas: dict[str, Any], claim: Claim) -> None:
    operator = personas["operator_sorong"]
    with pytest.raises(ValidationFailed) as refused:
        claim_scan_add(actor=operator, claim=claim, code="ktp", filename="big.pdf", data=PDF + b"0" * 1000)
    assert refused.value.code == "too_large"
    claim_scan_add(actor=operator, claim=claim, code="ktp", filename="1.pdf", data=PDF + b"1")
    claim_scan_add(actor=operator, claim=claim, code="ktp", filename="2.pdf", data=PDF + b"2")
    with pytest.raises(ValidationFailed) as refused:
        claim_scan_add(actor=operator, claim=claim, code="ktp", filename="3.pdf", data=PDF + b"3")
    assert refused.value.code == "too_many"
    with pytest.raises(ValidationFailed):
        claim_scan_add(actor=operator, claim=claim, code="not_on_the_list", filename="x.pdf", data=PDF)


def test_another_area_and_other_roles_never_see_a_scan(personas: dict[str, Any], claim: Claim) -> None:
    scan = claim_scan_add(actor=personas["operator_sorong"], claim=claim, code="ktp", filename="ktp.pdf", data=PDF)
    with pytest.raises(NotFound):
        claim_scan_open(actor=personas["facilitator_klawasi"], scan_id=scan.pk)
    with pytest.raises(NotFound):
        claim_scan_add(actor=personas["facilitator_klawasi"], claim=claim, code="ktp", filename="k.pdf",
                       data=PDF + b"x")
    with pytest.raises(NotFound):
        claim_scan_delete(actor=personas["facilitator_klawasi"], scan_id=scan.pk)
    with pytest.raises(PermissionDenied):
        claim_scan_delete(actor=personas["auditor"], scan_id=scan.pk)
    assert not AuditEvent.objects.filter(action="claim.scan_view").exists()
    claim_scan_delete(actor=personas["facilitator_remu"], scan_id=scan.pk)
    assert not ClaimScan.objects.exists()
    assert AuditEvent.objects.filter(action="claim.scan_delete").count() == 1
