"""Importing registry files (P3KE/DTKS extracts, facilitators' sheets, Jaring's template).

The pipeline: read every cell as text → map headers through a profile → validate every column
at once with polars (NIK and KK rules, dates in the forms people write them, sex, kelurahan by
code or name, occupation) → deduplicate within the file and against the registry (blind index)
→ in one transaction: create missing households, insert new persons through the bulk loader,
fill only the *empty* fields of persons already registered → an error report people can open.

Every row ends as imported, updated, duplicate or rejected (with its reason); the counts add up
to the file's rows. Re-importing the same file imports nothing. The whole import is one
transaction: killed half-way, nothing of it is kept, and running it again equals a clean run
(decision 0011).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.audit import audit_log
from jaring.core.bulk import bulk_insert, ids_by_key
from jaring.core.confirm import with_comment
from jaring.core.crypto import cipher
from jaring.core.errors import JaringError, PermissionDenied, ValidationFailed
from jaring.core.jobs import JobCancelled, Progress, job_begin, job_finish
from jaring.core.models import Job
from jaring.core.sandbox import run_isolated
from jaring.core.services import job_create
from jaring.core.tables import (
    CONTROL,
    ROW,
    XLSX_SUFFIXES,
    TableRead,
    header_key,
    quote_list,
    read_table,
    safe_cell,
    save_workbook,
)
from jaring.regions.models import Region
from jaring.regions.selectors import region_lookup
from jaring.registry.identity import (
    FEMALE_DAY_OFFSET,
    KK_RULES,
    NIK_RULES,
    SEPARATORS,
    kk_error,
    mask_identifier,
    nik_columns,
    nik_error,
)
from jaring.registry.models import DataSource, Occupation
from jaring.registry.name_words import last_person_id, name_words_fill
from jaring.registry.names import last_word_first, person_name_key
from jaring.registry.services import household_deciles_record, persons_fill_from_import

# Canonical field → the headers it is known by (compared with header_key: case, spaces and
# punctuation ignored).
SYNONYMS: dict[str, list[str]] = {
    "nik": ["nik", "no nik", "nomor nik", "nomor induk kependudukan", "nik anggota", "nik art"],
    "full_name": ["nama", "nama lengkap", "full name", "full_name", "nama anggota", "nama art", "nama peserta"],
    "birth_place": ["tempat lahir", "tmp lahir", "tmpt lahir", "birth place", "birth_place"],
    "birth_date": ["tanggal lahir", "tgl lahir", "tgl. lahir", "birth date", "birth_date", "tanggal_lahir"],
    "sex": ["jenis kelamin", "jk", "l/p", "sex", "kelamin", "gender"],
    "kk_number": ["no kk", "nomor kk", "no. kk", "kk", "no kartu keluarga", "nomor kartu keluarga", "kk_number"],
    "relationship": ["hubungan", "hub keluarga", "hubungan keluarga", "status dalam keluarga",
                     "hubungan dengan kepala keluarga", "hubungan dengan kk", "shdk", "relationship"],
    "kelurahan": ["kelurahan", "kelurahan/desa", "desa/kelurahan", "desa", "kode kelurahan", "kode wilayah",
                  "kelurahan_code", "kode desa"],
    "address": ["alamat", "address", "alamat lengkap"],
    "phone": ["no hp", "hp", "nomor hp", "telepon", "no telp", "no telepon", "phone", "nomor telepon"],
    "occupation": ["pekerjaan", "occupation", "jenis pekerjaan", "mata pencaharian"],
    "decile": ["desil", "desil kesejahteraan", "peringkat kesejahteraan", "decile", "welfare decile"],
    "pkh": ["pkh", "penerima pkh", "status pkh", "kpm pkh"],
    "disability": ["disabilitas", "jenis disabilitas", "disability"],
    "extract_date": ["tanggal data", "tanggal ekstrak", "extract date", "extract_date"],
}
REQUIRED = ("nik", "full_name", "birth_date", "kelurahan")
PROFILES = ("auto", "jaring", "dtsen", "p3ke", "dtks")

# The poverty registries' extracts (DOMAIN §3): DTSEN (Inpres 4/2025, which merged DTKS, Regsosek and
# P3KE), and the older P3KE and DTKS. Each is data, not code: the headers it adds to SYNONYMS (tried
# first), how it codes sex and the relationship to the head of the family, its occupation codes, and
# the source its deciles are stored with. DOMAIN §3 confirms DESIL_NASIONAL, PEKERJAAN_UTAMA and sex
# coded 1/2 (1 = male) besides L/P; every other header or code below is [UNVERIFIED] — taken from the
# BPS household-survey convention — and must be checked against a real extract before relying on it.
SEX_CODES = {"1": "M", "2": "F"}  # DOMAIN §3: "Extracts code sex as 1/2 (1 = male) as often as L/P"
# [UNVERIFIED] BPS's "hubungan dengan kepala rumah tangga" codes (Susenas/Regsosek); check an extract.
RELATIONSHIP_CODES = {"1": "head", "2": "spouse", "3": "child", "4": "in_law", "5": "grandchild", "6": "parent",
                      "7": "other_family", "8": "other", "9": "other"}


@dataclass(frozen=True)
class RegistryProfile:
    source: str  # DataSource: what each decile (and each new record) is stored with
    headers: dict[str, list[str]]  # canonical field → the extract's headers, tried before SYNONYMS
    sex_codes: dict[str, str] = field(default_factory=lambda: dict(SEX_CODES))
    relationship_codes: dict[str, str] = field(default_factory=lambda: dict(RELATIONSHIP_CODES))
    # Occupation code → the catalogue's code (Occupation.code). [UNVERIFIED] No code list of these
    # extracts is known here: empty, so a coded occupation is a warning ("tidak dikenal"), never a guess;
    # written-out occupations (PETANI/PEKEBUN, NELAYAN/PERIKANAN…) go through the catalogue's words.
    occupation_codes: dict[str, str] = field(default_factory=dict)
    # ``--profile auto``: the headers that tell this extract from the others, with their weight (a
    # column named after the registry, such as its own record id, outweighs the names another registry's
    # extract may share: DESIL_NASIONAL and PEKERJAAN_UTAMA together).
    markers: dict[str, int] = field(default_factory=dict)


REGISTRY_PROFILES = {
    "dtsen": RegistryProfile(source=DataSource.DTSEN, headers={
        "decile": ["desil nasional"],  # DOMAIN §3
        "occupation": ["pekerjaan utama"],  # DOMAIN §3
        # [UNVERIFIED] the rest
        "nik": ["nik art", "nik"], "kk_number": ["no kk", "nokk", "nomor kk"], "full_name": ["nama art", "nama"],
        "sex": ["jenis kelamin", "jk"], "birth_date": ["tanggal lahir", "tgl lahir"],
        "relationship": ["hubungan dengan kepala keluarga", "hub krt", "hubungan dengan krt", "shdk"],
        "kelurahan": ["kode desa", "kode kelurahan", "nama desa", "kelurahan"],
        "extract_date": ["tanggal data", "periode data", "tgl data", "tanggal pemutakhiran"]},
        # DOMAIN §3 names the first two; [UNVERIFIED] the record ids.
        markers={"desil nasional": 2, "pekerjaan utama": 1, "id dtsen": 4, "id keluarga dtsen": 4,
                 "id art dtsen": 4}),
    "p3ke": RegistryProfile(source=DataSource.P3KE, headers={
        # [UNVERIFIED] P3KE's own names; its decile column is named like DTSEN's in some extracts.
        "decile": ["desil kesejahteraan", "desil nasional", "desil"], "occupation": ["pekerjaan utama", "pekerjaan"],
        "relationship": ["hubungan dengan kepala keluarga", "hub krt"],
        "kelurahan": ["kode desa", "kode kelurahan", "desa kelurahan"],
        "extract_date": ["tanggal data", "periode data", "tgl data"]},
        # [UNVERIFIED] all of them. "desil nasional" is no marker (DTSEN's name: it says DTSEN first), and a
        # decile column alone is not enough (a facilitator's sheet may have "Desil Kesejahteraan" too).
        markers={"id keluarga p3ke": 4, "id anggota keluarga p3ke": 4, "id p3ke": 4, "padan dukcapil": 2,
                 "desil kesejahteraan": 1, "penerima bpnt": 1, "penerima bpum": 1, "penerima bst": 1}),
    "dtks": RegistryProfile(source=DataSource.DTKS, headers={
        # [UNVERIFIED]
        "decile": ["desil", "desil nasional"], "occupation": ["pekerjaan utama", "pekerjaan"],
        "relationship": ["hubungan dengan kepala keluarga", "hub keluarga"],
        "kelurahan": ["kode desa", "kode kelurahan", "desa kelurahan"],
        "extract_date": ["tanggal data", "periode data", "tgl data", "bulan data"]},
        # [UNVERIFIED] BDT's record ids (idbdt, idartbdt) and its "bulan data"; a bare "desil" is no
        # marker (the Jaring template has one too).
        markers={"id dtks": 4, "idbdt": 4, "idartbdt": 4, "bulan data": 1}),
}
MONTHS = {"januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
          "agustus": 8, "september": 9, "oktober": 10, "nopember": 11, "november": 11, "desember": 12,
          "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "agu": 8, "agt": 8, "ags": 8,
          "sep": 9, "okt": 10, "nov": 11, "nop": 11, "des": 12}
MALE = {"l", "lk", "laki-laki", "laki laki", "lakilaki", "m", "male", "pria"}
FEMALE = {"p", "pr", "perempuan", "wanita", "f", "female"}
RELATIONSHIPS = {"kepala keluarga": "head", "kepala rumah tangga": "head", "kk": "head", "head": "head",
                 "istri": "spouse", "suami": "spouse", "istri/suami": "spouse", "suami/istri": "spouse",
                 "spouse": "spouse", "anak": "child", "child": "child", "orang tua": "parent", "orangtua": "parent",
                 "mertua": "in_law", "menantu": "in_law", "cucu": "grandchild", "famili lain": "other_family",
                 "lainnya": "other"}
NOT_WORKING = {"ibu rumah tangga", "irt", "mengurus rumah tangga", "pelajar", "mahasiswa", "pelajar/mahasiswa",
               "tidak bekerja", "belum bekerja", "belum/tidak bekerja", "pensiunan", "-", "tidak ada",
               # the KTP's labels, as person_name_key writes them
               "belum tidak bekerja", "pelajar mahasiswa"}
OCCUPATION_WORDS = {"ojek": "ojek_driver", "tukang ojek": "ojek_driver", "ojol": "online_ojek_driver",
                    "ojek online": "online_ojek_driver", "sopir": "driver", "supir": "driver",
                    "pengemudi": "driver", "kurir": "courier", "nelayan": "fisher", "petani": "farmer",
                    "pekebun": "farmer", "pedagang": "market_trader", "pedagang pasar": "market_trader",
                    "mama papua": "mama_papua_trader", "penjual sayur": "vegetable_seller",
                    "penjual pinang": "betel_nut_seller", "buruh": "day_labourer", "buruh harian": "day_labourer",
                    "buruh harian lepas": "day_labourer", "buruh pelabuhan": "port_labourer",
                    "tukang bangunan": "construction_worker", "tukang": "construction_worker",
                    "juru parkir": "parking_attendant", "tukang parkir": "parking_attendant",
                    "motoris": "speedboat_operator", "honorer": "honorary_staff", "tenaga honorer": "honorary_staff",
                    "pengrajin": "craftsperson", "pembantu rumah tangga": "household_worker",
                    "pekerja rumah tangga": "household_worker",
                    # the KTP's occupation labels (PETANI/PEKEBUN…), as person_name_key writes them
                    "petani pekebun": "farmer", "nelayan perikanan": "fisher"}
YES = frozenset({"ya", "y", "1", "true", "penerima", "pkh"})

ERRORS = {
    # The NIK and KK rules and their reasons are registry.identity's (one copy for every way in).
    **{rule.code: ("NIK", rule.message) for rule in NIK_RULES},
    **{rule.code: ("No KK", rule.message) for rule in KK_RULES},
    # A NIK or KK cell Excel stored as a number (the cell's type, read from the XLSX): Excel keeps
    # 15 significant digits, so the 16th is already lost; never "repaired" (DOMAIN §3).
    "nik_numeric": ("NIK", gettext_noop("NIK tersimpan sebagai angka di Excel, yang hanya menyimpan 15 digit, "
                                        "sehingga digit ke-16 hilang. Format kolom NIK sebagai Teks, lalu ketik "
                                        "ulang NIK dari KTP/KK.")),
    "kk_numeric": ("No KK", gettext_noop("Nomor KK tersimpan sebagai angka di Excel, yang hanya menyimpan 15 digit, "
                                         "sehingga digit ke-16 hilang. Format kolom No KK sebagai Teks, lalu ketik "
                                         "ulang nomornya dari kartu keluarga.")),
    "name_required": ("Nama", "Nama lengkap wajib diisi."),
    "name_too_long": ("Nama", "Nama terlalu panjang (maksimal 150 karakter)."),
    "birth_date_required": ("Tanggal lahir", "Tanggal lahir wajib diisi."),
    "birth_date_invalid": ("Tanggal lahir", "Tanggal lahir tidak bisa dibaca (pakai dd/mm/yyyy atau yyyy-mm-dd)."),
    "birth_date_future": ("Tanggal lahir", "Tanggal lahir di masa depan."),
    "sex_invalid": ("Jenis kelamin", "Jenis kelamin harus L atau P (atau 1/2 pada ekstrak DTSEN, P3KE, DTKS)."),
    "kelurahan_required": ("Kelurahan", "Kelurahan wajib diisi."),
    "kelurahan_unknown": ("Kelurahan", "Kelurahan tidak dikenal (kode atau nama)."),
    "kelurahan_outside": ("Kelurahan", "Kelurahan di luar wilayah tugas Anda."),
    "person_outside": ("NIK", "NIK ini terdaftar di kelurahan di luar wilayah tugas Anda; baris ini tidak mengubah "
                              "apa pun. Minta operator Dinas Sosial memeriksanya."),
    "household_outside": ("No KK", "Nomor KK ini terdaftar di kelurahan di luar wilayah tugas Anda; baris ini tidak "
                                   "mengubah apa pun. Minta operator Dinas Sosial memeriksanya."),
}
WARNINGS = {
    "nik_birth_date_mismatch": ("Tanggal lahir", "Tanggal lahir tidak cocok dengan NIK; periksa KTP."),
    "nik_sex_mismatch": ("Jenis kelamin", "Jenis kelamin tidak cocok dengan NIK; periksa KTP."),
    "sex_from_nik": ("Jenis kelamin", "Jenis kelamin kosong; diambil dari NIK."),
    "occupation_unknown": ("Pekerjaan", "Pekerjaan tidak dikenal; dikosongkan."),
    "phone_invalid": ("No HP", "Nomor HP tidak sah; dikosongkan."),
    "decile_invalid": ("Desil", "Desil harus 1–10; dikosongkan."),
    "extract_date_invalid": ("Tanggal data", gettext_noop("Tanggal data ekstrak tidak bisa dibaca atau di masa "
                                                          "depan; desil baris ini tidak disimpan.")),
    "control_chars": ("", "Karakter kontrol tak terlihat (mis. NUL) dihapus dari baris ini; periksa isinya."),
}
DUPLICATE_REASONS = {
    "in_file": "NIK sama dengan baris lain di berkas ini; baris pertama yang dipakai.",
    "in_file_other_name": ("NIK sama dengan baris lain di berkas ini, tetapi NAMANYA BERBEDA — "
                           "periksa (tidak digabung)."),
    "registered": "Sudah terdaftar; tidak ada kolom kosong yang perlu diisi.",
}


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    warnings: int = 0
    report: str | None = None
    dry_run: bool = False
    seconds: float = 0.0
    job_id: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    # The file's columns the importer does not use: listed, never dropped without a word.
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the file was read (e.g. its encoding)
    # Rows whose NIK or KK Excel damaged: a number cell, or scientific notation (3.27E+15).
    excel_damaged: int = 0
    deciles_recorded: int = 0  # households' deciles added to their history (source and extract date)
    # The profile the file was read with: the one asked for, or what ``auto`` recognised (dtsen, p3ke,
    # dtks, jaring) or "auto" for the generic mapping.
    profile: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rows": self.rows, "imported": self.imported, "updated": self.updated,
                                "duplicates": self.duplicates, "rejected": self.rejected, "warnings": self.warnings,
                                "report": self.report}
        if self.profile:
            data["profile"] = self.profile
        if self.notes:
            data["notes"] = self.notes
        if self.excel_damaged:
            data["excel_damaged"] = self.excel_damaged
        if self.ignored_columns:
            data["ignored_columns"] = self.ignored_columns
        if self.deciles_recorded:
            data["deciles_recorded"] = self.deciles_recorded
        return data


@dataclass(frozen=True)
class ExternalProfile:
    """A file format read by a higher floor (Kobo and ODK submissions: the outreach app).

    ``detect(path)`` says whether ``--profile auto`` should hand the file over; it runs in the
    reading worker (``core.sandbox``), so it must live in a module that imports no models. ``run``
    takes the same keyword arguments as ``import_registry`` (actor, path, dry_run, report,
    progress, job), reads the file in a worker too, and returns an ``ImportResult`` whose counts
    add up like any other import's.
    """

    detect: Callable[[Path], bool]
    run: Callable[..., ImportResult]


external_profiles: dict[str, ExternalProfile] = {}


def register_profile(name: str, profile: ExternalProfile) -> ExternalProfile:
    external_profiles[name] = profile
    return profile


def profile_names() -> tuple[str, ...]:
    return (*PROFILES, *sorted(external_profiles))


def _detectors(profile: str) -> dict[str, str]:
    """``--profile auto``: the external profiles' detectors, for the reading worker to run."""
    if profile != "auto":
        return {}
    return {name: f"{p.detect.__module__}:{p.detect.__qualname__}" for name, p in external_profiles.items()}


def map_columns(frame: pl.DataFrame, profile: str) -> dict[str, str]:
    """Canonical field → the file's header, through the synonyms (and the Jaring template's names)."""
    if profile not in PROFILES:
        raise ValidationFailed(_("Profil tidak dikenal: %(p)s") % {"p": profile}, fields={"profile": [profile]})
    by_key = {header_key(c): c for c in frame.columns if c not in (ROW, CONTROL)}
    found: dict[str, str] = {}
    extra = REGISTRY_PROFILES[profile].headers if profile in REGISTRY_PROFILES else {}
    for canonical, names in SYNONYMS.items():
        for name in [*extra.get(canonical, []), canonical, *names]:
            if header_key(name) in by_key:
                found[canonical] = by_key[header_key(name)]
                break
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise ValidationFailed(
            _("Kolom wajib tidak ditemukan: %(cols)s. Judul kolom di berkas: %(headers)s") % {
                "cols": ", ".join(missing),
                "headers": quote_list([c for c in frame.columns if c not in (ROW, CONTROL)], limit=30, most=15)},
            fields={"columns": missing}, code="missing_columns")
    return found


PROFILE_NAMES = {"auto": "umum", "jaring": "templat Jaring", "": "-"}  # in the report; the others upper-case
DETECT_MIN_SCORE = 2  # one weak clue (a decile column a facilitator's sheet may have too) names no registry
TEMPLATE_SHARE = 0.8  # the Jaring template: most of its headers, spelled its way


@dataclass(frozen=True)
class Detected:
    """What ``--profile auto`` made of a file's header row."""

    profile: str  # dtsen, p3ke, dtks, jaring, or "auto": the generic mapping (SYNONYMS)
    columns: tuple[str, ...] = ()  # the file's headers that decided
    tied: tuple[str, ...] = ()  # registry profiles that matched equally well (then: the generic mapping)

    def note(self) -> str:
        """The summary's line: which profile was used, and why."""
        if self.profile in REGISTRY_PROFILES:
            return _("Profil berkas: %(profile)s, dikenali dari kolom %(cols)s.") % {
                "profile": self.profile.upper(), "cols": ", ".join(self.columns)}
        if self.profile == "jaring":
            return _("Profil berkas: templat Jaring.")
        if self.tied:
            return _("Profil berkas tidak bisa dipastikan (%(profiles)s sama cocoknya): dibaca dengan pemetaan umum, "
                     "desil disimpan dengan sumber \"impor\". Bila berkas ini ekstrak salah satunya, impor ulang "
                     "dengan memilih profilnya.") % {"profiles": ", ".join(p.upper() for p in self.tied)}
        return _("Profil berkas: umum (judul kolom dikenali satu per satu).")


def detect_profile(headers: list[str]) -> Detected:
    """``--profile auto``: the registry extract whose marker headers weigh most (at least
    DETECT_MIN_SCORE, and alone at the top), else the Jaring template when the file has most of its
    headers, else the generic mapping. A tie is never guessed."""
    by_key = {header_key(h): h for h in headers if h not in (ROW, CONTROL, "_control")}
    scores: dict[str, tuple[int, tuple[str, ...]]] = {}
    for name, registry_profile in REGISTRY_PROFILES.items():
        hits = [(by_key[header_key(m)], weight) for m, weight in registry_profile.markers.items()
                if header_key(m) in by_key]
        scores[name] = (sum(weight for _h, weight in hits), tuple(h for h, _w in hits))
    best = max(score for score, _hits in scores.values())
    leaders = tuple(name for name, (score, _hits) in scores.items() if score == best)
    if best >= DETECT_MIN_SCORE:
        if len(leaders) == 1:
            return Detected(leaders[0], scores[leaders[0]][1])
        return Detected("auto", tied=leaders)
    template = tuple(by_key[header_key(h)] for h, _note in TEMPLATE_HEADERS if header_key(h) in by_key)
    if len(template) >= TEMPLATE_SHARE * len(TEMPLATE_HEADERS):
        return Detected("jaring", template)
    return Detected("auto")


def ignored_columns(frame: pl.DataFrame, columns: dict[str, str]) -> list[str]:
    """The file's headers no field was mapped to, in the file's order."""
    used = set(columns.values())
    return [c for c in frame.columns if c not in used and c not in (ROW, CONTROL, "_control")]


def _text(frame: pl.DataFrame, columns: dict[str, str], name: str) -> pl.Expr:
    if name not in columns:
        return pl.lit("", dtype=pl.Utf8)
    return pl.col(columns[name]).fill_null("").str.strip_chars()


def _dashed(raw: pl.Expr) -> pl.Expr:
    """Month names as numbers, separators as dashes: ``14 Agustus 1990`` → ``14-08-1990``."""
    lowered = raw.str.to_lowercase()
    for name, number in sorted(MONTHS.items(), key=lambda kv: -len(kv[0])):
        lowered = lowered.str.replace(rf"\b{name}\b", f"{number:02d}")
    return lowered.str.replace_all(r"[\s./]+", "-")


def _parse_dates(raw: pl.Expr) -> pl.Expr:
    spaced = _dashed(raw)
    serial = pl.when(raw.str.contains(r"^[0-9]{4,5}(\.0+)?$")).then(
        pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=raw.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
    ).otherwise(None).cast(pl.Date)
    return pl.coalesce(
        spaced.str.strptime(pl.Date, "%d-%m-%Y", strict=False),
        spaced.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        serial,
    )


def _parse_extract_dates(raw: pl.Expr) -> pl.Expr:
    """An extract's date, which may be only its month (``Maret 2022``, ``03/2022``, ``2022-03``): then the
    month's first day, the oldest the data can be, so it never weighs as fresher than it is."""
    dashed = _dashed(raw)
    return pl.coalesce(_parse_dates(raw),
                       (pl.lit("01-") + dashed).str.strptime(pl.Date, "%d-%m-%Y", strict=False),
                       (dashed + pl.lit("-01")).str.strptime(pl.Date, "%Y-%m-%d", strict=False))


def validate(frame: pl.DataFrame, columns: dict[str, str], today: dt.date, profile: str = "auto") -> pl.DataFrame:
    """Every rule at once; adds clean columns and ``_error`` / ``_warn`` (codes, first that applies)."""
    kk_raw = _text(frame, columns, "kk_number")
    kk = kk_raw.str.replace_all(SEPARATORS, "")
    out = frame.with_columns(
        # _nik, _floatish, _day, _month, _real_day, _max_day: registry.identity's NIK rules, vectorised.
        *nik_columns(_text(frame, columns, "nik")),
        _text(frame, columns, "full_name").alias("_name"),
        _parse_dates(_text(frame, columns, "birth_date")).alias("_birth"),
        _text(frame, columns, "birth_date").alias("_birth_raw"),
        _text(frame, columns, "sex").str.to_lowercase().alias("_sex_raw"),
        kk.alias("_kk"),
        kk_raw.alias("_kk_raw"),
    )
    codes = REGISTRY_PROFILES[profile].sex_codes if profile in REGISTRY_PROFILES else {}
    male = [*MALE, *[k for k, v in codes.items() if v == "M"]]
    female = [*FEMALE, *[k for k, v in codes.items() if v == "F"]]
    sex = (pl.when(pl.col("_sex_raw").is_in(male)).then(pl.lit("M"))
           .when(pl.col("_sex_raw").is_in(female)).then(pl.lit("F"))
           .when(pl.col("_sex_raw") == "")
           .then(pl.when(pl.col("_day") > FEMALE_DAY_OFFSET).then(pl.lit("F")).otherwise(pl.lit("M")))
           .otherwise(pl.lit(None)))
    out = out.with_columns(sex.alias("_sex"))
    # One error per field (the first rule it breaks), so the report names every field to fix.
    errors = [
        nik_error(),
        _first_of(
            (pl.col("_name") == "", "name_required"),
            (pl.col("_name").str.len_chars() > 150, "name_too_long")),
        _first_of(
            (pl.col("_birth_raw") == "", "birth_date_required"),
            (pl.col("_birth").is_null(), "birth_date_invalid"),
            (pl.col("_birth") > pl.lit(today), "birth_date_future")),
        _first_of((pl.col("_sex").is_null(), "sex_invalid")),
        kk_error(pl.col("_kk_raw")),
    ]
    birth_matches = ((pl.col("_birth").dt.day() == pl.col("_real_day"))
                     & (pl.col("_birth").dt.month() == pl.col("_month"))
                     & ((pl.col("_birth").dt.year() % 100) == pl.col("_nik").str.slice(10, 2).cast(pl.Int32,
                                                                                                   strict=False)))
    warn = (
        pl.when(~birth_matches).then(pl.lit("nik_birth_date_mismatch"))
        .when((pl.col("_sex_raw") != "") & ((pl.col("_sex") == "F") != (pl.col("_day") > FEMALE_DAY_OFFSET)))
        .then(pl.lit("nik_sex_mismatch"))
        .when(pl.col("_sex_raw") == "").then(pl.lit("sex_from_nik"))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
    )
    return out.with_columns(pl.coalesce(errors).alias("_error"),
                            pl.concat_list(errors).list.drop_nulls().alias("_errors"), warn.alias("_warn"))


EXCEL_DAMAGE = ("nik_numeric", "kk_numeric", "nik_float", "kk_float")


def _reject_numeric_cells(frame: pl.DataFrame, path: Path, sheet: str | None, columns: dict[str, str],
                          say: Progress) -> pl.DataFrame:
    """Reject the rows whose NIK or KK cell the XLSX stores as a number (its type, read in a worker:
    ``registry.excel_cells``); that reason comes first, before the NIK's own rules."""
    fields: dict[str, str] = {f: columns[f] for f in ("nik", "kk_number") if f in columns}
    if not fields:
        return frame
    found = run_isolated("jaring.registry.excel_cells:numeric_rows_here", str(path), sheet, list(fields.values()),
                         preflight=(path, sheet), check=getattr(say, "check_cancel", None))
    for name, code in (("nik", "nik_numeric"), ("kk_number", "kk_numeric")):
        rows = found.get(fields.get(name, "")) or []
        if not rows:
            continue
        hit = pl.col(ROW).is_in(rows)
        frame = frame.with_columns(
            pl.when(hit).then(pl.lit(code)).otherwise(pl.col("_error")).alias("_error"),
            pl.when(hit).then(pl.concat_list(pl.lit(code), pl.col("_errors"))).otherwise(pl.col("_errors"))
            .alias("_errors"))
    return frame


def _first_of(*rules: tuple[pl.Expr, str]) -> pl.Expr:
    """The code of the first rule that holds, or null."""
    (condition, code), *rest = rules
    chain: pl.expr.whenthen.Then | pl.expr.whenthen.ChainedThen = pl.when(condition).then(pl.lit(code))
    for condition, code in rest:
        chain = chain.when(condition).then(pl.lit(code))
    return chain.otherwise(pl.lit(None, dtype=pl.Utf8))


def _record_deciles(firsts: pl.DataFrame, source: str, c: Any, job: Job) -> int:
    """Each household's decile from this file (the first row of its KK that has one) into its
    history, with the source and the extract's date; the household keeps the newest."""
    rows = (firsts.filter((pl.col("_kk") != "") & pl.col("_decile").is_not_null())
            .unique(subset="_kk", keep="first", maintain_order=True).select("_kk", "_decile", "_decile_date"))
    if rows.is_empty():
        return 0
    index_of = {kk: c.blind_index(kk, kind="kk") for kk in rows["_kk"].to_list()}
    ids = ids_by_key("registry_household", "kk_index", list(index_of.values()))
    entries = [(ids[index_of[kk]], int(decile), source, date) for kk, decile, date in rows.iter_rows()
               if index_of[kk] in ids]
    return household_deciles_record(entries, job.pk)["recorded"]


def _occupation_map(values: list[str], extra_codes: dict[str, str] | None = None,
                    ) -> tuple[dict[str, int | None], set[str]]:
    occupations = list(Occupation.objects.all())
    by_key = {person_name_key(o.code.replace("_", " ")): o for o in occupations}
    by_key.update({person_name_key(o.name): o for o in occupations})
    by_key.update({person_name_key(o.name_en): o for o in occupations})
    codes = {o.code: o for o in occupations}
    mapping: dict[str, int | None] = {}
    unknown: set[str] = set()
    for value in values:
        key = person_name_key(value)
        if not key or key in NOT_WORKING:
            mapping[value] = None
            continue
        occupation = (codes.get((extra_codes or {}).get(value.strip(), "")) or codes.get(value) or by_key.get(key)
                      or codes.get(OCCUPATION_WORDS.get(key, "")))
        if occupation is None:
            unknown.add(value)
        mapping[value] = occupation.pk if occupation else None
    return mapping, unknown


def _region_map(values: list[str], allowed: set[int] | None) -> tuple[dict[str, int | None], dict[str, str]]:
    mapping: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for value in values:
        if not value:
            mapping[value], problems[value] = None, "kelurahan_required"
            continue
        region = region_lookup(value, level=Region.Level.KELURAHAN)
        if region is None:
            mapping[value], problems[value] = None, "kelurahan_unknown"
        elif allowed is not None and region.pk not in allowed:
            mapping[value], problems[value] = None, "kelurahan_outside"
        else:
            mapping[value] = region.pk
    return mapping, problems


IMPORT_JOB = "import.registry"


def import_job_create(*, actor: User, path: Path, profile: str = "auto", dry_run: bool = False,
                      file_name: str = "", sheet: str = "", overwrite: bool = False,
                      extract_date: dt.date | None = None, extra_params: dict[str, Any] | None = None) -> Job:
    """A queued import (the web upload): ``import_job_run`` runs it later, in the background.
    ``extra_params``: what the web's check-then-confirm adds (``registry.import_checks``): the check's
    file hash, or the check job confirmed and the comment, which the audit events keep."""
    if not actor.can_write_registry:
        raise PermissionDenied(_("Peran Anda tidak boleh mengimpor data registri."))
    if profile not in profile_names():
        raise ValidationFailed(_("Profil tidak dikenal: %(p)s") % {"p": profile}, fields={"profile": [profile]})
    job = job_create(actor=actor, kind=IMPORT_JOB,
                     params={"file": file_name or path.name, "path": str(path), "profile": profile,
                             "dry_run": dry_run, "sheet": sheet, "overwrite": overwrite,
                             "extract_date": extract_date.isoformat() if extract_date else "",
                             **(extra_params or {})})
    audit_log(actor=actor, action="registry.import.queue", object_type="core.job", object_id=str(job.pk),
              after={"file": file_name or path.name, "profile": profile, "dry_run": dry_run, **_confirmation(job)})
    return job


def _confirmation(job: Job) -> dict[str, Any]:
    """The check job a confirmed import came from, who confirmed it and their comment (decision 0044)."""
    if not job.params.get("check_job"):
        return {}
    return with_comment({"check_job": job.params["check_job"], "confirmed_by": job.params.get("confirmed_by")},
                        job.params.get("comment", ""))


def import_job_run(job: Job) -> None:
    """Run a queued import (in the web server's background thread); failures stay on the job."""
    if job.created_by is None:
        job_finish(job, status=Job.Status.FAILED, message=_("Pengguna pekerjaan ini tidak ada lagi."))
        return
    with contextlib.suppress(JaringError):
        import_registry(actor=job.created_by, path=Path(job.params["path"]), profile=job.params["profile"],
                        dry_run=bool(job.params.get("dry_run")), sheet=job.params.get("sheet") or None,
                        overwrite=bool(job.params.get("overwrite")), job=job,
                        extract_date=dt.date.fromisoformat(job.params["extract_date"])
                        if job.params.get("extract_date") else None)


def import_registry(*, actor: User, path: Path, profile: str = "auto", dry_run: bool = False,
                    report: Path | None = None, source: str = DataSource.IMPORT,
                    progress: Progress | None = None, job: Job | None = None,
                    sheet: str | None = None, overwrite: bool = False,
                    extract_date: dt.date | None = None) -> ImportResult:
    """``extract_date``: the date of the poverty-registry extract the file is (its deciles are stored
    with it), when the file has no date column; required by the dtsen, p3ke and dtks profiles when
    the file has deciles."""
    if not actor.can_write_registry:
        raise PermissionDenied(_("Peran Anda tidak boleh mengimpor data registri."))
    started = time.perf_counter()
    if job is None:
        job = job_create(actor=actor, kind=IMPORT_JOB,
                         params={"file": path.name, "profile": profile, "dry_run": dry_run})
    say = job_begin(job, also=progress)
    try:
        say("read", 0, 1)
        external = external_profiles.get(profile)
        table = None
        if external is None:
            if profile not in PROFILES:
                raise ValidationFailed(_("Profil tidak dikenal: %(p)s") % {"p": profile}, fields={"profile": [profile]})
            # Read in a worker process with limits (core.sandbox): a hostile file fails this job only.
            table = read_table(path, sheet=sheet, detectors=_detectors(profile), check=say.check_cancel)
            external = external_profiles.get(table.detected or "")
        if external is not None:
            result = external.run(actor=actor, path=path, dry_run=dry_run, report=report, progress=say, job=job)
        else:
            assert table is not None
            result = _run(actor=actor, path=path, table=table, profile=profile, dry_run=dry_run, report=report,
                          source=source, say=say, job=job, overwrite=overwrite, sheet=sheet,
                          extract_date=extract_date)
    except JobCancelled as exc:
        job_finish(job, status=Job.Status.CANCELLED, message=str(exc.message))
        audit_log(actor=actor, action="registry.import.cancel", object_type="core.job", object_id=str(job.pk),
                  after={"file": path.name, "cancelled_by": exc.extra.get("by")})
        raise
    except Exception as exc:
        job_finish(job, status=Job.Status.FAILED, message=str(getattr(exc, "message", exc)))
        raise
    result.seconds = time.perf_counter() - started
    result.job_id = job.pk
    job_finish(job, status=Job.Status.SUCCEEDED, result={**result.as_dict(), "dry_run": dry_run}, done=result.rows)
    return result


def _run(*, actor: User, path: Path, table: TableRead, profile: str, dry_run: bool, report: Path | None,
         source: str, say: Callable[[str, int, int], None], job: Job, overwrite: bool = False,
         sheet: str | None = None, extract_date: dt.date | None = None) -> ImportResult:
    today = timezone.localdate()
    frame = table.frame
    assert frame is not None
    if CONTROL in frame.columns:  # the reader removed control characters from these rows
        frame = frame.rename({CONTROL: "_control"})
    original = [c for c in frame.columns if c != "_control"]
    notes = list(table.notes)
    recognised = ""  # --profile auto: which profile, and why (the summary's first note)
    if profile == "auto":
        detected = detect_profile(original)
        profile, recognised = detected.profile, detected.note()
        notes.insert(0, recognised)
    columns = map_columns(frame, profile)
    registry_profile = REGISTRY_PROFILES.get(profile)
    if registry_profile is not None and source == DataSource.IMPORT:
        source = registry_profile.source  # the records and their deciles come from that registry
    if extract_date is not None and extract_date > today:
        raise ValidationFailed(_("Tanggal data ekstrak (%(d)s) ada di masa depan.") % {"d": extract_date.isoformat()},
                               fields={"extract_date": [extract_date.isoformat()]}, code="extract_date_future")
    if (registry_profile is not None and "decile" in columns and "extract_date" not in columns
            and extract_date is None):
        raise ValidationFailed(
            " ".join(filter(None, [recognised, _(
                "Berkas %(profile)s ini berisi desil (kolom %(col)s) tetapi tidak ada kolom tanggal data: isi "
                "tanggal data ekstrak (--extract-date YYYY-MM-DD di baris perintah, atau isian \"Tanggal data "
                "ekstrak\" di halaman impor). Desil tanpa tanggal tidak bisa dibandingkan dengan desil yang lebih "
                "baru.") % {"profile": profile.upper(), "col": columns["decile"]}])),
            fields={"extract_date": [profile]}, code="extract_date_required")
    total = frame.height
    result = ImportResult(rows=total, dry_run=dry_run, columns=columns, notes=notes,
                          ignored_columns=ignored_columns(frame, columns), profile=profile)
    say("validate", 0, total)
    frame = validate(frame, columns, today, profile)
    if "_control" in frame.columns:  # never a silent change: the row says what was removed
        frame = frame.with_columns(pl.coalesce(pl.when(pl.col("_control")).then(pl.lit("control_chars")),
                                               pl.col("_warn")).alias("_warn")).drop("_control")
    if path.suffix.lower() in XLSX_SUFFIXES:
        frame = _reject_numeric_cells(frame, path, sheet, columns, say)
    scope = scope_for(actor)
    allowed = None if scope.covers_every_kelurahan else set(scope.region_ids)
    kel_values = frame.select(_text(frame, columns, "kelurahan").alias("k"))["k"].unique().to_list()
    kel_map, kel_problems = _region_map(kel_values, allowed)
    frame = frame.with_columns(_text(frame, columns, "kelurahan").alias("_kel_raw"))
    kel_problem = pl.col("_kel_raw").replace_strict(kel_problems, default=None, return_dtype=pl.Utf8)
    frame = frame.with_columns(
        pl.col("_kel_raw").replace_strict(kel_map, default=None, return_dtype=pl.Int64).alias("_kel"),
        pl.coalesce(pl.col("_error"), kel_problem).alias("_error"),
        pl.concat_list("_errors", kel_problem).list.drop_nulls().alias("_errors"))
    occ_values = frame.select(_text(frame, columns, "occupation").alias("o"))["o"].unique().to_list()
    occ_map, occ_unknown = _occupation_map(occ_values, registry_profile.occupation_codes if registry_profile else {})
    relationships = {**RELATIONSHIPS, **(registry_profile.relationship_codes if registry_profile else {})}
    date_raw = _text(frame, columns, "extract_date")
    file_date = _parse_extract_dates(date_raw)
    file_date_ok = file_date.is_not_null() & (file_date <= pl.lit(today))
    phone = _text(frame, columns, "phone").str.replace_all(r"[\s.\-()]", "")
    decile_raw = _text(frame, columns, "decile")
    decile = decile_raw.cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        _text(frame, columns, "occupation").replace_strict(occ_map, default=None, return_dtype=pl.Int64).alias("_occ"),
        _text(frame, columns, "occupation").is_in(list(occ_unknown)).alias("_occ_unknown"),
        pl.when(phone.str.contains(r"^\+?[0-9]{8,15}$")).then(phone).otherwise(pl.lit("")).alias("_phone"),
        ((phone != "") & ~phone.str.contains(r"^\+?[0-9]{8,15}$")).alias("_phone_bad"),
        pl.when(decile.is_between(1, 10)).then(decile).otherwise(None).alias("_decile"),
        ((decile_raw != "") & ~decile.is_between(1, 10).fill_null(False)).alias("_decile_bad"),
        _text(frame, columns, "pkh").str.to_lowercase().is_in(list(YES)).alias("_pkh"),
        _text(frame, columns, "relationship").str.to_lowercase().replace_strict(
            relationships, default="").alias("_rel"),
        # The decile's date: the row's extract date, else the one given at import, else (a file that
        # is no registry extract, e.g. a facilitator's sheet) the import's day.
        pl.coalesce(pl.when(file_date_ok).then(file_date), pl.lit(extract_date, dtype=pl.Date),
                    pl.lit(None if registry_profile else today, dtype=pl.Date)).alias("_decile_date"),
        ((date_raw != "") & ~file_date_ok.fill_null(False)).alias("_date_bad"),
        _text(frame, columns, "birth_place").alias("_place"),
        _text(frame, columns, "address").alias("_address"),
    )
    frame = frame.with_columns(
        pl.coalesce(pl.col("_warn"),
                    pl.when(pl.col("_occ_unknown")).then(pl.lit("occupation_unknown")),
                    pl.when(pl.col("_phone_bad")).then(pl.lit("phone_invalid")),
                    pl.when(pl.col("_decile_bad")).then(pl.lit("decile_invalid")),
                    pl.when(pl.col("_date_bad") & pl.col("_decile").is_not_null()).then(
                        pl.lit("extract_date_invalid"))).alias("_warn"))
    # A decile without a date is not kept (it could not be weighed against a newer one).
    frame = frame.with_columns(pl.when(pl.col("_decile_date").is_null()).then(None).otherwise(pl.col("_decile"))
                               .alias("_decile"))
    say("validate", total, total)
    # Only what is written or reported stays: a million-row file must fit the memory budget.
    frame = frame.drop("_day", "_month", "_real_day", "_max_day", "_floatish", "_sex_raw", "_kk_raw",
                       "_birth_raw", "_kel_raw", "_occ_unknown", "_phone_bad", "_decile_bad", "_date_bad")
    working = [c for c in frame.columns if c.startswith("_") and c not in original]

    # Duplicates inside the file: the first row of a NIK wins; a different name is flagged.
    valid = frame.filter(pl.col("_error").is_null()).select(ROW, *working)
    valid = valid.with_columns(
        pl.col("_nik").is_first_distinct().alias("_first"),
        (pl.col("_name").str.to_lowercase().first().over("_nik") != pl.col("_name").str.to_lowercase())
        .alias("_other_name"))
    c = cipher()
    say("match", 0, valid.height)
    firsts = valid.filter(pl.col("_first"))
    indexes = [c.blind_index(n, kind="nik") for n in firsts["_nik"].to_list()]
    firsts = firsts.with_columns(pl.Series("_index", indexes))
    existing = ids_by_key("registry_person", "nik_index", indexes)
    say("match", valid.height, valid.height)
    if allowed is not None:
        # A user with an area may not change, nor add family to, anyone registered outside it.
        outside = _rows_outside(firsts, existing, allowed, c)
        if outside:
            frame = _reject(frame, outside)
            firsts = firsts.filter(~pl.col(ROW).is_in(list(outside)))
            valid = valid.filter(~pl.col(ROW).is_in(list(outside)))
    new = firsts.filter(~pl.col("_index").is_in(list(existing)))
    known = firsts.filter(pl.col("_index").is_in(list(existing)))

    del indexes
    rejected = frame.filter(pl.col("_error").is_not_null())
    # The report shows duplicates with their original cells: join them back by row number.
    in_file_dups = frame.join(valid.filter(~pl.col("_first")).select(ROW, "_other_name"), on=ROW)
    result.rejected = rejected.height
    result.excel_damaged = rejected.filter(
        pl.col("_errors").list.eval(pl.element().is_in(list(EXCEL_DAMAGE))).list.any()).height
    result.warnings = frame.filter(pl.col("_error").is_null() & pl.col("_warn").is_not_null()).height
    updated_ids: list[str] = []
    with transaction.atomic():
        if not dry_run:
            households = _households(new, actor, source, c, today)
            new = new.with_columns(pl.col("_kk").replace_strict(households, default=None, return_dtype=pl.Int64)
                                   .alias("_household"))
            say("write", 0, new.height)
            result.imported = _insert_persons(new, actor, source, c, say)
            updated_ids = _fill_empty(known, households, overwrite=overwrite, actor=actor, job=job)
            result.deciles_recorded = _record_deciles(firsts, source, c, job)
        else:
            result.imported = new.height
            updated_ids = _fill_empty(known, {}, dry_run=True, overwrite=overwrite)
        result.updated = len(updated_ids)
        result.duplicates = in_file_dups.height + known.height - result.updated
        if result.rows != result.imported + result.updated + result.duplicates + result.rejected:
            raise RuntimeError("import counts do not add up")  # a bug, never a data problem
        problems = result.rejected or result.warnings or in_file_dups.height
        if report is not None or problems:
            target = report or default_report_path(job)
            write_report(target, frame=frame, original=original, in_file_dups=in_file_dups,
                         registered=frame.join(known.filter(~pl.col("_index").is_in(updated_ids)).select(ROW), on=ROW),
                         result=result, masked=[columns[f] for f in ("nik", "kk_number") if f in columns])
            result.report = str(target)
        if not dry_run:
            audit_log(actor=actor, action="registry.import", object_type="registry.person", object_id=str(job.pk),
                      after={"file": path.name, "profile": profile, "overwrite": overwrite, **result.as_dict(),
                             **_confirmation(job)})
    return result


def default_report_path(job: Job) -> Path:
    """Where an import's error report goes when the caller named no file: an owner-only folder
    whose files ``jobs.purge_expired_files`` deletes after ``JARING_REPORT_RETENTION_DAYS``."""
    from django.conf import settings

    folder = Path(settings.JARING_HOME) / "reports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"impor-{job.pk}.xlsx"


def _households(new: pl.DataFrame, actor: User, source: str, c: Any, today: dt.date) -> dict[str, int]:
    """KK number → household id: existing ones found by blind index, missing ones created."""
    with_kk = new.filter(pl.col("_kk") != "").unique(subset="_kk", keep="first", maintain_order=True)
    if with_kk.is_empty():
        return {}
    kks = with_kk["_kk"].to_list()
    index_of = {kk: c.blind_index(kk, kind="kk") for kk in kks}
    existing = ids_by_key("registry_household", "kk_index", list(index_of.values()))
    now = timezone.now()
    rows = []
    for row in with_kk.select("_kk", "_kel", "_address", "_pkh").iter_rows():
        kk, kel, address, pkh = row
        if index_of[kk] in existing:
            continue
        # The decile is set by _record_deciles (with its history), not here.
        rows.append((c.encrypt(kk, kind="kk"), index_of[kk], address, kel, None, "", None, bool(pkh), source,
                     now, now))
    bulk_insert("registry_household", ["kk_encrypted", "kk_index", "address", "kelurahan_id", "welfare_decile",
                                       "decile_source", "decile_date", "pkh_beneficiary", "data_source",
                                       "created_at", "updated_at"], rows)
    ids = ids_by_key("registry_household", "kk_index", list(index_of.values()))
    return {kk: ids[index] for kk, index in index_of.items() if index in ids}


PERSON_COLUMNS = ["nik_encrypted", "nik_index", "full_name", "name_key", "name_key_last", "birth_place", "birth_date",
                  "sex", "household_id", "relationship", "kelurahan_id", "phone", "occupation_id", "transport_sector",
                  "disability", "consent_basis", "data_source", "confirmed_warnings", "created_by_id", "created_at",
                  "updated_at"]


def _insert_persons(new: pl.DataFrame, actor: User, source: str, c: Any, say: Progress) -> int:
    transport = set(Occupation.objects.filter(transport_sector=True).values_list("pk", flat=True))
    # Values shared by every row are adapted for the database once, not a million times.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    warnings: dict[str | None, str] = {None: "[]", **{code: json.dumps([code]) for code in WARNINGS}}
    total = new.height

    def rows():  # type: ignore[no-untyped-def]
        for nik, index, name, place, birth, sex, household, rel, kel, phone, occ, warn in new.select(
                "_nik", "_index", "_name", "_place", "_birth", "_sex", "_household", "_rel", "_kel", "_phone",
                "_occ", "_warn").iter_rows():
            key = person_name_key(name)
            yield (c.encrypt(nik, kind="nik"), index, name, key, last_word_first(key), place, birth, sex,
                   household, rel, kel, phone, occ, occ in transport, "none", "", source,
                   warnings.get(warn) or json.dumps([warn]), actor.pk, now, now)

    before = last_person_id()
    count = bulk_insert("registry_person", PERSON_COLUMNS, rows(), progress=lambda n: say("write", n, total))
    name_words_fill(after_id=before)  # the name search's words of the new persons, set-based
    return count


FILLABLE = {"birth_place": "_place", "phone": "_phone", "occupation_id": "_occ", "household_id": "_household",
            "relationship": "_rel"}


def _rows_outside(firsts: pl.DataFrame, persons: dict[str, int], allowed: set[int], c: Any) -> dict[int, str]:
    """Row number → problem for rows that would touch a person or a household registered in a
    kelurahan outside ``allowed`` (a facilitator's area)."""
    problems: dict[int, str] = {}
    person_area = _kelurahan_of("registry_person", list(persons.values()))
    for row, index in firsts.select(ROW, "_index").iter_rows():
        if index in persons and person_area.get(persons[index]) not in allowed:
            problems[row] = "person_outside"
    with_kk = firsts.filter(pl.col("_kk") != "").select(ROW, "_kk")
    if not with_kk.is_empty():
        index_of = {kk: c.blind_index(kk, kind="kk") for kk in with_kk["_kk"].unique().to_list()}
        households = ids_by_key("registry_household", "kk_index", list(index_of.values()))
        household_area = _kelurahan_of("registry_household", list(households.values()))
        for row, kk in with_kk.iter_rows():
            household = households.get(index_of[kk])
            if household is not None and household_area.get(household) not in allowed:
                problems.setdefault(row, "household_outside")
    return problems


def _kelurahan_of(table: str, ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            cursor.execute(f'SELECT id, kelurahan_id FROM "{table}" WHERE id IN '  # noqa: S608 - table is ours
                           f"({', '.join(['%s'] * len(part))})", part)
            found.update(dict(cursor.fetchall()))
    return found


def _reject(frame: pl.DataFrame, problems: dict[int, str]) -> pl.DataFrame:
    """Mark rows rejected with their problem codes (kept in the report, counted as rejected)."""
    problem = pl.col(ROW).replace_strict(problems, default=None, return_dtype=pl.Utf8)
    return frame.with_columns(pl.coalesce(pl.col("_error"), problem).alias("_error"),
                              pl.concat_list("_errors", problem).list.drop_nulls().alias("_errors"))


def _fill_empty(known: pl.DataFrame, households: dict[str, int], *, dry_run: bool = False,
                overwrite: bool = False, actor: User | None = None, job: Job | None = None) -> list[str]:
    """Returns the blind indexes of the persons that got a field filled (or, when the user asked
    for it, replaced). Only contact and household fields: a name, birth date or sex is corrected
    one person at a time, never by a file."""
    if known.is_empty():
        return []
    known = known.with_columns(pl.col("_kk").replace_strict(households, default=None, return_dtype=pl.Int64)
                               .alias("_household"))
    ids = ids_by_key("registry_person", "nik_index", known["_index"].to_list())
    current: dict[int, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        id_list = list(ids.values())
        for start in range(0, len(id_list), 5000):
            part = id_list[start:start + 5000]
            cursor.execute(f"SELECT id, {', '.join(FILLABLE)} FROM registry_person WHERE id IN "  # noqa: S608
                           f"({', '.join(['%s'] * len(part))})", part)
            for row in cursor.fetchall():
                current[row[0]] = dict(zip(FILLABLE, row[1:], strict=True))
    touched: set[str] = set()
    changes: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for record in known.select("_index", *FILLABLE.values()).iter_rows(named=True):
        person_id = ids[record["_index"]]
        for column, source in FILLABLE.items():
            value = record[source]
            now_value = current[person_id][column]
            if value not in (None, "") and (now_value in (None, "") or (overwrite and now_value != value)):
                touched.add(record["_index"])
                before, after = changes.setdefault(person_id, ({}, {}))
                before[column], after[column] = now_value, value
    if not dry_run:
        assert actor is not None
        # One UPDATE per field and one audit event per changed person (registry.services).
        persons_fill_from_import(actor=actor, changes=changes, job_id=job.pk if job else None)
    return sorted(touched)


TEMPLATE_HEADERS = [
    ("NIK", "16 digit, ditulis sebagai teks (bukan angka) agar Excel tidak mengubahnya"),
    ("Nama Lengkap", "wajib"),
    ("Tempat Lahir", ""),
    ("Tanggal Lahir", "wajib; dd/mm/yyyy, yyyy-mm-dd atau 14 Agustus 1990"),
    ("Jenis Kelamin", "L atau P"),
    ("No KK", "16 digit; anggota satu keluarga memakai No KK yang sama"),
    ("Hubungan", "Kepala Keluarga, Istri, Suami, Anak, Orang Tua, Mertua, Menantu, Cucu, Famili Lain, Lainnya"),
    ("Kelurahan", "wajib; nama atau kode Kemendagri (96.71… atau 92.71…)"),
    ("Alamat", ""),
    ("No HP", "08…"),
    ("Pekerjaan", "mis. Ojek, Nelayan, Pedagang Pasar, Petani, Buruh Harian"),
    ("Desil", "1–10 (P3KE/DTSEN)"),
    ("Tanggal Data", "tanggal data ekstrak asal desil (DTSEN/P3KE/DTKS), dd/mm/yyyy"),
    ("PKH", "Ya atau Tidak"),
    ("Disabilitas", ""),
]


def template_workbook() -> bytes:
    """The Jaring import template: the header row, every column as text, and a sheet of guidance."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    data = book.active
    data.title = "Data"
    data.append([header for header, _note in TEMPLATE_HEADERS])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for index in range(1, len(TEMPLATE_HEADERS) + 1):
        letter = data.cell(row=1, column=index).column_letter
        data.column_dimensions[letter].width = 18
        for row in range(2, 1002):
            data.cell(row=row, column=index).number_format = "@"
    guide = book.create_sheet("Petunjuk")
    guide.append(["Kolom", "Keterangan"])
    for header, note in TEMPLATE_HEADERS:
        guide.append([header, note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REPORT_CELL_CHARS = 1000


def _report_cell(value: Any, masked: bool) -> Any:
    """An original cell as the report shows it: a NIK or KK masked (the row number finds the
    line in the file), any other 16-digit number masked too, long text cut, formulas neutralised."""
    if not isinstance(value, str):
        return value
    if masked:
        return safe_cell(mask_identifier(value[:40]))
    value = _SIXTEEN_DIGITS.sub(lambda m: mask_identifier(m[0]), value)
    if len(value) > REPORT_CELL_CHARS:
        value = value[:REPORT_CELL_CHARS - 1] + "…"
    return safe_cell(value)


_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def write_report(path: Path, *, frame: pl.DataFrame, original: list[str], in_file_dups: pl.DataFrame,
                 registered: pl.DataFrame, result: ImportResult, masked: list[str] | tuple[str, ...] = ()) -> None:
    """The error report: each problem row with its column and reason in Indonesian, and the original
    row, its NIK and KK columns (``masked``) masked. Written owner-only."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet("Ringkasan")
    for label, value in [("Profil berkas", PROFILE_NAMES.get(result.profile, result.profile.upper())),
                         ("Baris", result.rows), ("Diimpor (baru)", result.imported),
                         ("Diperbarui (kolom kosong diisi)", result.updated), ("Duplikat", result.duplicates),
                         ("Ditolak", result.rejected),
                         ("Ditolak: NIK/No KK dirusak Excel", result.excel_damaged), ("Peringatan", result.warnings),
                         ("Uji coba (tidak disimpan)", "ya" if result.dry_run else "tidak")]:
        summary.append([label, value])
    if result.deciles_recorded:
        summary.append(["Desil keluarga dicatat (dengan sumber dan tanggal data)", result.deciles_recorded])
    if result.ignored_columns:
        summary.append(["Kolom tidak dipakai", ", ".join(result.ignored_columns)])
    for note in result.notes:
        summary.append(["Catatan", note])

    def sheet(title: str, rows: pl.DataFrame, code_column: str, texts: dict[str, tuple[str, str]]) -> None:
        ws = book.create_sheet(title)
        header = ["Baris", "Kolom", "Alasan", *[c for c in original if c != ROW]]
        ws.append(bold_row(ws, header))
        for record in rows.select([*original, code_column]).iter_rows(named=True):
            code = record[code_column]
            column, reason = texts.get(code, ("", str(code)))
            ws.append([record[ROW], column, reason,
                       *[_report_cell(record[c], c in masked) for c in original if c != ROW]])

    problems = frame.filter(pl.col("_error").is_not_null()).explode("_errors")  # a line per reason
    sheet("Ditolak", problems, "_errors", ERRORS)
    warned = frame.filter(pl.col("_error").is_null() & pl.col("_warn").is_not_null())
    sheet("Peringatan", warned, "_warn", WARNINGS)
    dup_codes = pl.concat([
        in_file_dups.select(*original, pl.when(pl.col("_other_name")).then(pl.lit("in_file_other_name"))
                            .otherwise(pl.lit("in_file")).alias("_dup")),
        registered.select(*original, pl.lit("registered").alias("_dup")),
    ]).sort(ROW)
    sheet("Duplikat", dup_codes, "_dup", {k: ("NIK", v) for k, v in DUPLICATE_REASONS.items()})
    save_workbook(book, path)


def bold_row(ws: Any, texts: list[str]) -> list[Any]:
    """A header row for a write-only sheet."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for text in texts:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells
