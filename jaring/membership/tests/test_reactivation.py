"""BPJSTK's status and rejection files (issue 10 §2) and the reactivation of a collective payer's
memberships ended for arrears when its funding came late (issue 10 §5, Perdir 22/PERDIR.02/072022;
decision 0035)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jaring.contributions.models import Due, StatementImport, StatementReviewRow
from jaring.contributions.services import billing_run, invoice_issue, invoice_payment_record
from jaring.core.errors import PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import (
    membership_end,
    membership_enrol,
    membership_submit,
    memberships_reactivate,
)
from jaring.testing import run_jaring as jaring


def enrol(personas: dict[str, Any], register_person: Any, payer: Any, n: int, *, kpj: str | None = None) -> Membership:
    """Active since January 2026 with a KPJ (BPJSTK holds it); without one a draft from today (never
    backdated)."""
    person = register_person(full_name=f"Pekerja {n}", birth_date=dt.date(1980, 1, n), occupation="market_trader")
    start = dt.date(2026, 1, 1) if kpj else timezone.localdate()
    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=start, kpj=kpj)


def statuses(membership: Membership) -> dict[int, str]:
    return {p.month: s for p, s in Due.objects.filter(membership=membership).values_list("period", "status")}


# --- The status file ---------------------------------------------------------------------------------

def test_the_status_file_ends_non_active_memberships_for_arrears(personas, payers, register_person, tmp_path,
                                                                 capsys):
    operator = personas["operator_sorong"]
    active = enrol(personas, register_person, payers["self"], 1, kpj="26030000001")
    steady = enrol(personas, register_person, payers["self"], 2, kpj="26030000002")
    ended = enrol(personas, register_person, payers["self"], 3, kpj="26030000003")
    waiting = enrol(personas, register_person, payers["city"], 4)  # a draft: no KPJ yet
    for month in range(6, 10):
        billing_run(actor=operator, period=dt.date(2026, month, 1))
    membership_end(actor=operator, membership=ended, reason="withdrawn", ended_on=dt.date(2026, 5, 31))
    status_file = tmp_path / "status.csv"
    status_file.write_text(
        "No KPJ;NIK;Status;Tanggal Non Aktif\n"
        f"{active.kpj};;NON AKTIF;16-07-2026\n"  # 2 ends for arrears on BPJSTK's date
        f"{steady.kpj};;AKTIF;\n"  # 3 active on both sides: unchanged
        f"{ended.kpj};;Aktif;\n"  # 4 active at BPJSTK, ended in Jaring: review
        f";{waiting.person.nik};TIDAK AKTIF;2026-07-01\n"  # 5 nothing active in Jaring: review
        "26039999999;;NA;2026-07-01\n"  # 6 unknown person
        f"{steady.kpj};;MENUNGGAK;2026-07-01\n"  # 7 a status nobody knows
        f"{steady.kpj};;NON AKTIF;\n",  # 8 non-active without a date
        encoding="utf-8")
    code, out, err = jaring(capsys, "bpjstk", "import-status", str(status_file), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["rows"], result["applied"], result["unchanged"], result["review"]) == (7, 1, 1, 5)
    assert result["review_by_reason"] == {"ended_in_jaring": 1, "invalid": 2, "no_active_membership": 1,
                                          "unknown_person": 1}
    active.refresh_from_db()
    assert (active.status, active.end_reason, active.ended_on) == ("ended", "arrears", dt.date(2026, 7, 16))
    assert statuses(active) == {6: "open", 7: "open", 8: "void", 9: "void"}  # months after the end voided
    assert Membership.objects.get(pk=steady.pk).status == "active"
    assert AuditEvent.objects.filter(action="membership.end", object_id=str(active.pk)).count() == 1
    assert AuditEvent.objects.get(action="bpjstk.import_status").after["changes"] == [
        [active.pk, "arrears", "2026-07-16"]]
    kept = {r.row_number: r.reason_code for r in StatementReviewRow.objects.filter(kind="status")}
    assert kept == {4: "ended_in_jaring", 5: "no_active_membership", 6: "unknown_person", 7: "invalid", 8: "invalid"}
    assert "*" in StatementReviewRow.objects.get(row_number=5).nik_masked
    assert waiting.person.nik not in json.dumps(list(StatementReviewRow.objects.values_list("nik_masked", "detail")))
    assert load_workbook(result["report"]).sheetnames[:3] == ["Ringkasan", "Diterapkan", "Tidak berubah"]
    # Again: nothing changes (the ended membership is unchanged, no review row twice).
    again = json.loads(jaring(capsys, "bpjstk", "import-status", str(status_file), "--json")[1])
    assert (again["applied"], again["unchanged"], again["review"]) == (0, 2, 5)
    assert AuditEvent.objects.filter(action="membership.end", object_id=str(active.pk)).count() == 1
    assert StatementReviewRow.objects.count() == 5 and StatementImport.objects.count() == 1
    assert jaring(capsys, "bpjstk", "import-status", str(status_file), "--as", "facilitator_remu")[0] == 5


# --- The rejection file ------------------------------------------------------------------------------

def test_a_rejected_registration_goes_back_to_draft_with_bpjstks_reason(personas, payers, register_person, tmp_path,
                                                                        capsys):
    operator = personas["operator_sorong"]
    submitted = membership_submit(actor=operator, membership=enrol(personas, register_person, payers["city"], 1))
    draft = enrol(personas, register_person, payers["city"], 2)
    active = enrol(personas, register_person, payers["city"], 3, kpj="26040000003")
    rejections = tmp_path / "ditolak.csv"
    rejections.write_text(
        "NIK;Alasan Penolakan\n"
        f"{submitted.person.nik};Nama ibu kandung kosong\n"
        f"{draft.person.nik};Tanggal lahir tidak sesuai Dukcapil\n"
        f"{active.person.nik};Data ganda\n"
        "9271019999990001;Data ganda\n"
        f"{submitted.person.nik[:10]};Data ganda\n"
        f"{submitted.person.nik};=HYPERLINK(\"x\")\n", encoding="utf-8")
    code, out, err = jaring(capsys, "bpjstk", "import-rejections", str(rejections), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["rows"], result["applied"], result["unchanged"], result["review"]) == (6, 2, 0, 4)
    assert result["review_by_reason"] == {"duplicate_in_file": 1, "invalid": 1, "not_pending": 1,
                                          "unknown_person": 1}
    submitted.refresh_from_db()
    assert (submitted.status, submitted.rejection_reason) == ("draft", "Nama ibu kandung kosong")
    assert submitted.rejected_at is not None
    assert Membership.objects.get(pk=draft.pk).rejection_reason == "Tanggal lahir tidak sesuai Dukcapil"
    assert Membership.objects.get(pk=active.pk).status == "active"
    event = AuditEvent.objects.get(action="membership.reject", object_id=str(submitted.pk))
    assert event.before["status"] == "submitted" and event.after["rejection_reason"] == "Nama ibu kandung kosong"
    book = load_workbook(result["report"])
    assert all(not str(cell).startswith("=") for row in book["Baris ganda"].iter_rows(values_only=True)
               for cell in row if cell is not None)
    again = json.loads(jaring(capsys, "bpjstk", "import-rejections", str(rejections), "--json")[1])
    assert (again["applied"], again["unchanged"], again["review"]) == (0, 2, 4)
    assert AuditEvent.objects.filter(action="membership.reject").count() == 2
    assert StatementReviewRow.objects.filter(kind="rejections").count() == 4


# --- Reactivation ------------------------------------------------------------------------------------

@pytest.fixture
def lapsed(personas, payers, register_person) -> dict[str, Membership]:  # type: ignore[no-untyped-def]
    """Three city members billed January to June 2026, ended for arrears on 20 March (the city's
    money came late): April to June voided. Meanwhile X was covered by the province for May (that
    membership ended), and Y re-enrolled as a self-payer."""
    operator = personas["operator_sorong"]
    found = {name: enrol(personas, register_person, payers["city"], n, kpj=f"2605000000{n}")
             for n, name in enumerate("XYZ", start=1)}
    for month in range(1, 7):
        billing_run(actor=operator, period=dt.date(2026, month, 1))
    for membership in found.values():
        membership_end(actor=operator, membership=membership, reason="arrears", ended_on=dt.date(2026, 3, 20))
    province = membership_enrol(actor=operator, person=found["X"].person, payer=payers["province"],
                                programs="JKK,JKM", declared_income_idr=1_000_000, start_date=dt.date(2026, 5, 1),
                                kpj=found["X"].kpj)
    billing_run(actor=operator, period=dt.date(2026, 5, 1))
    membership_end(actor=operator, membership=province, reason="withdrawn", ended_on=dt.date(2026, 5, 31))
    found["Y2"] = membership_enrol(actor=operator, person=found["Y"].person, payer=payers["self"], programs="JKK,JKM",
                                   declared_income_idr=1_000_000, start_date=timezone.localdate())
    return found


def test_reactivation_restores_the_months_and_skips_conflicts(personas, payers, lapsed, capsys):
    operator = personas["operator_sorong"]
    x, y, z = lapsed["X"], lapsed["Y"], lapsed["Z"]
    assert statuses(z) == {1: "open", 2: "open", 3: "open", 4: "void", 5: "void", 6: "void"}
    code, out, err = jaring(capsys, "membership", "reactivate", "--payer", "APBD-KOTA", "--reference",
                            "SP2D 00123/BUD/2026", "--ended-from", "2026-03-01", "--json",
                            "--as", "operator_sorong")
    assert code == 0, err
    result = json.loads(out)
    assert sorted(result["reactivated"]) == sorted([x.pk, z.pk])
    assert result["skipped"] == [{"membership": y.pk, "reason": "open_membership",
                                  "text": "Orang ini sudah punya kepesertaan lain yang masih berjalan."}]
    assert result["kept_void"] == [[x.pk, "2026-05", "APBD-PROV"]]  # the province billed X for May
    assert result["restored_months"] == 5
    for membership in (x, z):
        membership.refresh_from_db()
        assert (membership.status, membership.ended_on, membership.end_reason) == ("active", None, "")
    assert statuses(z) == dict.fromkeys(range(1, 7), "open")
    assert statuses(x) == {1: "open", 2: "open", 3: "open", 4: "open", 5: "void", 6: "open"}
    assert Membership.objects.get(pk=y.pk).status == "ended"
    event = AuditEvent.objects.get(action="payer.reactivate")
    assert event.after["reference"] == "SP2D 00123/BUD/2026" and sorted(event.after["reactivated"]) == sorted(
        [x.pk, z.pk])
    assert event.actor == operator
    per_membership = AuditEvent.objects.get(action="membership.reactivate", object_id=str(z.pk))
    assert per_membership.after["reference"] == "SP2D 00123/BUD/2026"
    assert per_membership.after["restored"] == ["2026-04", "2026-05", "2026-06"]
    # Again: nothing is left to reactivate.
    assert memberships_reactivate(actor=operator, payer=payers["city"], document_reference="SP2D 00123").reactivated \
        == []
    # The office then issues and pays the restored months.
    invoice = invoice_issue(actor=operator, payer=payers["city"], period=dt.date(2026, 4, 1), months=3)
    assert invoice.total_idr == 5 * Due.objects.get(membership=z, period=dt.date(2026, 4, 1)).amount_idr
    invoice_payment_record(actor=operator, invoice=invoice, paid_on=dt.date(2026, 11, 30), reference="SP2D 00123")
    assert statuses(z) == {1: "open", 2: "open", 3: "open", 4: "paid", 5: "paid", 6: "paid"}


def test_reactivation_takes_only_what_is_asked(personas, payers, lapsed):
    operator = personas["operator_sorong"]
    x, z = lapsed["X"], lapsed["Z"]
    assert memberships_reactivate(actor=operator, payer=payers["city"], document_reference="Surat 7",
                                  ended_on_from=dt.date(2026, 3, 21)).reactivated == []
    result = memberships_reactivate(actor=operator, payer=payers["city"], document_reference="Surat 7",
                                    membership_ids=[z.pk, lapsed["Y2"].pk])
    assert result.reactivated == [z.pk]
    assert result.skipped[0]["membership"] == lapsed["Y2"].pk and result.skipped[0]["reason"] == "not_eligible"
    assert Membership.objects.get(pk=x.pk).status == "ended"


def test_reactivation_refuses_self_payers_a_missing_reference_and_facilitators(personas, payers, lapsed,
                                                                               api_client_for, capsys):
    operator = personas["operator_sorong"]
    with pytest.raises(ValidationFailed) as refused:
        memberships_reactivate(actor=operator, payer=payers["self"], document_reference="SP2D 1")
    assert refused.value.code == "self_payer"
    with pytest.raises(ValidationFailed):
        memberships_reactivate(actor=operator, payer=payers["city"], document_reference="  ")
    for name in ("facilitator_remu", "liaison", "auditor"):
        with pytest.raises(PermissionDenied):
            memberships_reactivate(actor=personas[name], payer=payers["city"], document_reference="SP2D 1")
        response = api_client_for(name).post("/api/v1/payers/APBD-KOTA/reactivate/", {"reference": "SP2D 1"},
                                             format="json")
        assert response.status_code == 403
    code, _out, err = jaring(capsys, "membership", "reactivate", "--payer", "APBD-KOTA", "--reference", "SP2D 1",
                             "--as", "facilitator_remu")
    assert code == 5 and "tidak boleh" in err
    assert not AuditEvent.objects.filter(action="payer.reactivate").exists()
    api = api_client_for("operator_sorong")
    assert api.post("/api/v1/payers/MANDIRI/reactivate/", {"reference": "SP2D 1"},
                    format="json").status_code == 400
    assert api.post("/api/v1/payers/TIDAK-ADA/reactivate/", {"reference": "SP2D 1"}, format="json").status_code == 404
    response = api.post("/api/v1/payers/APBD-KOTA/reactivate/", {"reference": "SP2D 9", "memberships": [
        lapsed["Z"].pk]}, format="json")
    assert response.status_code == 200 and response.json()["reactivated"] == [lapsed["Z"].pk]
    assert response.json()["restored"] == [[lapsed["Z"].pk, "2026-04"], [lapsed["Z"].pk, "2026-05"],
                                           [lapsed["Z"].pk, "2026-06"]]
