"""'jaring claim scan' and 'jaring claim scan-get': a document's scan from a file, and back to an
owner-only file that is never overwritten without --force; the same refusals as the pages."""

from __future__ import annotations

import datetime as dt
import json
import stat
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from conftest import KLAWASI
from jaring.claims.models import Claim, ClaimScan
from jaring.claims.services import claim_open
from jaring.core.models import AuditEvent
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% surat keterangan kepolisian\n" + b"0" * 100


@pytest.fixture
def claim(personas: dict[str, Any], register_person: Any) -> Claim:
    return claim_open(actor=personas["operator_sorong"], person=register_person(), type="jkk",
                      event_date=timezone.localdate() - dt.timedelta(days=2))


def test_a_scan_from_a_file_and_back(capsys, claim, tmp_path):
    source = tmp_path / "ktp.pdf"
    source.write_bytes(PDF)
    code, out, err = jaring(capsys, "claim", "scan", str(claim.pk), "--code", "ktp", "--file", str(source),
                            "--as", "facilitator_remu", "--json")
    assert code == 0, err
    data = json.loads(out)
    scan = ClaimScan.objects.get()
    assert (data["id"], data["code"], data["content_type"], data["size"]) == (scan.pk, "ktp", "application/pdf",
                                                                               len(PDF))
    target = tmp_path / "out.pdf"
    code, out, err = jaring(capsys, "claim", "scan-get", str(scan.pk), "--out", str(target), "--as", "liaison")
    assert code == 0, err
    assert target.read_bytes() == PDF and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"scan {scan.pk}" in out
    code, _out, err = jaring(capsys, "claim", "scan-get", str(scan.pk), "--out", str(target), "--as", "liaison")
    assert code == 2 and "--force" in err
    assert AuditEvent.objects.filter(action="claim.scan_view").count() == 1  # the refusal opened nothing
    target.write_bytes(b"old")
    code, _out, err = jaring(capsys, "claim", "scan-get", str(scan.pk), "--out", str(target), "--force",
                             "--as", "liaison")
    assert code == 0, err
    assert target.read_bytes() == PDF


def test_refusals_are_said_with_an_exit_code(capsys, claim, tmp_path):
    svg = tmp_path / "foto.png"
    svg.write_bytes(b"<svg onload=alert(1)>")
    code, _out, err = jaring(capsys, "claim", "scan", str(claim.pk), "--code", "ktp", "--file", str(svg),
                             "--as", "facilitator_remu")
    assert code != 0 and "JPEG" in err
    code, _out, err = jaring(capsys, "claim", "scan", str(claim.pk), "--code", "ktp", "--file",
                             str(tmp_path / "missing.pdf"), "--as", "facilitator_remu")
    assert code == 2 and "cannot read" in err
    pdf = tmp_path / "k.pdf"
    pdf.write_bytes(PDF)
    code, _out, err = jaring(capsys, "claim", "scan", str(claim.pk), "--code", "ktp", "--file", str(pdf),
                             "--as", "facilitator_klawasi")
    assert code != 0  # another area's claim: not found
    with override_settings(JARING_CLAIM_SCAN_MAX_BYTES=50):
        code, _out, err = jaring(capsys, "claim", "scan", str(claim.pk), "--code", "ktp", "--file", str(pdf),
                                 "--as", "facilitator_remu")
    assert code != 0 and "terlalu besar" in err
    assert not ClaimScan.objects.exists()


def test_scan_get_outside_the_area_writes_nothing(capsys, personas, register_person, tmp_path):
    other = claim_open(actor=personas["operator_sorong"], person=register_person(kelurahan=KLAWASI), type="jkm",
                       event_date=timezone.localdate() - dt.timedelta(days=2))
    pdf = tmp_path / "k.pdf"
    pdf.write_bytes(PDF)
    assert jaring(capsys, "claim", "scan", str(other.pk), "--code", "ktp", "--file", str(pdf),
                  "--as", "operator_sorong")[0] == 0
    scan = ClaimScan.objects.get()
    target = tmp_path / "out.pdf"
    code, _out, _err = jaring(capsys, "claim", "scan-get", str(scan.pk), "--out", str(target),
                              "--as", "facilitator_remu")
    assert code != 0 and not target.exists()
