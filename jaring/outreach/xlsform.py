"""The household field form (XLSForm) for ODK Collect and KoboToolbox, generated from this file.

``python -m jaring.outreach.xlsform`` rewrites ``forms/jaring_rumah_tangga.xlsx``; a test checks
that the committed workbook still equals what this module builds and that pyxform converts it.
The field names here are the contract with ``submissions.py`` and ``services.py``: the ingest
reads ``persetujuan``, ``kelurahan``, ``no_kk``, the repeat ``anggota`` and its ``nik``…

Codes (relationship, disability, consent basis, occupation, kelurahan) are the registry's own,
so a submission needs no translation table; labels are Indonesian first, English second.
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from typing import Any

FORM_ID = "jaring_rumah_tangga"
FORM_VERSION = "2026112501"
FORM_TITLE = "Pendataan Keluarga Jaring"
FORM_PATH = Path(__file__).resolve().parent / "forms" / f"{FORM_ID}.xlsx"
REGIONS_CSV = Path(__file__).resolve().parent.parent / "regions" / "data" / "regions_kota_sorong.csv"

ID, EN = "Indonesian (id)", "English (en)"
SURVEY_COLUMNS = ["type", "name", f"label::{ID}", f"label::{EN}", f"hint::{ID}", f"hint::{EN}", "required",
                  "constraint", f"constraint_message::{ID}", f"constraint_message::{EN}", "relevant",
                  "appearance", "calculation", "default", "choice_filter", "parameters"]
CHOICE_COLUMNS = ["list_name", "name", f"label::{ID}", f"label::{EN}", "distrik"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "instance_name"]

# NIK rules of DOMAIN §3 as far as XPath can say them (ODK's substr is zero-based, end exclusive):
# 16 digits, province code ≥ 11, day 01–31 or 41–71, month 01–12, serial not 0000.
NIK_CONSTRAINT = (
    "regex(., '^[0-9]{16}$') and number(substr(., 0, 2)) >= 11"
    " and ((number(substr(., 6, 8)) >= 1 and number(substr(., 6, 8)) <= 31)"
    " or (number(substr(., 6, 8)) >= 41 and number(substr(., 6, 8)) <= 71))"
    " and number(substr(., 8, 10)) >= 1 and number(substr(., 8, 10)) <= 12"
    " and substr(., 12, 16) != '0000'"
)
# 'tidak' when the birth date or sex does not match the NIK's DDMMYY (+40 for women): the form
# then asks the worker to check the KTP and confirm; the ingest applies the same rule again.
NIK_MATCH = (
    "if(string-length(${nik}) != 16 or ${tanggal_lahir} = '' or ${jenis_kelamin} = '', 'ya',"
    " if(number(format-date(${tanggal_lahir}, '%e')) = (number(substr(${nik}, 6, 8)) mod 40)"
    " and number(format-date(${tanggal_lahir}, '%n')) = number(substr(${nik}, 8, 10))"
    " and format-date(${tanggal_lahir}, '%y') = substr(${nik}, 10, 12)"
    " and ((${jenis_kelamin} = 'P') = (number(substr(${nik}, 6, 8)) > 40)), 'ya', 'tidak'))"
)

YES_NO = [("ya", "Ya", "Yes"), ("tidak", "Tidak", "No")]
CONSENT_BASIS = [  # registry Person.ConsentBasis (UU 27/2022 art. 20)
    ("consent", "Persetujuan tertulis", "Written consent"),
    ("legal_obligation", "Kewajiban hukum", "Legal obligation"),
    ("public_task", "Tugas pelayanan publik", "Public task"),
]
SEX = [("L", "Laki-laki", "Male"), ("P", "Perempuan", "Female")]
RELATIONSHIP = [  # registry Person.Relationship
    ("head", "Kepala keluarga", "Head of household"),
    ("spouse", "Istri/suami", "Wife/husband"),
    ("child", "Anak", "Child"),
    ("parent", "Orang tua", "Parent"),
    ("in_law", "Menantu/mertua", "In-law"),
    ("grandchild", "Cucu", "Grandchild"),
    ("other_family", "Famili lain", "Other relative"),
    ("other", "Lainnya", "Other"),
]
DISABILITY = [  # registry Person.Disability
    ("none", "Tidak ada", "None"),
    ("physical", "Fisik", "Physical"),
    ("sensory", "Sensorik", "Sensory"),
    ("intellectual", "Intelektual", "Intellectual"),
    ("mental", "Mental", "Mental"),
    ("multiple", "Ganda", "Multiple"),
]
NOT_WORKING = ("tidak_bekerja", "Tidak bekerja / mengurus rumah tangga / sekolah",
               "Not working / homemaker / in school")


def occupations() -> list[tuple[str, str, str]]:
    """The occupation catalogue as the registry's migration ships it (code, Indonesian, English)."""
    module = importlib.import_module("jaring.registry.migrations.0002_occupations")
    return [(code, name, name_en) for code, name, name_en, _transport, _risk in module.OCCUPATIONS]


def kota_sorong() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Districts (code, name) and kelurahan (code, name, district code), current codes."""
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    districts = [(r["code"], r["name"]) for r in rows if r["level"] == "district"]
    kelurahan = [(r["code"], r["name"], r["parent_code"]) for r in rows if r["level"] == "kelurahan"]
    return districts, kelurahan


def _q(type_: str, name: str, label_id: str = "", label_en: str = "", **extra: str) -> dict[str, str]:
    return {"type": type_, "name": name, f"label::{ID}": label_id, f"label::{EN}": label_en, **extra}


def survey_rows() -> list[dict[str, str]]:
    yes = {"required": "yes"}
    hint = f"hint::{ID}", f"hint::{EN}"
    msg = f"constraint_message::{ID}", f"constraint_message::{EN}"
    return [
        _q("start", "start"),
        _q("end", "end"),
        _q("today", "today"),
        _q("deviceid", "deviceid"),
        _q("username", "username"),
        _q("note", "pengantar",
           "Pendataan keluarga untuk perlindungan BPJS Ketenagakerjaan. Jelaskan dulu kepada keluarga: "
           "data dipakai Dinas Sosial untuk mendaftarkan dan membayar iuran, dan tidak dibagikan untuk "
           "keperluan lain.",
           "Household data collection for BPJS Ketenagakerjaan protection. First explain to the family: "
           "the Social Affairs Office uses the data to register them and pay contributions, and shares it "
           "for no other purpose."),
        _q("select_one ya_tidak", "persetujuan",
           "Apakah keluarga SETUJU datanya dicatat dan diproses untuk pendaftaran BPJS Ketenagakerjaan?",
           "Does the family AGREE that its data is recorded and processed for BPJS Ketenagakerjaan "
           "registration?", **yes),
        _q("note", "tanpa_persetujuan",
           "Tanpa persetujuan, jangan catat data apa pun. Simpan formulir ini sebagai selesai.",
           "Without consent, record no data at all. Save this form as finalised.",
           relevant="${persetujuan} = 'tidak'"),
        _q("begin_group", "keluarga", "Keluarga", "Household", relevant="${persetujuan} = 'ya'"),
        _q("select_one dasar_persetujuan", "dasar_persetujuan", "Dasar pemrosesan data",
           "Legal basis for processing", default="consent", **yes),
        _q("select_one distrik", "distrik", "Distrik", "District", **yes),
        _q("select_one kelurahan", "kelurahan", "Kelurahan", "Kelurahan (urban village)",
           choice_filter="distrik=${distrik}", **yes),
        _q("text", "alamat", "Alamat (jalan, RT/RW, patokan)", "Address (street, RT/RW, landmark)", **yes),
        _q("geopoint", "lokasi", "Titik GPS rumah", "GPS point of the house",
           **{hint[0]: "Ambil di depan rumah; boleh dilewati bila sinyal GPS tidak ada.",
              hint[1]: "Take it in front of the house; may be skipped without a GPS fix."}),
        _q("text", "no_kk", "Nomor Kartu Keluarga (KK)", "Family card (KK) number", appearance="numbers",
           constraint="regex(., '^[0-9]{16}$') and substr(., 12, 16) != '0000'",
           **{msg[0]: "Nomor KK harus 16 angka dan 4 angka terakhir bukan 0000.",
              msg[1]: "The KK number must be 16 digits and must not end in 0000."}, **yes),
        _q("integer", "desil", "Desil kesejahteraan (P3KE/DTSEN), bila diketahui",
           "Welfare decile (P3KE/DTSEN), if known", constraint=". >= 1 and . <= 10",
           **{msg[0]: "Desil 1 sampai 10.", msg[1]: "Decile 1 to 10."}),
        _q("select_one ya_tidak", "penerima_pkh", "Penerima PKH?", "PKH beneficiary?", **yes),
        _q("image", "foto_ktp", "Foto KTP kepala keluarga (boleh dilewati)",
           "Photo of the head of household's KTP (optional)", parameters="max-pixels=1024"),
        _q("begin_repeat", "anggota", "Anggota keluarga", "Household member"),
        _q("text", "nik", "NIK (16 angka, dari KTP atau KK)", "NIK (16 digits, from the KTP or KK)",
           appearance="numbers", constraint=NIK_CONSTRAINT,
           **{msg[0]: "NIK harus 16 angka; angka 7–8 tanggal lahir (01–31, atau 41–71 untuk perempuan), "
                      "angka 9–10 bulan (01–12), 4 angka terakhir bukan 0000.",
              msg[1]: "The NIK must be 16 digits; digits 7–8 the birth day (01–31, or 41–71 for women), "
                      "digits 9–10 the month (01–12), the last 4 not 0000."}, **yes),
        _q("text", "nama", "Nama lengkap (seperti di KTP/KK)", "Full name (as on the KTP/KK)", **yes),
        _q("text", "tempat_lahir", "Tempat lahir", "Place of birth"),
        _q("date", "tanggal_lahir", "Tanggal lahir", "Date of birth", constraint=". <= today()",
           **{msg[0]: "Tanggal lahir tidak boleh di masa depan.", msg[1]: "The birth date cannot be in the future."},
           **yes),
        _q("select_one jenis_kelamin", "jenis_kelamin", "Jenis kelamin", "Sex", **yes),
        _q("calculate", "nik_cocok", calculation=NIK_MATCH),
        _q("note", "nik_tidak_cocok",
           "Tanggal lahir atau jenis kelamin tidak cocok dengan NIK. Periksa KTP/KK sekali lagi.",
           "The birth date or sex does not match the NIK. Check the KTP/KK once more.",
           relevant="${nik_cocok} = 'tidak'"),
        _q("select_one ya_tidak", "konfirmasi_nik",
           "Sudah diperiksa di KTP/KK dan datanya memang begitu?",
           "Checked on the KTP/KK and the data really is like this?",
           relevant="${nik_cocok} = 'tidak'", **yes),
        _q("select_one hubungan", "hubungan", "Hubungan dengan kepala keluarga", "Relationship to the head",
           **yes),
        _q("select_one pekerjaan", "pekerjaan", "Pekerjaan utama", "Main occupation"),
        _q("text", "no_hp", "Nomor HP", "Mobile number", appearance="numbers",
           constraint="regex(., '^[0-9]{8,15}$')",
           **{msg[0]: "Nomor HP 8–15 angka.", msg[1]: "Mobile number: 8–15 digits."}),
        _q("select_one disabilitas", "disabilitas", "Disabilitas", "Disability", default="none", **yes),
        _q("end_repeat", "anggota"),
        _q("end_group", "keluarga"),
    ]


def choice_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(list_name: str, items: list[tuple[str, str, str]], **extra: str) -> None:
        rows.extend({"list_name": list_name, "name": code, f"label::{ID}": label_id, f"label::{EN}": label_en,
                     **extra} for code, label_id, label_en in items)

    districts, kelurahan = kota_sorong()
    add("ya_tidak", YES_NO)
    add("dasar_persetujuan", CONSENT_BASIS)
    add("distrik", [(code, name, name) for code, name in districts])
    rows.extend({"list_name": "kelurahan", "name": code, f"label::{ID}": name, f"label::{EN}": name,
                 "distrik": parent} for code, name, parent in kelurahan)
    add("jenis_kelamin", SEX)
    add("hubungan", RELATIONSHIP)
    add("pekerjaan", [*occupations(), NOT_WORKING])
    add("disabilitas", DISABILITY)
    return rows


def settings_rows() -> list[dict[str, str]]:
    return [{"form_title": FORM_TITLE, "form_id": FORM_ID, "version": FORM_VERSION, "default_language": ID,
             "instance_name": "concat('Keluarga ', indexed-repeat(${nama}, ${anggota}, 1))"}]


def sheets() -> dict[str, list[list[Any]]]:
    """Sheet name → rows (header first), exactly as written to the workbook."""
    def table(columns: list[str], rows: list[dict[str, str]]) -> list[list[Any]]:
        return [list(columns), *[[row.get(c) or None for c in columns] for row in rows]]

    return {"survey": table(SURVEY_COLUMNS, survey_rows()), "choices": table(CHOICE_COLUMNS, choice_rows()),
            "settings": table(SETTINGS_COLUMNS, settings_rows())}


def write_workbook(path: Path = FORM_PATH) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets().items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def read_workbook(path: Path = FORM_PATH) -> dict[str, list[list[Any]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    finally:
        book.close()


if __name__ == "__main__":
    print(write_workbook())
