"""Reading spreadsheets people send: CSV in any common delimiter and encoding, or XLSX.

Every cell is read as text (a NIK must never become a number), headers are matched without
regard to case, spacing or punctuation, and each row keeps its number in the file (``__row``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed

ROW = "__row"
MAX_BYTES = 200 * 1024 * 1024


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (=, +, -, @) in every file we write."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def header_key(text: str) -> str:
    """``"Tgl. Lahir "`` → ``"tgllahir"``: what two spellings of one header have in common."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_("Berkas bukan teks CSV yang bisa dibaca."))


def read_table(path: Path, *, sheet: str | None = None) -> pl.DataFrame:
    """All columns as text, original header names kept, plus ``__row`` (the spreadsheet row number)."""
    if not path.is_file():
        raise ValidationFailed(_("Berkas tidak ditemukan: %(path)s") % {"path": path})
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValidationFailed(_("Berkas terlalu besar (%(mb)s MB; batas %(max)s MB).") % {
            "mb": size // 2**20, "max": MAX_BYTES // 2**20})
    if size == 0:
        raise ValidationFailed(_("Berkas kosong."), code="empty_file")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        if sheet:
            try:
                import fastexcel

                names = fastexcel.read_excel(str(path)).sheet_names
            except Exception as exc:
                raise ValidationFailed(_("Berkas Excel tidak bisa dibaca: %(err)s") % {
                    "err": str(exc)[:200]}) from None
            if sheet not in names:
                raise ValidationFailed(_("Lembar %(sheet)s tidak ada di berkas. Lembar yang ada: %(names)s") % {
                    "sheet": sheet, "names": ", ".join(names)}, fields={"sheet": [sheet]})
        try:
            frame = pl.read_excel(path, sheet_name=sheet, engine="calamine", infer_schema_length=0)
        except Exception as exc:
            raise ValidationFailed(_("Berkas Excel tidak bisa dibaca: %(err)s") % {"err": str(exc)[:200]}) from None
        frame = frame.select([pl.col(c).cast(pl.Utf8) for c in frame.columns])
    else:
        text = _decode(path.read_bytes())
        first = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)
        try:
            frame = pl.read_csv(text.encode(), separator=delimiter, infer_schema=False, quote_char='"',
                                truncate_ragged_lines=True, empty_string_is_null=False)
        except pl.exceptions.PolarsError:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            if not rows:
                raise ValidationFailed(_("Berkas kosong."), code="empty_file") from None
            width = len(rows[0])
            frame = pl.DataFrame([r[:width] + [""] * (width - len(r)) for r in rows[1:]], schema=rows[0],
                                 orient="row")
    if not frame.columns:
        raise ValidationFailed(_("Berkas tidak punya baris judul kolom."), code="no_header")
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
