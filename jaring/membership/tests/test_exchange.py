import datetime as dt
import json

from django.utils import timezone
from openpyxl import load_workbook

from conftest import REMU
from jaring.contributions.services import billing_run
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_enrol, payer_create
from jaring.testing import run_jaring as jaring


def test_register_export_kpj_import_and_reconcile(personas, register_person, tmp_path, capsys):
    operator = personas["operator_sorong"]
    city = payer_create(actor=personas["admin_sorong"], code="APBD-KOTA", name="APBD Kota", kind="government_city",
                        wadah_code="SG")
    people = [register_person(full_name=f"=HYPERLINK(\"x\") Pekerja {i}", birth_date=dt.date(1980, 3, 1 + i),
                              kelurahan=REMU) for i in range(3)]
    for person in people:
        membership_enrol(actor=operator, person=person, payer=city, programs="JKK,JKM", declared_income_idr=1_000_000,
                         start_date=timezone.localdate())  # a draft never starts in the past
    code, out, err = jaring(capsys, "bpjstk", "export", "--payer", "APBD-KOTA", "--out", str(tmp_path), "--json")
    assert code == 0, err
    exported = json.loads(out)
    assert exported["rows"] == 3
    sheet = load_workbook(exported["file"]).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "NIK" and rows[1][0] == people[0].nik  # whole NIK, as text
    assert rows[1][2].startswith("'=")  # a formula in a name is neutralised
    assert set(Membership.objects.values_list("status", flat=True)) == {"submitted"}
    assert AuditEvent.objects.filter(action="bpjstk.export").count() == 1

    kpj_file = tmp_path / "kpj.csv"
    kpj_file.write_text("NIK;KPJ;Tanggal Mulai\n"
                        f"{people[0].nik};26020000001;01-02-2026\n"
                        f"{people[1].nik};26020000002;2026-02-01\n"
                        "9271019999990001;26020000099;2026-02-01\n"
                        "3.27E+15;26020000098;2026-02-01\n", encoding="utf-8-sig")
    code, out, _ = jaring(capsys, "bpjstk", "import-kpj", str(kpj_file), "--json")
    result = json.loads(out)
    assert (result["rows"], result["activated"], result["rejected"]) == (4, 2, 2)
    assert Membership.objects.filter(status="active").count() == 2
    again = json.loads(jaring(capsys, "bpjstk", "import-kpj", str(kpj_file), "--json")[1])
    assert (again["activated"], again["unchanged"]) == (0, 2)

    billing_run(actor=operator, period=dt.date(2026, 2, 1))
    statement = tmp_path / "statement.csv"
    statement.write_text("KPJ,Bulan,Iuran,Tanggal Bayar\n26020000001,2026-02,16800,2026-02-10\n"
                         "26020000002,2026-02,16000,2026-02-10\n26029999999,2026-02,16800,2026-02-10\nxx,Feb,abc,\n")
    code, out, _ = jaring(capsys, "bpjstk", "import-payments", str(statement), "--dry-run", "--json")
    report = json.loads(out)
    # A government cohort's months are paid through invoices: BPJSTK's statement never pays them.
    assert report["review_by_reason"] == {"invalid": 1, "not_self_payer": 2, "unknown_person": 1}
    assert (report["applied"], report["expected_missing"]) == (0, 0)


def test_csv_export_and_bad_files(personas, tmp_path, capsys):
    payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    code, _out, _ = jaring(capsys, "bpjstk", "export", "--payer", "MANDIRI", "--format", "csv", "--out",
                          str(tmp_path / "x.csv"), "--json")
    assert code == 0 and (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbfNIK;KPJ")
    assert jaring(capsys, "bpjstk", "import-kpj", str(tmp_path / "missing.csv"))[0] == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert jaring(capsys, "bpjstk", "import-kpj", str(empty))[0] == 2

