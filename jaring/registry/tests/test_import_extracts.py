"""Each poverty-registry profile on a small extract written as the registry writes it (its column names,
its codes for sex and relationship, its decile and date columns, columns Jaring does not use, and the
bad rows real files have), as CSV and as XLSX; and ``--profile auto`` telling the extracts apart.

The headers follow ``importing.REGISTRY_PROFILES``: DESIL_NASIONAL and PEKERJAAN_UTAMA and sex coded
1/2 are DOMAIN §3's; the other names are [UNVERIFIED] there, and so here.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

from jaring.core.errors import ValidationFailed
from jaring.registry.importing import ERRORS, WARNINGS, detect_profile, import_registry
from jaring.registry.models import Household, HouseholdDecile, Person
from jaring.registry.testing import make_kk, make_nik

KK_A, KK_B, KK_C, KK_D, KK_E = (make_kk(issued=dt.date(2015, 3, 2), serial=n) for n in range(1, 6))
SCIENTIFIC = "9.27101120585E+15"  # what Excel shows of a NIK typed as a number

# (kk, name, sex M/F, birth, relationship, occupation as written, decile as written)
FAMILIES = [
    (KK_A, "YOHANES KALAMI", "M", dt.date(1980, 5, 12), "head", "NELAYAN/PERIKANAN", "1"),
    (KK_A, "MARIA KALAMI", "F", dt.date(1983, 7, 20), "spouse", "MENGURUS RUMAH TANGGA", "1"),
    (KK_A, "YAKOB KALAMI", "M", dt.date(2008, 1, 3), "child", "PELAJAR/MAHASISWA", "1"),
    (KK_A, "DORKAS KALAMI", "F", dt.date(2012, 11, 30), "child", "BELUM/TIDAK BEKERJA", "1"),
    (KK_B, "SARA MOBALEN", "F", dt.date(1975, 2, 14), "head", "PEDAGANG", "2"),
    (KK_B, "DANIEL MOBALEN", "M", dt.date(2000, 9, 9), "child", "TUKANG OJEK", "2"),
    (KK_B, "RUT MOBALEN", "F", dt.date(1950, 4, 1), "parent", "-", "2"),
    (KK_C, "AGUS SAWAKI", "M", dt.date(1990, 12, 25), "head", "BURUH HARIAN LEPAS", "4"),
    (KK_C, "AGUSTINA SAWAKI", "F", dt.date(1992, 3, 8), "spouse", "07", "4"),  # a coded occupation: a warning
    (KK_C, "MARKUS SAWAKI", "M", dt.date(2015, 6, 6), "child", "", "4"),
    (KK_D, "OBET MALAK", "M", dt.date(1968, 8, 17), "head", "PETANI/PEKEBUN", "11"),  # no decile 11: a warning
    (KK_D, "YULIANA MALAK", "F", dt.date(1970, 10, 10), "spouse", "PETANI/PEKEBUN", "3"),
]
IMPORTED, HOUSEHOLDS, WARNED = 12, 4, 2
# Rejected rows (their reason), then a row repeating Yohanes: a duplicate.
BAD = [
    ("nik_length", {"nik": "927101120585000"}),
    ("name_required", {"name": ""}),
    ("sex_invalid", {"sex": "3"}),
    ("kelurahan_unknown", {"kelurahan": "Kampung Entah"}),
    ("nik_float", {"nik": "excel"}),  # scientific notation in CSV, a number cell in XLSX
]
REJECTED, EXCEL_DAMAGED, DUPLICATES = len(BAD), 1, 1


@dataclass(frozen=True)
class Extract:
    name: str
    headers: dict[str, str]  # field → the extract's header
    sex: dict[str, str]  # M/F → as written
    relationship: dict[str, str]  # Jaring's relationship → as written
    kelurahan: str  # Remu as the extract writes it
    extra: dict[str, str] = field(default_factory=dict)  # columns Jaring does not use → a value
    date_cell: str = ""  # the extract's date as written in its date column, if it has one
    extract_date: dt.date | None = None  # else asked at import
    decile_date: dt.date = dt.date(2000, 1, 1)  # what each decile is stored with
    csv_delimiter: str = ","


CODES = {"head": "1", "spouse": "2", "child": "3", "parent": "6"}  # BPS's hubungan codes [UNVERIFIED]
EXTRACTS = {
    "dtsen": Extract(
        name="dtsen",
        headers={"nik": "NIK", "name": "NAMA", "sex": "JENIS_KELAMIN", "birth": "TANGGAL_LAHIR", "kk": "NO_KK",
                 "relationship": "HUBUNGAN_DENGAN_KEPALA_KELUARGA", "kelurahan": "KODE_DESA",
                 "occupation": "PEKERJAAN_UTAMA", "decile": "DESIL_NASIONAL"},
        sex={"M": "1", "F": "2"}, relationship=CODES, kelurahan="9671011004",
        extra={"ID_DTSEN": "DT-{n}", "STATUS_DISABILITAS": "0"},
        extract_date=dt.date(2025, 6, 30), decile_date=dt.date(2025, 6, 30)),
    "p3ke": Extract(
        name="p3ke",
        headers={"nik": "NIK", "name": "Nama", "sex": "Jenis Kelamin", "birth": "Tanggal Lahir", "kk": "No KK",
                 "relationship": "Hubungan Dengan Kepala Keluarga", "kelurahan": "Desa/Kelurahan",
                 "occupation": "Pekerjaan", "decile": "Desil Kesejahteraan", "date": "Tanggal Data",
                 "address": "Alamat"},
        sex={"M": "LAKI-LAKI", "F": "PEREMPUAN"},
        relationship={"head": "Kepala Keluarga", "spouse": "Istri", "child": "Anak", "parent": "Orang Tua"},
        kelurahan="REMU", extra={"ID Keluarga P3KE": "P3KE-{n}", "Padan Dukcapil": "Padan", "Penerima BPNT": "Ya"},
        date_cell="31/12/2023", decile_date=dt.date(2023, 12, 31), csv_delimiter=";"),
    "dtks": Extract(
        name="dtks",
        headers={"nik": "NIK", "name": "NAMA", "sex": "JK", "birth": "TGL LAHIR", "kk": "NOKK",
                 "relationship": "HUB KELUARGA", "kelurahan": "KODE_KELURAHAN", "occupation": "PEKERJAAN",
                 "decile": "DESIL", "date": "BULAN_DATA"},
        sex={"M": "1", "F": "2"}, relationship=CODES, kelurahan="92.71.01.1008",  # the legacy code of Remu
        extra={"IDBDT": "B{n}", "IDARTBDT": "A{n}", "STA_KEBERADAAN_ART": "1"},
        date_cell="Maret 2022", decile_date=dt.date(2022, 3, 1), csv_delimiter=";"),
}


def rows_of(extract: Extract) -> tuple[list[str], list[list[Any]]]:
    h = extract.headers
    header = [*extract.extra, *h.values()]
    people: list[dict[str, Any]] = []
    serial = 0
    for kk, name, sex, birth, rel, occupation, decile in FAMILIES:
        serial += 1
        people.append({"nik": make_nik(birth_date=birth, sex=sex, serial=serial), "name": name,
                       "sex": extract.sex[sex], "birth": birth.strftime("%d-%m-%Y"), "kk": kk,
                       "relationship": extract.relationship[rel], "kelurahan": extract.kelurahan,
                       "occupation": occupation, "decile": decile, "date": extract.date_cell,
                       "address": "Jl. Basuki Rahmat"})
    template = {**people[0], "kk": KK_E, "name": "ORANG SALAH"}
    for _code, change in BAD:
        serial += 1
        people.append({**template, "nik": make_nik(birth_date=dt.date(1985, 5, 12), sex="M", serial=serial),
                       **change})
    people.append(dict(people[0]))  # the same person twice in one extract
    rows = []
    for n, person in enumerate(people, start=1):
        rows.append([*(v.format(n=n) for v in extract.extra.values()), *(person[f] for f in h)])
    return header, rows


def write_extract(extract: Extract, folder: Path, fmt: str) -> Path:
    header, rows = rows_of(extract)
    nik = header.index(extract.headers["nik"])
    path = folder / f"ekstrak_{extract.name}.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, delimiter=extract.csv_delimiter)
            writer.writerow(header)
            writer.writerows([[SCIENTIFIC if c == "excel" and i == nik else c for i, c in enumerate(r)]
                              for r in rows])
        return path
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    decile = header.index(extract.headers["decile"])
    for row in rows:
        cells: list[Any] = list(row)
        if cells[nik] == "excel":
            cells[nik] = 9271011205850018  # a number cell: Excel already lost its 16th digit
        if cells[decile].isdigit():
            cells[decile] = int(cells[decile])  # deciles are numbers in a spreadsheet
        sheet.append(cells)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=nik + 1, max_col=nik + 1):
        if isinstance(cell.value, str):
            cell.number_format = "@"  # NIK and KK typed as text, as they must be
    book.save(path)
    return path


def run(personas: dict[str, Any], path: Path, **kwargs: Any):  # type: ignore[no-untyped-def]
    result = import_registry(actor=personas["operator_sorong"], path=path, **kwargs)
    assert result.rows == result.imported + result.updated + result.duplicates + result.rejected
    return result


def summary_of(report: Path) -> dict[str, Any]:
    return dict(load_workbook(report, read_only=True)["Ringkasan"].iter_rows(values_only=True))


def reasons_of(report: Path, sheet: str) -> set[tuple[str, str]]:
    rows = load_workbook(report, read_only=True)[sheet].iter_rows(min_row=2, values_only=True)
    return {(row[1], row[2]) for row in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", ["dtsen", "p3ke", "dtks"])
@pytest.mark.parametrize("profile", ["named", "auto"])
def test_a_registry_extract(personas, tmp_path, name, fmt, profile):  # type: ignore[no-untyped-def]
    extract = EXTRACTS[name]
    report = tmp_path / "laporan.xlsx"
    result = run(personas, write_extract(extract, tmp_path, fmt), profile=name if profile == "named" else "auto",
                 extract_date=extract.extract_date, report=report)
    assert result.profile == name
    assert (result.imported, result.rejected, result.duplicates, result.updated) == (
        IMPORTED, REJECTED, DUPLICATES, 0)
    assert (result.excel_damaged, result.warnings, result.deciles_recorded) == (EXCEL_DAMAGED, WARNED, HOUSEHOLDS)
    # Persons, with the extract's codes read.
    assert Person.objects.count() == IMPORTED and Household.objects.count() == HOUSEHOLDS
    yohanes = Person.objects.get(full_name="YOHANES KALAMI")
    assert (yohanes.sex, yohanes.relationship, yohanes.occupation.code) == ("M", "head", "fisher")
    assert yohanes.data_source == name.upper() and yohanes.household.kelurahan.code == "96.71.01.1004"
    maria = Person.objects.get(full_name="MARIA KALAMI")
    assert (maria.sex, maria.relationship, maria.occupation, maria.household_id) == (
        "F", "spouse", None, yohanes.household_id)
    assert Person.objects.get(full_name="RUT MOBALEN").relationship == "parent"
    assert Person.objects.get(full_name="DANIEL MOBALEN").occupation.code == "ojek_driver"
    assert Person.objects.get(full_name="AGUSTINA SAWAKI").occupation is None  # "07": never guessed
    assert Person.objects.get(full_name="OBET MALAK").occupation.code == "farmer"
    # Each household's decile with the registry and the extract's date, in its history.
    deciles = {h.members.order_by("birth_date").first().full_name: (h.welfare_decile, h.decile_source,
                                                                    h.decile_date)
               for h in Household.objects.all()}
    when = extract.decile_date
    assert deciles == {"YOHANES KALAMI": (1, name.upper(), when), "RUT MOBALEN": (2, name.upper(), when),
                       "AGUS SAWAKI": (4, name.upper(), when), "OBET MALAK": (3, name.upper(), when)}
    assert set(HouseholdDecile.objects.values_list("source", "extract_date")) == {(name.upper(), when)}
    # The summary: the profile, every column not used, and each bad row's reason.
    ignored = list(extract.extra)
    assert result.ignored_columns == ignored and result.as_dict()["ignored_columns"] == ignored
    summary = summary_of(report)
    assert summary["Kolom tidak dipakai"] == ", ".join(ignored)
    assert summary["Profil berkas"] == name.upper()
    assert summary["Ditolak: NIK/No KK dirusak Excel"] == EXCEL_DAMAGED
    excel = "nik_numeric" if fmt == "xlsx" else "nik_float"
    expected = {ERRORS[code] for code, _change in BAD[:-1]} | {ERRORS[excel]}
    assert reasons_of(report, "Ditolak") == expected
    assert reasons_of(report, "Peringatan") == {WARNINGS["occupation_unknown"], WARNINGS["decile_invalid"]}
    if profile == "auto":
        assert result.notes[0].startswith(f"Profil berkas: {name.upper()}, dikenali dari kolom")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_jaring_template_is_recognised(personas, tmp_path, fmt):  # type: ignore[no-untyped-def]
    from jaring.registry.importing import TEMPLATE_HEADERS

    headers = [h for h, _note in TEMPLATE_HEADERS]
    rows = [[make_nik(birth_date=dt.date(1980, 5, 12), sex="M", serial=1), "Yohanes Kalami", "Sorong", "12/05/1980",
             "L", KK_A, "Kepala Keluarga", "Remu", "Jl. Basuki Rahmat", "081234567890", "Nelayan", "2",
             "30/06/2025", "Ya", ""],
            [make_nik(birth_date=dt.date(1983, 7, 20), sex="F", serial=2), "Maria Kalami", "Sorong", "20/07/1983",
             "P", KK_A, "Istri", "Remu", "Jl. Basuki Rahmat", "", "Ibu Rumah Tangga", "2", "30/06/2025", "Ya", ""],
            [make_nik(birth_date=dt.date(1990, 1, 1), sex="M", serial=3), "Salah Kelamin", "", "01/01/1990",
             "1", "", "", "Remu", "", "", "", "", "", "", ""]]
    path = tmp_path / f"templat.{fmt}"
    if fmt == "csv":
        pl.DataFrame(rows, schema=headers, orient="row").write_csv(path)
    else:
        book = Workbook()
        book.active.append(headers)
        for row in rows:
            book.active.append(row)
        book.save(path)
    report = tmp_path / "laporan.xlsx"
    result = run(personas, path, report=report)
    assert (result.profile, result.imported, result.rejected, result.ignored_columns) == ("jaring", 2, 1, [])
    assert result.notes[0] == "Profil berkas: templat Jaring."
    assert summary_of(report)["Profil berkas"] == "templat Jaring"
    home = Household.objects.get()
    # Not a registry extract: the decile's source is the import, its date the file's.
    assert (home.welfare_decile, home.decile_source, home.decile_date) == (2, "import", dt.date(2025, 6, 30))
    assert Person.objects.get(full_name="Yohanes Kalami").data_source == "import"


def test_auto_on_an_extract_asks_for_its_date_like_the_named_profile(personas, tmp_path):
    path = write_extract(EXTRACTS["dtsen"], tmp_path, "csv")
    with pytest.raises(ValidationFailed) as info:
        run(personas, path)
    message = str(info.value.message)
    assert info.value.code == "extract_date_required" and "--extract-date" in message
    assert message.startswith("Profil berkas: DTSEN, dikenali dari kolom DESIL_NASIONAL, PEKERJAAN_UTAMA, ID_DTSEN.")
    assert Person.objects.count() == 0


@pytest.mark.parametrize(("headers", "profile"), [
    # DTSEN: DOMAIN §3's names, or its own record id.
    (["NIK", "NAMA", "KELURAHAN", "DESIL_NASIONAL", "PEKERJAAN_UTAMA"], "dtsen"),
    (["nik", "nama", "kelurahan", "desil nasional"], "dtsen"),
    (["ID_DTSEN", "NIK", "NAMA", "DESIL"], "dtsen"),
    # P3KE: its ids win over a decile column named like DTSEN's.
    (["ID Keluarga P3KE", "NIK", "Nama", "Desil Nasional", "Pekerjaan Utama"], "p3ke"),
    (["NIK", "Nama", "Desil Kesejahteraan", "Padan Dukcapil"], "p3ke"),
    (["NIK", "Nama", "Desil Kesejahteraan", "Penerima BPNT", "Penerima BST"], "p3ke"),
    (["IDBDT", "IDARTBDT", "NIK", "NAMA", "DESIL"], "dtks"),
    (["NIK", "NAMA", "BULAN_DATA", "ID_DTKS"], "dtks"),
    # The Jaring template, whole or nearly (a column or two deleted).
    (["NIK", "Nama Lengkap", "Tempat Lahir", "Tanggal Lahir", "Jenis Kelamin", "No KK", "Hubungan", "Kelurahan",
      "Alamat", "No HP", "Pekerjaan", "Desil", "Tanggal Data", "PKH", "Disabilitas"], "jaring"),
    (["NIK", "Nama Lengkap", "Tempat Lahir", "Tanggal Lahir", "Jenis Kelamin", "No KK", "Hubungan", "Kelurahan",
      "Alamat", "No HP", "Pekerjaan", "Desil", "PKH"], "jaring"),
    # Unknown: a facilitator's sheet, one weak clue, nothing at all → the generic mapping.
    (["NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan"], "auto"),
    (["NIK", "Nama", "Tgl Lahir", "Desa/Kelurahan", "Desil Kesejahteraan", "Hub Keluarga"], "auto"),
    (["NIK", "Nama", "Pekerjaan Utama"], "auto"),
    ([], "auto"),
])
def test_auto_detection_by_the_columns_that_characterise_a_profile(headers, profile):  # type: ignore[no-untyped-def]
    assert detect_profile(headers).profile == profile


def test_a_tie_falls_back_to_the_generic_mapping_and_says_so(personas, tmp_path):
    detected = detect_profile(["ID_DTSEN", "IDBDT", "NIK", "NAMA"])
    assert (detected.profile, detected.tied) == ("auto", ("dtsen", "dtks"))
    path = tmp_path / "campur.csv"
    path.write_text("ID_DTSEN;IDBDT;NIK;NAMA;TANGGAL_LAHIR;JENIS_KELAMIN;KELURAHAN;DESIL;NO_KK;STATUS\n"
                    f"1;2;{make_nik(birth_date=dt.date(1980, 5, 12), sex='M', serial=1)};YOHANES;12-05-1980;L;"
                    f"Remu;3;{KK_A};0\n", encoding="utf-8")
    result = run(personas, path)
    assert (result.profile, result.imported) == ("auto", 1)
    assert "DTSEN, DTKS" in result.notes[0] and "pemetaan umum" in result.notes[0]
    assert result.ignored_columns == ["ID_DTSEN", "IDBDT", "STATUS"]
    assert result.as_dict()["profile"] == "auto"
    # Not guessed to be either registry's: the decile is stored as the import's.
    assert Household.objects.get().decile_source == "import"


def test_a_named_profile_is_not_second_guessed(personas, tmp_path):
    path = write_extract(EXTRACTS["dtsen"], tmp_path, "csv")
    result = run(personas, path, profile="p3ke", extract_date=dt.date(2024, 1, 15))
    assert result.profile == "p3ke" and not any(n.startswith("Profil berkas") for n in result.notes)
    assert set(HouseholdDecile.objects.values_list("source", flat=True)) == {"P3KE"}
