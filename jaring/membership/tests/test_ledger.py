"""BPJSTK's payment statement is applied, not just reported (issue 10 §2, decision 0035): exact rows
pay the self-payer's due on the payment date, every other row goes to the review list with its
reason, re-importing changes nothing, a failure half-way leaves nothing applied, hostile files are
refused with a reason, and only the office and the branch liaison may do it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from jaring.contributions import ledger
from jaring.contributions.models import Due, Payment, PaymentAllocation, StatementImport, StatementReviewRow
from jaring.contributions.services import billing_run, payment_record
from jaring.core.errors import PermissionDenied
from jaring.core.models import AuditEvent, Job
from jaring.membership.models import Membership
from jaring.membership.services import membership_end, membership_enrol
from jaring.testing import run_jaring as jaring

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)



@pytest.fixture
def members(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Membership]:
    """Self-payers A–E and one city member, active since January 2026 (their KPJ given: BPJSTK
    holds them), billed October and November 2026."""
    operator = personas["operator_sorong"]
    found = {}
    for i, name in enumerate("ABCDE"):
        person = register_person(full_name=f"Pekerja {name}", birth_date=dt.date(1980, 1, 1 + i),
                                 occupation="market_trader")
        found[name] = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                                       declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1),
                                       kpj=f"2602000000{i}")
    person = register_person(full_name="Pekerja Kota", birth_date=dt.date(1981, 2, 2), occupation="market_trader")
    found["city"] = membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                                     declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1),
                                     kpj="26020000009")
    for period in (OCT, NOV):
        billing_run(actor=operator, period=period)
    return found


def due(membership: Membership, period: dt.date) -> Due:
    return Due.objects.get(membership=membership, period=period)


def write_csv(path: Path, rows: list[list[Any]], header: str = "KPJ;NIK;Bulan;Iuran;Tanggal Bayar;Saluran") -> Path:
    path.write_text(header + "\n" + "\n".join(";".join(str(c) for c in row) for row in rows) + "\n",
                    encoding="utf-8")
    return path


def test_exact_rows_pay_on_time_or_late_and_a_reimport_changes_nothing(personas, members, tmp_path, capsys):
    a, b, c = members["A"], members["B"], members["C"]
    november = due(a, NOV)
    assert november.due_date == dt.date(2026, 11, 16)  # the 15th is a Sunday: billing moved it to Monday
    amount = november.amount_idr
    statement = write_csv(tmp_path / "laporan.csv", [
        [a.kpj, "", "2026-11", amount, "16-11-2026", "JMO"],  # on the due date: on time
        [b.kpj, "", "11/2026", f"Rp {amount:,}".replace(",", "."), "2026-11-17", "Indomaret"],  # a day late
        ["", c.person.nik, "Oktober 2026", amount, "2026-10-15", ""],  # by NIK, no channel
    ])
    code, out, err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["rows"], result["applied"], result["unchanged"], result["review"]) == (3, 3, 0, 0)
    paid_a, paid_b, paid_c = due(a, NOV), due(b, NOV), due(c, OCT)
    assert (paid_a.status, paid_a.paid_on, paid_a.paid_late) == ("paid", dt.date(2026, 11, 16), False)
    assert (paid_b.status, paid_b.paid_on, paid_b.paid_late) == ("paid", dt.date(2026, 11, 17), True)
    assert (paid_c.status, paid_c.paid_on, paid_c.paid_late) == ("paid", dt.date(2026, 10, 15), False)
    payments = {p.membership_id: p for p in Payment.objects.all()}
    assert {m: (p.channel, p.amount_idr) for m, p in payments.items()} == {
        a.pk: ("app", amount), b.pk: ("retail", amount), c.pk: ("other", amount)}
    assert payments[a.pk].reference == f"BPJSTK:{a.kpj}:2026-11:2026-11-16:{amount}"
    assert payments[c.pk].reference == f"BPJSTK:{c.kpj}:2026-10:2026-10-15:{amount}"  # the person's KPJ
    assert PaymentAllocation.objects.filter(due=paid_b, payment=payments[b.pk], amount_idr=amount).exists()
    assert due(a, OCT).status == "open"  # nothing else touched
    job = Job.objects.get(pk=result["job"])
    assert (job.kind, job.status, job.result["applied"]) == ("bpjstk.payments", "succeeded", 3)
    assert job.result["report"] == result["report"] and Path(result["report"]).is_file()
    book = load_workbook(result["report"])
    assert book.sheetnames[:3] == ["Ringkasan", "Diterapkan", "Tidak berubah"]
    applied = list(book["Diterapkan"].iter_rows(values_only=True))
    assert [r[0] for r in applied[1:]] == [2, 3, 4]
    assert "Terlambat" in applied[2][-1] and "Tepat waktu" in applied[1][-1]
    assert c.person.nik not in json.dumps([list(r) for r in applied], default=str)  # masked
    events = AuditEvent.objects.filter(action="bpjstk.import_payments")
    assert events.count() == 1
    assert [row[:4] for row in events.get().after["changes"]] == [
        [a.kpj, "2026-11", amount, "2026-11-16"], [b.kpj, "2026-11", amount, "2026-11-17"],
        [c.kpj, "2026-10", amount, "2026-10-15"]]
    statement_row = StatementImport.objects.get()
    assert (statement_row.kind, statement_row.applied, statement_row.rows) == ("payments", 3, 3)

    # The same file again: nothing changes (the rows are unchanged, nothing is paid twice).
    before = list(Due.objects.order_by("id").values_list("id", "status", "paid_on"))
    code, out, _err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")
    again = json.loads(out)
    assert code == 0 and (again["applied"], again["unchanged"], again["review"]) == (0, 3, 0)
    assert list(Due.objects.order_by("id").values_list("id", "status", "paid_on")) == before
    assert Payment.objects.count() == 3 and PaymentAllocation.objects.count() == 3
    assert StatementImport.objects.count() == 1 and StatementImport.objects.get().applied == 3


def test_every_row_that_does_not_match_exactly_goes_to_review(personas, members, payers, tmp_path, capsys):
    operator = personas["operator_sorong"]
    a, b, c, d, e, city = (members[k] for k in ("A", "B", "C", "D", "E", "city"))
    amount = due(a, OCT).amount_idr
    payment_record(actor=operator, membership=b, amount_idr=amount, paid_on=dt.date(2026, 10, 12),
                   reference="KUITANSI-7")  # paid in Jaring, another payment
    membership_end(actor=operator, membership=c, reason="withdrawn", ended_on=dt.date(2026, 10, 31))  # Nov void
    statement = write_csv(tmp_path / "laporan.csv", [
        ["26029999999", "", "2026-10", amount, "2026-10-10", ""],  # 2 unknown person
        [city.kpj, "", "2026-10", amount, "2026-10-10", ""],  # 3 a government cohort's month
        [d.kpj, "", "2026-12", amount, "2026-11-20", ""],  # 4 December is not billed yet
        [a.kpj, "", "2026-10", amount + 1, "2026-10-10", ""],  # 5 amount differs
        [b.kpj, "", "2026-10", amount, "2026-10-14", ""],  # 6 already paid on another date
        [c.kpj, "", "2026-11", due(c, NOV).amount_idr, "2026-11-10", ""],  # 7 void: the membership ended
        [e.kpj, "", "2026-13", amount, "2026-10-10", ""],  # 8 month unreadable
        [e.kpj, "", "2026-10", "abc", "2026-10-10", ""],  # 9 amount unreadable
        [e.kpj, "", "2026-10", amount, "31-02-2026", ""],  # 10 date unreadable
        [e.kpj, "", "2026-10", amount, "2099-01-01", ""],  # 11 a date in the future
        ["", "", "2026-10", amount, "2026-10-10", ""],  # 12 nobody named
        [e.kpj, "", "2026-10", amount, "2026-10-10", "BNI"],  # 13 applied
        [e.kpj, "", "2026-10", amount, "2026-10-10", "BNI"],  # 14 the same row again
        [d.kpj, "", "2026-10", amount, "2026-10-11", "=A1*2"],  # 15 applied
    ])
    code, out, err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["rows"], result["applied"], result["unchanged"], result["review"], result["invalid"]) == (
        14, 2, 0, 12, 5)
    assert result["review_by_reason"] == {"already_paid": 1, "amount_differs": 1, "due_void": 1,
                                          "duplicate_in_file": 1, "invalid": 5, "not_billed": 1,
                                          "not_self_payer": 1, "unknown_person": 1}
    reasons = {r["row"]: r["reason"] for r in result["reviews"]}
    assert reasons == {2: "unknown_person", 3: "not_self_payer", 4: "not_billed", 5: "amount_differs",
                       6: "already_paid", 7: "due_void", 8: "invalid", 9: "invalid", 10: "invalid", 11: "invalid",
                       12: "invalid", 14: "duplicate_in_file"}
    assert (due(e, OCT).status, due(d, OCT).status) == ("paid", "paid")
    assert (due(a, OCT).status, due(city, OCT).status, due(b, OCT).paid_on) == ("open", "open", dt.date(2026, 10, 12))
    assert Payment.objects.get(membership=d).channel == "other"  # a formula is no channel
    # The review list is kept, in Indonesian, never with a whole NIK.
    kept = {r.row_number: r for r in StatementReviewRow.objects.all()}
    assert set(kept) == set(reasons) and {r.status for r in kept.values()} == {"open"}
    assert kept[5].reason_text.startswith("Jumlah di laporan") and kept[5].amount_idr == amount + 1
    assert "Tanggal bayar 2099-01-01 di masa depan" in kept[11].reason_text
    assert kept[3].membership_id == city.pk and kept[4].period == DEC
    book = load_workbook(result["report"])
    assert {"Orang tidak dikenal", "Bukan peserta mandiri", "Bulan belum ditagih", "Jumlah berbeda",
            "Sudah lunas di Jaring", "Iuran dibatalkan", "Baris ganda", "Baris tidak sah"} <= set(book.sheetnames)
    channel = next(r for r in book["Diterapkan"].iter_rows(values_only=True) if r[0] == 15)[6]
    assert channel.startswith("'=")  # a formula in a cell is neutralised in the report
    # Re-importing the same file changes nothing: no review row twice, nothing paid again.
    code, out, _err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")
    again = json.loads(out)
    assert (again["applied"], again["unchanged"], again["review"]) == (0, 2, 12)
    assert StatementReviewRow.objects.count() == 12 and Payment.objects.count() == 3
    code, out, _err = jaring(capsys, "bpjstk", "review", "--json")
    listed = json.loads(out)
    assert listed["count"] == 12 and all(r["nik"] == "" or "*" in r["nik"] for r in listed["rows"])


def test_a_resolved_month_leaves_the_review_list(personas, members, tmp_path, capsys):
    operator = personas["operator_sorong"]
    d = members["D"]
    statement = write_csv(tmp_path / "desember.csv", [[d.kpj, "", "2026-12", due(d, NOV).amount_idr, "2026-11-20",
                                                       ""]])
    assert json.loads(jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")[1])["review"] == 1
    row = StatementReviewRow.objects.get()
    assert (row.reason_code, row.status) == ("not_billed", "open")
    billing_run(actor=operator, period=DEC)
    result = json.loads(jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")[1])
    assert result["applied"] == 1
    row.refresh_from_db()
    assert row.status == "resolved" and "Diterapkan" in row.resolution
    _code, out, _err = jaring(capsys, "bpjstk", "review", "--json")
    assert json.loads(out)["count"] == 0


def test_dry_run_reports_what_would_be_applied_and_changes_nothing(personas, members, tmp_path, capsys):
    a = members["A"]
    statement = write_csv(tmp_path / "laporan.csv", [[a.kpj, "", "2026-10", due(a, OCT).amount_idr, "2026-10-01",
                                                      ""], ["26029999999", "", "2026-10", 1, "2026-10-01", ""]])
    code, out, err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--dry-run")
    assert code == 0, err
    assert "applied=1" in out and "review=1" in out and "dry run" in out and "report:" in out
    assert "expected_missing=4" in out  # self-payers' open October dues no row names (A's is named)
    assert due(a, OCT).status == "open" and not Payment.objects.exists()
    assert not StatementImport.objects.exists() and not StatementReviewRow.objects.exists()
    assert AuditEvent.objects.filter(action="bpjstk.dry_run_payments").count() == 1


def test_a_failure_half_way_leaves_nothing_applied(personas, members, tmp_path, monkeypatch):
    operator = personas["operator_sorong"]
    rows = [[members[k].kpj, "", "2026-10", due(members[k], OCT).amount_idr, "2026-10-05", ""] for k in "ABCDE"]
    statement = write_csv(tmp_path / "laporan.csv", rows)
    real = ledger.statement_payments_apply
    calls: list[int] = []

    def breaks_on_row_3(**kwargs: Any) -> int:
        calls.append(len(kwargs["payments"]))
        if len(calls) == 2:  # the second chunk starts with the file's third data row
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(ledger, "APPLY_CHUNK", 2)
    monkeypatch.setattr(ledger, "statement_payments_apply", breaks_on_row_3)
    with pytest.raises(RuntimeError):
        ledger.payment_statement_import(actor=operator, path=statement)
    assert calls == [2, 2]
    assert set(Due.objects.filter(period=OCT).values_list("status", flat=True)) == {"open"}
    assert not Payment.objects.exists() and not PaymentAllocation.objects.exists()
    assert not StatementImport.objects.exists() and not StatementReviewRow.objects.exists()
    assert not AuditEvent.objects.filter(action="bpjstk.import_payments").exists()
    job = Job.objects.get(kind="bpjstk.payments")
    assert job.status == "failed" and "disk full" in job.message
    monkeypatch.setattr(ledger, "statement_payments_apply", real)
    assert ledger.payment_statement_import(actor=operator, path=statement).summary()["applied"] == 5


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_an_xlsx_statement_is_read_as_text(personas, members, tmp_path, capsys):
    a = members["A"]
    statement = _xlsx(tmp_path / "laporan.xlsx", [["No. KPJ", "Periode", "Jumlah Iuran", "Tgl. Bayar"],
                                                  [int(a.kpj), OCT, due(a, OCT).amount_idr, dt.date(2026, 10, 20)]])
    result = json.loads(jaring(capsys, "bpjstk", "import-payments", str(statement), "--json")[1])
    assert result["applied"] == 1
    assert (due(a, OCT).paid_on, due(a, OCT).paid_late) == (dt.date(2026, 10, 20), True)


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "Berkas kosong"),
    (b"\x89PNG\r\n\x1a\n" + bytes(i % 32 for i in range(8192)), "bukan tabel"),
    ("KPJ;Bulan;Iuran;Tanggal Bayar\n26020000000;2026-10;8400;2026-10-01 Jos\u00e9\n".encode()
     + "x;2026-10;8400;Andr\u00e9\n".encode("cp1252"), "mencampur UTF-8"),
    (b"KPJ;Bulan;Iuran;Tanggal Bayar;" + b"A" * 10 * 1024 * 1024, "terlalu panjang"),
    (b"Nama;Alamat\nYohanes;Remu\n", "Kolom wajib tidak ditemukan"),
], ids=["empty", "binary", "mixed-encoding", "10-MB-one-line", "no-columns"])
def test_hostile_files_are_refused_with_a_reason(personas, members, tmp_path, capsys, content, expected):
    path = tmp_path / "laporan.csv"
    path.write_bytes(content)
    code, out, err = jaring(capsys, "bpjstk", "import-payments", str(path))
    assert code == 2 and expected in err and "Traceback" not in err + out, err
    assert not Payment.objects.exists() and not StatementImport.objects.exists()
    job = Job.objects.get(kind="bpjstk.payments")
    assert job.status == "failed" and expected in job.message


def test_facilitators_and_auditors_are_refused(personas, members, tmp_path, capsys, api_client_for):
    a = members["A"]
    statement = write_csv(tmp_path / "laporan.csv", [[a.kpj, "", "2026-10", due(a, OCT).amount_idr, "2026-10-01",
                                                      ""]])
    for name in ("facilitator_remu", "auditor"):
        code, _out, err = jaring(capsys, "bpjstk", "import-payments", str(statement), "--as", name)
        assert code == 5 and "tidak boleh" in err
        assert jaring(capsys, "bpjstk", "review", "--as", name)[0] == 5
        assert api_client_for(name).get("/api/v1/bpjstk/review/").status_code == 403
        with pytest.raises(PermissionDenied):
            ledger.payment_statement_import(actor=personas[name], path=statement)
    assert due(a, OCT).status == "open" and not Job.objects.exists()
    assert jaring(capsys, "bpjstk", "import-payments", str(statement), "--as", "liaison")[0] == 0
    assert due(a, OCT).status == "paid"
    for name in ("operator_sorong", "liaison"):
        response = api_client_for(name).get("/api/v1/bpjstk/review/", {"status": "all"})
        assert response.status_code == 200 and response.json()["results"] == []
    assert api_client_for("operator_sorong").get("/api/v1/bpjstk/review/", {"status": "x"}).status_code == 400


def test_the_review_api_lists_rows_and_the_office_resolves_them(personas, members, tmp_path, capsys, api_client_for):
    statement = write_csv(tmp_path / "laporan.csv", [["26029999999", "", "2026-10", 8400, "2026-10-01", ""]])
    jaring(capsys, "bpjstk", "import-payments", str(statement))
    body = api_client_for("liaison").get("/api/v1/bpjstk/review/").json()
    assert [(r["row"], r["reason"], r["kpj"], r["period"], r["status"]) for r in body["results"]] == [
        (2, "unknown_person", "26029999999", "2026-10", "open")]
    row_id = body["results"][0]["id"]
    assert jaring(capsys, "bpjstk", "review", "--resolve", str(row_id))[0] == 2  # a note is required
    code, out, _err = jaring(capsys, "bpjstk", "review", "--resolve", str(row_id), "--note",
                             "BPJSTK: KPJ salah ketik", "--as", "operator_sorong")
    assert code == 0 and "resolved=1" in out
    assert api_client_for("liaison").get("/api/v1/bpjstk/review/").json()["results"] == []
    resolved = api_client_for("liaison").get("/api/v1/bpjstk/review/", {"status": "resolved"}).json()["results"]
    assert resolved[0]["resolution"] == "BPJSTK: KPJ salah ketik"
    assert AuditEvent.objects.filter(action="bpjstk.review_resolve").count() == 1
