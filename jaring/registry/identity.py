"""NIK and KK rules (DOMAIN §3). Pure functions returning structured findings.

Errors block; warnings (birth date or sex not matching the NIK) need a person to confirm.
The region prefix is never checked against where the person lives: a NIK is for life.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ERROR = "error"
WARNING = "warning"

_FLOATISH = re.compile(r"^\s*\d+(\.\d+)?[eE][+-]?\d+\s*$")


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
    return re.sub(r"[\s.\-]", "", value or "")


def _date_from(ddmmyy: str, *, female_offset: bool) -> tuple[int, int, int, bool]:
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    female = female_offset and day > 40
    return (day - 40 if female else day), month, yy, female


def _real_date(day: int, month: int, yy: int, *, reference: dt.date | None) -> bool:
    """Whether DD/MM exists in some year ending in YY (29 Feb needs a leap year)."""
    for century in (1900, 2000):
        try:
            dt.date(century + yy, month, day)
            return True
        except ValueError:
            continue
    return False


def nik_findings(raw: str, *, birth_date: dt.date | None = None, sex: str | None = None,
                 field: str = "nik") -> list[Finding]:
    raw = (raw or "").strip()
    if not raw:
        return [Finding("nik_required", ERROR, str(_("NIK wajib diisi.")), field)]
    if _FLOATISH.match(raw):
        return [Finding("nik_float", ERROR, str(_(
            "NIK rusak oleh Excel (ditulis sebagai angka pecahan %(raw)s); ketik ulang dari KTP/KK."
        ) % {"raw": raw}), field)]
    nik = clean_digits(raw)
    if not (nik.isascii() and nik.isdigit()):
        return [Finding("nik_not_digits", ERROR, str(_("NIK hanya boleh berisi angka.")), field)]
    if len(nik) != 16:
        return [Finding("nik_length", ERROR, str(_(
            "NIK harus 16 digit, bukan %(n)s digit.") % {"n": len(nik)}), field)]
    findings: list[Finding] = []
    day, month, yy, female = _date_from(nik[6:12], female_offset=True)
    raw_day = int(nik[6:8])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71):
        findings.append(Finding("nik_day", ERROR, str(_(
            "Digit 7–8 NIK (tanggal lahir) harus 01–31, atau 41–71 untuk perempuan."
        )), field))
    if not 1 <= month <= 12:
        findings.append(Finding("nik_month", ERROR, str(_(
            "Digit 9–10 NIK (bulan lahir) harus 01–12.")), field))
    if nik[12:] == "0000":
        findings.append(Finding("nik_serial", ERROR, str(_(
            "Digit 13–16 NIK (nomor urut) tidak boleh 0000.")), field))
    if int(nik[:2]) < 11:
        findings.append(Finding("nik_province", ERROR, str(_(
            "Digit 1–2 NIK bukan kode provinsi.")), field))
    if findings:
        return findings
    if not _real_date(day, month, yy, reference=birth_date):
        return [Finding("nik_date", ERROR, str(_(
            "Tanggal lahir dalam NIK (%(d)02d-%(m)02d) tidak ada di kalender.") % {"d": day, "m": month}),
            field)]
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


def kk_findings(raw: str, *, field: str = "kk_number") -> list[Finding]:
    raw = (raw or "").strip()
    if not raw:
        return []
    if _FLOATISH.match(raw):
        return [Finding("kk_float", ERROR, str(_(
            "Nomor KK rusak oleh Excel (ditulis sebagai angka pecahan); ketik ulang dari KK.")), field)]
    kk = clean_digits(raw)
    if not (kk.isascii() and kk.isdigit()):
        return [Finding("kk_not_digits", ERROR, str(_("Nomor KK hanya boleh berisi angka.")), field)]
    if len(kk) != 16:
        return [Finding("kk_length", ERROR, str(_(
            "Nomor KK harus 16 digit, bukan %(n)s digit.") % {"n": len(kk)}), field)]
    if kk[12:] == "0000" or kk == "0" * 16:
        return [Finding("kk_serial", ERROR, str(_(
            "Digit 13–16 nomor KK (nomor urut) tidak boleh 0000.")), field)]
    day, month, yy, _female = _date_from(kk[6:12], female_offset=False)
    if not (1 <= month <= 12 and 1 <= day <= 31 and _real_date(day, month, yy, reference=None)):
        return [Finding("kk_date", WARNING, str(_(
            "Tanggal terbit dalam nomor KK tidak wajar; periksa kembali.")), field)]
    return []


def mask_identifier(value: str) -> str:
    """``9271014501900001`` → ``9271********0001``."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
