"""Identifiers Excel damaged: a NIK or KK stored as a number cell, or written in scientific notation."""

from openpyxl import Workbook, load_workbook

from jaring.registry.importing import ERRORS, import_registry
from jaring.registry.models import Person

HEADER = ["NIK", "Nama Lengkap", "No KK", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan"]


def run(personas, path, **kwargs):  # type: ignore[no-untyped-def]
    result = import_registry(actor=personas["operator_sorong"], path=path, **kwargs)
    assert result.rows == result.imported + result.updated + result.duplicates + result.rejected
    return result


def rejected_reasons(report):  # type: ignore[no-untyped-def]
    sheet = load_workbook(report, read_only=True)["Ditolak"]
    return [(row[0], row[1], row[2]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_numeric_nik_and_kk_cells_are_rejected_with_the_fix(personas, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["9271011403850001", "Teks Benar", "9271010203150007", "14/03/1985", "L", "Remu"])
    sheet.append([9271011403850002, "Nik Angka", "9271010203150007", "14/03/1985", "L", "Remu"])
    sheet.append(["9271011403850003", "Kk Angka", 9271010203150008, "14/03/1985", "L", "Remu"])
    sheet.append([9.27101140385e15, "Nik Ilmiah", "", "14/03/1985", "L", "Remu"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    report = tmp_path / "laporan.xlsx"
    result = run(personas, path, report=report)
    assert (result.imported, result.rejected, result.excel_damaged) == (1, 3, 3)
    assert result.as_dict()["excel_damaged"] == 3
    assert list(Person.objects.values_list("full_name", flat=True)) == ["Teks Benar"]
    reasons = rejected_reasons(report)
    assert (3, "NIK", ERRORS["nik_numeric"][1]) in reasons
    assert (4, "No KK", ERRORS["kk_numeric"][1]) in reasons
    assert (5, "NIK", ERRORS["nik_numeric"][1]) in reasons
    assert "Format kolom NIK sebagai Teks" in ERRORS["nik_numeric"][1]
    assert "digit ke-16" in ERRORS["kk_numeric"][1]


def test_numeric_cells_on_a_named_sheet(personas, tmp_path):
    book = Workbook()
    book.active.title = "Petunjuk"
    book.active.append([12345])
    data = book.create_sheet("Data")
    data.append(HEADER)
    data.append([9271011403850002, "Nik Angka", "", "14/03/1985", "L", "Remu"])
    data.append(["9271011403850001", "Teks Benar", "", "14/03/1985", "L", "Remu"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    result = run(personas, path, sheet="Data", dry_run=True)
    assert (result.imported, result.rejected, result.excel_damaged) == (1, 1, 1)


def test_scientific_notation_in_csv_is_counted(personas, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("NIK;Nama Lengkap;No KK;Tanggal Lahir;Jenis Kelamin;Kelurahan\n"
                    "3.27E+15;Satu;;14/03/1985;L;Remu\n"
                    "9271011403850001;Dua;9.27101E+15;14/03/1985;L;Remu\n"
                    "9271011403850003;Tiga;;14/03/1985;L;Remu\n", encoding="utf-8")
    result = run(personas, path)
    assert (result.imported, result.rejected, result.excel_damaged) == (1, 2, 2)


def test_a_text_column_of_niks_is_not_flagged(personas, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for n in range(1, 4):
        sheet.append([f"927101140385000{n}", f"Orang {n}", "", "14/03/1985", "L", "Remu"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    result = run(personas, path)
    assert (result.imported, result.excel_damaged) == (3, 0)
    assert "excel_damaged" not in result.as_dict()


def test_the_import_page_shows_the_excel_damage_count(client, personas, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from jaring.core.models import Job

    client.force_login(personas["operator_sorong"])
    text = ("NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Kelurahan\n"
            "3.27E+15;Satu;14/03/1985;L;Remu\n9271011403850001;Dua;14/03/1985;L;Remu\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registry:import_start"),
                               {"file": SimpleUploadedFile("data.csv", text.encode()), "profile": "auto"})
    job = Job.objects.get(kind="import.registry")
    assert job.result["excel_damaged"] == 1
    page = client.get(response["Location"]).content.decode()
    assert "dirusak Excel" in page


def test_blank_and_leading_rows_are_counted_as_the_reader_counts_them(personas, tmp_path):
    book = Workbook()
    sheet = book.active
    for column, header in enumerate(HEADER, start=2):  # a blank column A and two blank rows first
        sheet.cell(row=3, column=column, value=header)
    sheet.append([None, "9271011403850001", "Teks Satu", "", "14/03/1985", "L", "Remu"])
    sheet.append([])  # a blank row the reader skips
    sheet.append([None, 9271011403850002, "Nik Angka", "", "14/03/1985", "L", "Remu"])
    sheet.append([None, "9271011403850003", "Teks Dua", "", "14/03/1985", "L", "Remu"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    report = tmp_path / "laporan.xlsx"
    result = run(personas, path, report=report)
    assert (result.imported, result.rejected, result.excel_damaged) == (2, 1, 1)
    assert sorted(Person.objects.values_list("full_name", flat=True)) == ["Teks Dua", "Teks Satu"]
    assert [r[4] for r in load_workbook(report, read_only=True)["Ditolak"].iter_rows(min_row=2, values_only=True)
            ] == ["Nik Angka"]


SHEET = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         'spreadsheetml/2006/main"><sheetData>'
         '<row><c t="inlineStr"><is><t>NIK</t></is></c><c t="inlineStr"><is><t>Nama Lengkap</t></is></c>'
         '<c t="inlineStr"><is><t>Tanggal Lahir</t></is></c><c t="inlineStr"><is><t>Jenis Kelamin</t></is></c>'
         '<c t="inlineStr"><is><t>Kelurahan</t></is></c></row>'
         '<row><c><v>9271011403850002</v></c><c t="inlineStr"><is><t>Angka</t></is></c>'
         '<c t="inlineStr"><is><t>14/03/1985</t></is></c><c t="inlineStr"><is><t>L</t></is></c>'
         '<c t="inlineStr"><is><t>Remu</t></is></c></row>'
         '<row><c t="str"><v>9271011403850001</v></c><c t="inlineStr"><is><t>Teks</t></is></c>'
         '<c t="inlineStr"><is><t>14/03/1985</t></is></c><c t="inlineStr"><is><t>L</t></is></c>'
         '<c t="inlineStr"><is><t>Remu</t></is></c></row>'
         '</sheetData></worksheet>')


def test_cells_without_references_and_inline_strings(personas, tmp_path):
    """A workbook another program wrote: no ``r`` on rows and cells, no shared strings."""
    import zipfile

    path = tmp_path / "lain.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
                      'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
                      ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      '</Types>')
        book.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                      'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                      'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                      'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                      'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"'
                      '/></Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", SHEET)
    result = run(personas, path, dry_run=True)
    assert (result.rows, result.imported, result.rejected, result.excel_damaged) == (2, 1, 1, 1)
