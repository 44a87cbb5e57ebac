"""NIK, KK and KPJ rules (DOMAIN §2.1, §3): one definition, read two ways.

``nik_findings`` checks one NIK (forms, the API, the CLI, field submissions, through the person
services); ``nik_columns`` / ``nik_error`` check a whole column at once (the bulk import, polars).
Both read the same table of rules (``NIK_RULES``: code and message, in the order they are tried)
and the same constants below; tests/rules/test_one_copy.py proves that they agree on any string.

Errors block; warnings (birth date or sex not matching the NIK) need a person to confirm.
The region prefix is never checked against where the person lives: a NIK is for life.

The KPJ (BPJSTK membership number, 11 digits) belongs to the person, like the NIK: ``KPJ_RULES`` and
``kpj_findings`` are its rules, read by ``registry.services.person_assign_kpj`` (every write of a
KPJ: enrolment, BPJSTK's KPJ file, the office) and by the KPJ file's row check.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    import polars as pl

ERROR = "error"
WARNING = "warning"

# --- The definition ------------------------------------------------------------------------------
# Patterns are written so that Python's ``re`` and polars (Rust ``regex``) read them the same way:
# ASCII digits only ([0-9], never \d, which is Unicode in both).
SEPARATORS = r"[\s.\-]"  # what people type inside a number and is removed
FLOATISH = r"^[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+$"  # Excel's 9.27101E+15, after stripping spaces
DIGITS = r"^[0-9]+$"
LENGTH = 16
KPJ_LENGTH = 11  # DOMAIN §2.1: the KPJ has 11 digits
FEMALE_DAY_OFFSET = 40  # women's NIKs carry the birth day + 40
DAY_RANGES = ((1, 31), (1 + FEMALE_DAY_OFFSET, 31 + FEMALE_DAY_OFFSET))
LOWEST_PROVINCE = 11  # Aceh; digits 1–2 below it are no province code
NO_SERIAL = "0000"
# Days of each month in a common year; February has 29 when YY is a multiple of 4: the NIK's
# two-digit year can stand for 19YY or 20YY, and 29-02-00 exists (2000 was a leap year).
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def leap_yy(yy: int) -> bool:
    """Whether 29 February exists in some year ending in ``yy`` (1900s or 2000s)."""
    return yy % 4 == 0


def days_in_month(month: int, yy: int) -> int:
    return DAYS_IN_MONTH[month - 1] + (1 if month == 2 and leap_yy(yy) else 0)


@dataclass(frozen=True)
class Rule:
    code: str
    message: str  # msgid (Indonesian); the import's error report shows it as written
    detail: str = ""  # msgid with the value in it, for one NIK on a form


NIK_RULES: tuple[Rule, ...] = (
    Rule("nik_required", gettext_noop("NIK wajib diisi.")),
    Rule("nik_float", gettext_noop("NIK rusak oleh Excel (angka pecahan seperti 3.27E+15); ketik ulang dari KTP/KK."),
         gettext_noop("NIK rusak oleh Excel (ditulis sebagai angka pecahan %(raw)s); ketik ulang dari KTP/KK.")),
    Rule("nik_not_digits", gettext_noop("NIK hanya boleh berisi angka.")),
    Rule("nik_length", gettext_noop("NIK harus 16 digit."), gettext_noop("NIK harus 16 digit, bukan %(n)s digit.")),
    Rule("nik_day", gettext_noop("Digit 7–8 NIK (tanggal lahir) harus 01–31, atau 41–71 untuk perempuan.")),
    Rule("nik_month", gettext_noop("Digit 9–10 NIK (bulan lahir) harus 01–12.")),
    Rule("nik_serial", gettext_noop("Digit 13–16 NIK (nomor urut) tidak boleh 0000.")),
    Rule("nik_province", gettext_noop("Digit 1–2 NIK bukan kode provinsi.")),
    Rule("nik_date", gettext_noop("Tanggal lahir dalam NIK tidak ada di kalender."),
         gettext_noop("Tanggal lahir dalam NIK (%(d)02d-%(m)02d) tidak ada di kalender.")),
)
NIK_RULE = {rule.code: rule for rule in NIK_RULES}
KK_RULES: tuple[Rule, ...] = (
    Rule("kk_float", gettext_noop("Nomor KK rusak oleh Excel (ditulis sebagai angka pecahan); ketik ulang dari KK.")),
    Rule("kk_not_digits", gettext_noop("Nomor KK hanya boleh berisi angka.")),
    Rule("kk_length", gettext_noop("Nomor KK harus 16 digit."),
         gettext_noop("Nomor KK harus 16 digit, bukan %(n)s digit.")),
    Rule("kk_serial", gettext_noop("Digit 13–16 nomor KK (nomor urut) tidak boleh 0000.")),
)
KK_RULE = {rule.code: rule for rule in KK_RULES}
KPJ_RULES: tuple[Rule, ...] = (
    Rule("kpj_required", gettext_noop("Nomor KPJ wajib diisi.")),
    Rule("kpj_float", gettext_noop("Nomor KPJ rusak oleh Excel (ditulis sebagai angka pecahan); ketik ulang dari "
                                   "kartu BPJSTK.")),
    Rule("kpj_not_digits", gettext_noop("Nomor KPJ hanya boleh berisi angka.")),
    Rule("kpj_length", gettext_noop("Nomor KPJ harus 11 digit."),
         gettext_noop("Nomor KPJ harus 11 digit, bukan %(n)s digit.")),
)
KPJ_RULE = {rule.code: rule for rule in KPJ_RULES}
# The one table of identifier rules: identifier → its rules, in the order they are tried.
IDENTIFIER_RULES: dict[str, tuple[Rule, ...]] = {"nik": NIK_RULES, "kk": KK_RULES, "kpj": KPJ_RULES}

_SEPARATORS = re.compile(SEPARATORS)
_FLOATISH = re.compile(FLOATISH)
_DIGITS = re.compile(DIGITS)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def clean_digits(value: str) -> str:
    """Remove the spaces, dots and dashes people type inside a number; nothing else."""
    return _SEPARATORS.sub("", value or "")


def _error(rule: Rule, field: str, **values: object) -> Finding:
    text = _(rule.detail) % values if rule.detail and values else _(rule.message)
    return Finding(rule.code, ERROR, str(text), field)


# --- One NIK -------------------------------------------------------------------------------------

def nik_findings(raw: str, *, birth_date: dt.date | None = None, sex: str | None = None,
                 field: str = "nik") -> list[Finding]:
    """Every error of the NIK's own rules (in ``NIK_RULES`` order: the first is the one the import
    reports), or else the warnings from comparing it with the birth date and sex given."""
    raw = (raw or "").strip()
    nik = clean_digits(raw)
    if not nik:  # nothing, or only what people type for "none" ("-", ".")
        return [_error(NIK_RULE["nik_required"], field)]
    if _FLOATISH.match(raw):
        return [_error(NIK_RULE["nik_float"], field, raw=raw)]
    if not _DIGITS.match(nik):
        return [_error(NIK_RULE["nik_not_digits"], field)]
    if len(nik) != LENGTH:
        return [_error(NIK_RULE["nik_length"], field, n=len(nik))]
    raw_day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = raw_day > FEMALE_DAY_OFFSET
    day = raw_day - FEMALE_DAY_OFFSET if female else raw_day
    broken = {
        "nik_day": not any(low <= raw_day <= high for low, high in DAY_RANGES),
        "nik_month": not 1 <= month <= 12,
        "nik_serial": nik[12:] == NO_SERIAL,
        "nik_province": int(nik[:2]) < LOWEST_PROVINCE,
    }
    findings = [_error(NIK_RULE[code], field) for code, is_broken in broken.items() if is_broken]
    if findings:
        return findings
    if day > days_in_month(month, yy):
        return [_error(NIK_RULE["nik_date"], field, d=day, m=month)]
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
            day, month, yy):
        findings.append(Finding("nik_birth_date_mismatch", WARNING, str(_(
            "Tanggal lahir %(bd)s tidak cocok dengan NIK (%(d)02d-%(m)02d-%(y)02d). Periksa KTP."
        ) % {"bd": birth_date.strftime("%d-%m-%Y"), "d": day, "m": month, "y": yy}), "birth_date"))
    if sex in ("M", "F") and (sex == "F") != female:
        findings.append(Finding("nik_sex_mismatch", WARNING, str(
            _("Jenis kelamin tidak cocok dengan NIK: NIK ini milik seorang %(sex)s.")
            % {"sex": _("perempuan") if female else _("laki-laki")}), "sex"))
    return findings


# --- A column of NIKs (the bulk import) ----------------------------------------------------------

def nik_columns(raw: pl.Expr, prefix: str = "_") -> list[pl.Expr]:
    """The columns ``nik_error`` reads, from a column of NIKs as typed (already stripped):
    ``{prefix}nik`` (cleaned), ``floatish``, ``day`` (as written: women's +40), ``month``,
    ``real_day`` (the birth day) and ``max_day`` (days in that month of that YY)."""
    import polars as pl

    nik = raw.str.replace_all(SEPARATORS, "")
    day = nik.str.slice(6, 2).cast(pl.Int32, strict=False)
    month = nik.str.slice(8, 2).cast(pl.Int32, strict=False)
    yy = nik.str.slice(10, 2).cast(pl.Int32, strict=False)
    common = month.replace_strict(dict(enumerate(DAYS_IN_MONTH, start=1)), default=31, return_dtype=pl.Int32)
    max_day = pl.when((month == 2) & (yy % 4 == 0)).then(common + 1).otherwise(common)
    return [
        nik.alias(f"{prefix}nik"),
        raw.str.contains(FLOATISH).alias(f"{prefix}floatish"),
        day.alias(f"{prefix}day"),
        month.alias(f"{prefix}month"),
        pl.when(day > FEMALE_DAY_OFFSET).then(day - FEMALE_DAY_OFFSET).otherwise(day).alias(f"{prefix}real_day"),
        max_day.alias(f"{prefix}max_day"),
    ]


def nik_error(prefix: str = "_") -> pl.Expr:
    """The code of the first rule of ``NIK_RULES`` the NIK breaks, or null; over ``nik_columns``."""
    import polars as pl

    def col(name: str) -> pl.Expr:
        return pl.col(f"{prefix}{name}")

    day = col("day")
    broken = {
        "nik_required": col("nik") == "",
        "nik_float": col("floatish"),
        "nik_not_digits": ~col("nik").str.contains(DIGITS),
        "nik_length": col("nik").str.len_chars() != LENGTH,
        "nik_day": ~pl.any_horizontal(*[day.is_between(low, high) for low, high in DAY_RANGES]),
        "nik_month": ~col("month").is_between(1, 12),
        "nik_serial": col("nik").str.slice(12, 4) == NO_SERIAL,
        "nik_province": col("nik").str.slice(0, 2).cast(pl.Int32, strict=False) < LOWEST_PROVINCE,
        "nik_date": col("real_day") > col("max_day"),
    }
    assert list(broken) == list(NIK_RULE), "nik_error must try the rules in NIK_RULES order"
    return _first_code(broken)


def kk_error(raw: pl.Expr) -> pl.Expr:
    """The code of the first error of ``kk_findings`` for a column of KK numbers (already stripped),
    or null; an empty KK is no error (a person may have none yet)."""
    import polars as pl

    kk = raw.str.replace_all(SEPARATORS, "")
    broken = {
        "kk_float": raw.str.contains(FLOATISH),
        "kk_not_digits": ~kk.str.contains(DIGITS),
        "kk_length": kk.str.len_chars() != LENGTH,
        "kk_serial": kk.str.slice(12, 4) == NO_SERIAL,
    }
    assert list(broken) == list(KK_RULE), "kk_error must try the rules in KK_RULES order"
    return pl.when(raw == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(_first_code(broken))


def _first_code(broken: dict[str, pl.Expr]) -> pl.Expr:
    import polars as pl

    (code, condition), *rest = broken.items()
    chain: pl.expr.whenthen.Then | pl.expr.whenthen.ChainedThen = pl.when(condition).then(pl.lit(code))
    for code, condition in rest:
        chain = chain.when(condition).then(pl.lit(code))
    return chain.otherwise(pl.lit(None, dtype=pl.Utf8))


# --- KK ------------------------------------------------------------------------------------------

def kk_findings(raw: str, *, field: str = "kk_number") -> list[Finding]:
    raw = (raw or "").strip()
    if not raw:
        return []
    if _FLOATISH.match(raw):
        return [_error(KK_RULE["kk_float"], field)]
    kk = clean_digits(raw)
    if not _DIGITS.match(kk):
        return [_error(KK_RULE["kk_not_digits"], field)]
    if len(kk) != LENGTH:
        return [_error(KK_RULE["kk_length"], field, n=len(kk))]
    if kk[12:] == NO_SERIAL:
        return [_error(KK_RULE["kk_serial"], field)]
    day, month, yy = int(kk[6:8]), int(kk[8:10]), int(kk[10:12])
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(month, yy)):
        return [Finding("kk_date", WARNING, str(_(
            "Tanggal terbit dalam nomor KK tidak wajar; periksa kembali.")), field)]
    return []


# --- KPJ -----------------------------------------------------------------------------------------

def kpj_findings(raw: str, *, field: str = "kpj") -> list[Finding]:
    """The first error of ``KPJ_RULES`` for one KPJ as typed or read from a file, or nothing.
    Spaces, dots and dashes inside it are removed first (``kpj_clean`` gives the stored form)."""
    raw = (raw or "").strip()
    kpj = clean_digits(raw)
    if not kpj:
        return [_error(KPJ_RULE["kpj_required"], field)]
    if _FLOATISH.match(raw):
        return [_error(KPJ_RULE["kpj_float"], field)]
    if not _DIGITS.match(kpj):
        return [_error(KPJ_RULE["kpj_not_digits"], field)]
    if len(kpj) != KPJ_LENGTH:
        return [_error(KPJ_RULE["kpj_length"], field, n=len(kpj))]
    return []


def kpj_clean(raw: str) -> str:
    """The stored form of a KPJ that ``kpj_findings`` accepts: its 11 digits."""
    return clean_digits((raw or "").strip())


def mask_identifier(value: str) -> str:
    """``9271014501900001`` → ``9271********0001``."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
