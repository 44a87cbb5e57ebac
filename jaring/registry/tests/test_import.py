"""Registry import: every bad input the field sends, every row accounted for."""

import datetime as dt
import shutil

import pytest
from openpyxl import Workbook, load_workbook

from jaring.core.errors import ValidationFailed
from jaring.registry.importing import import_registry
from jaring.registry.models import Household, Person

HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa;Pekerjaan;Desil;No HP\n"
GOOD = [
    "Yohanes Kalami;9271011403850001;9271010203150007;14/03/1985;L;Remu;Tukang Ojek;1;0812 3456 7890",
    "Maria Kalami;9271015508900001;9271010203150007;15 Agustus 1990;P;Klasur;Pedagang;1;",
]


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(personas, path, **kwargs):  # type: ignore[no-untyped-def]
    result = import_registry(actor=personas["operator_sorong"], path=path, **kwargs)
    assert result.rows == result.imported + result.updated + result.duplicates + result.rejected
    return result


def test_good_rows_import_with_households_and_reimport_adds_nothing(personas, tmp_path):
    path = write(tmp_path, HEADER + "\n".join(GOOD) + "\n")
    first = run(personas, path)
    assert (first.imported, first.rejected, first.duplicates) == (2, 0, 0)
    yohanes = Person.objects.get(full_name="Yohanes Kalami")
    assert yohanes.kelurahan.name == "Remu" and yohanes.occupation.code == "ojek_driver"
    assert yohanes.transport_sector and yohanes.phone == "081234567890"
    maria = Person.objects.get(full_name="Maria Kalami")
    assert maria.birth_date == dt.date(1990, 8, 15) and maria.kelurahan.name == "Klasuur"
    assert maria.household == yohanes.household and Household.objects.count() == 1
    assert yohanes.household.welfare_decile == 1
    again = run(personas, path)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 2)
    assert Person.objects.count() == 2


def test_update_fills_only_empty_fields(personas, tmp_path, register_person):
    person = register_person(nik="9271011403850001", full_name="Yohanes Kalami", phone="", occupation="fisher")
    result = run(personas, write(tmp_path, HEADER + GOOD[0] + "\n"))
    assert (result.updated, result.imported) == (1, 0)
    person.refresh_from_db()
    assert person.phone == "081234567890"  # was empty: filled
    assert person.occupation.code == "fisher"  # was set by a person: kept


@pytest.mark.parametrize("nik", ["3.27E+15", "927101140385000", "92710114038500011", "9271011403850000",
                                 "9271019903850001", "٩٢٧١٠١١٤٠٣٨٥٠٠٠١"])
def test_bad_niks_are_rejected_never_repaired(personas, tmp_path, nik):
    result = run(personas, write(tmp_path, HEADER + f"Orang;{nik};;14/03/1985;L;Remu;;;\n"))
    assert result.rejected == 1 and Person.objects.count() == 0
    rows = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))
    assert rows[1][0] == 2 and rows[1][1] == "NIK" and "NIK" in rows[1][2]


def test_nik_with_spaces_or_dots_is_cleaned(personas, tmp_path):
    result = run(personas, write(tmp_path, HEADER + "Orang;9271.0114.0385.0001;;14/03/1985;L;Remu;;;\n"
                                 "Dua;9271 0114 0385 0002;;14/03/1985;L;Remu;;;\n"))
    assert result.imported == 2


def test_woman_nik_without_plus_40_is_a_warning(personas, tmp_path):
    result = run(personas, write(tmp_path, HEADER + "Ruth Mayor;9271011403850001;;14/03/1985;P;Remu;;;\n"))
    assert result.imported == 1 and result.warnings == 1
    rows = list(load_workbook(result.report)["Peringatan"].iter_rows(values_only=True))
    assert "tidak cocok dengan NIK" in rows[1][2]


def test_future_birth_date_unknown_kelurahan_and_missing_name(personas, tmp_path):
    future = (dt.date.today() + dt.timedelta(days=40)).strftime("%d/%m/%Y")
    body = (f"A;9271011403850001;;{future};L;Remu;;;\n"
            "B;9271011403850002;;14/03/1985;L;Atlantis;;;\n"
            ";9271011403850003;;14/03/1985;L;Remu;;;\n"
            "C;9271011403850004;;14/13/1985;L;Remu;;;\n")
    result = run(personas, write(tmp_path, HEADER + body))
    assert result.rejected == 4
    reasons = [r[2] for r in load_workbook(result.report)["Ditolak"].iter_rows(min_row=2, values_only=True)]
    assert any("masa depan" in r for r in reasons) and any("Kelurahan" in r for r in reasons)
    assert any("Nama" in r for r in reasons) and any("tidak bisa dibaca" in r for r in reasons)


def test_same_nik_twice_with_different_names_is_flagged(personas, tmp_path):
    body = GOOD[0] + "\nYakobus Lain;9271011403850001;;14/03/1985;L;Remu;;;\n"
    result = run(personas, write(tmp_path, HEADER + body))
    assert (result.imported, result.duplicates) == (1, 1)
    rows = list(load_workbook(result.report)["Duplikat"].iter_rows(min_row=2, values_only=True))
    assert "BERBEDA" in rows[0][2]


def test_formula_and_html_are_kept_as_text_and_neutralised(personas, tmp_path):
    body = ('=HYPERLINK("http://x");9271011403850001;;14/03/1985;L;Remu;astronot;;\n'
            "<b>Yakob</b>;9271011403850002;;14/03/1985;L;Remu;;;\n")
    result = run(personas, write(tmp_path, HEADER + body))
    assert result.imported == 2
    assert Person.objects.filter(full_name='=HYPERLINK("http://x")').exists()
    assert Person.objects.filter(full_name="<b>Yakob</b>").exists()
    rows = list(load_workbook(result.report)["Peringatan"].iter_rows(min_row=2, values_only=True))
    assert rows[0][3].startswith("'=")  # the original cell, neutralised in the report


def test_encodings_delimiters_and_bom(personas, tmp_path):
    cp = write(tmp_path, "Nama,NIK,Tanggal Lahir,JK,Kelurahan\nJosé Nuñez,9271011403850001,1985-03-14,L,Remu\n",
               encoding="cp1252")
    assert run(personas, cp).imported == 1
    bom = write(tmp_path, "\ufeffNIK\tNama\tTgl Lahir\tL/P\tKode Wilayah\n9271011403850002\tA B\t14-03-1985\tL\t"
                "96.71.01.1004\n", name="tab.csv")
    assert run(personas, bom).imported == 1
    assert Person.objects.filter(full_name="José Nuñez").exists()


def test_excel_file_with_serial_dates(personas, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan"])
    sheet.append(["9271011403850001", "Obet Malak", 31120, "L", "Remu"])  # Excel serial for 1985-03-14
    sheet.append([9271011403850002, "Angka", "14/03/1985", "L", "Remu"])  # a number cell, not text
    path = tmp_path / "data.xlsx"
    book.save(path)
    result = run(personas, path)
    assert Person.objects.get(full_name="Obet Malak").birth_date == dt.date(1985, 3, 14)
    assert result.rows == 2


def test_empty_header_only_and_unknown_headers(personas, tmp_path):
    with pytest.raises(ValidationFailed) as info:
        run(personas, write(tmp_path, "", name="empty.csv"))
    assert "kosong" in str(info.value.message)
    result = run(personas, write(tmp_path, HEADER, name="header.csv"))
    assert result.rows == 0
    with pytest.raises(ValidationFailed) as info:
        run(personas, write(tmp_path, "foo;bar\n1;2\n", name="unknown.csv"))
    assert info.value.code == "missing_columns" and "nik" in str(info.value.message)


def test_too_big_file_is_refused_clearly(personas, tmp_path, settings):
    settings.JARING_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationFailed) as info:
        run(personas, write(tmp_path, HEADER + "\n".join(GOOD * 5)))
    assert "terlalu besar" in str(info.value.message)


def test_dry_run_writes_nothing(personas, tmp_path):
    result = run(personas, write(tmp_path, HEADER + "\n".join(GOOD) + "\n"), dry_run=True)
    assert result.imported == 2 and Person.objects.count() == 0 and Household.objects.count() == 0


def test_facilitator_imports_only_their_area(personas, tmp_path):
    body = GOOD[0] + "\nB;9271011403850002;;14/03/1985;L;Klawasi;;;\n"
    result = import_registry(actor=personas["facilitator_remu"], path=write(tmp_path, HEADER + body))
    assert (result.imported, result.rejected) == (1, 1)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_error_report_opens_in_libreoffice_with_indonesian_reasons(personas, tmp_path):
    import subprocess

    path = write(tmp_path, HEADER + "Orang;3.27E+15;;14/03/1985;L;Remu;;;\n" + GOOD[0] + "\n")
    report = tmp_path / "laporan.xlsx"
    run(personas, path, report=report)
    out = tmp_path / "out"
    subprocess.run([shutil.which("soffice") or "soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    str(report), "--outdir", str(out)], check=True, capture_output=True, timeout=120)
    rejected = (out / "laporan-Ditolak.csv").read_text(encoding="utf-8")
    assert "NIK rusak oleh Excel" in rejected and "Orang" in rejected
    summary = (out / "laporan-Ringkasan.csv").read_text(encoding="utf-8")
    assert "Ditolak,1" in summary and "Diimpor (baru),1" in summary


def test_named_sheet_of_a_workbook(personas, tmp_path):
    book = Workbook()
    book.active.title = "Petunjuk"
    book.active.append(["Isi lembar Data saja"])
    data = book.create_sheet("Data")
    data.append(["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan"])
    data.append(["9271011403850001", "Obet Malak", "14/03/1985", "L", "Remu"])
    path = tmp_path / "dua-lembar.xlsx"
    book.save(path)
    with pytest.raises(ValidationFailed) as info:  # the first sheet has no data columns
        run(personas, path)
    assert info.value.code == "missing_columns"
    assert run(personas, path, sheet="Data").imported == 1
    with pytest.raises(ValidationFailed) as info:
        run(personas, path, sheet="Lembar1")
    assert "Lembar Lembar1 tidak ada" in str(info.value.message) and "Data" in str(info.value.message)


def test_overwrite_only_when_asked_and_never_identity(personas, tmp_path, register_person):
    person = register_person(nik="9271011403850001", full_name="Yohanes Kalami", phone="081111111111",
                             occupation="fisher")
    path = write(tmp_path, HEADER + GOOD[0] + "\n")
    kept = run(personas, path)
    assert (kept.updated, kept.duplicates) == (0, 1)
    person.refresh_from_db()
    assert person.phone == "081111111111" and person.occupation.code == "fisher"
    replaced = run(personas, path, overwrite=True)
    assert replaced.updated == 1
    person.refresh_from_db()
    assert person.phone == "081234567890" and person.occupation.code == "ojek_driver"
    assert person.full_name == "Yohanes Kalami"
    from jaring.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="registry.import", after__overwrite=True).exists()


def test_a_row_with_several_problems_lists_each_in_the_report(personas, tmp_path):
    path = write(tmp_path, HEADER + "Orang;3.27E+15;;14/03/2090;X;Kampung Entah;;;\n" + GOOD[0] + "\n")
    report = tmp_path / "laporan.xlsx"
    result = run(personas, path, report=report)
    assert (result.rejected, result.imported) == (1, 1)
    rows = list(load_workbook(report)["Ditolak"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == [2, 2, 2, 2]  # one line per problem, all of spreadsheet row 2
    reasons = " ".join(r[2] for r in rows)
    assert "Excel" in reasons and "masa depan" in reasons and "Jenis kelamin" in reasons
    assert any(r[1] == "Kelurahan" and "tidak dikenal" in r[2] for r in rows)
