"""Reading spreadsheets people send: CSV in any common delimiter and encoding, or XLSX.

Every cell is read as text (a NIK must never become a number), headers are matched without
regard to case, spacing or punctuation, and each row keeps its number in the file (``__row``).

A file is hostile until read: ``read_table`` reads it in a worker process (``core.sandbox``) with
limits on memory and time, and the worker checks what the file declares before a parser
allocates anything for it:

- XLSX: the ZIP container (members, total uncompressed size, compression ratio of each member),
  then the sheet's XML, streamed: its declared ``<dimension>``, and the rows, cells and furthest
  cell it really holds (calamine sizes its grid by the furthest cell);
- CSV: the encoding (UTF-8 with or without BOM, UTF-16/32 by BOM or by their NUL pattern, an
  8-bit file as Windows-1252 with a note saying so; a file mixing UTF-8 with another encoding is
  refused with the line), binary content, the longest line, the rows and the columns.

Invisible control characters (NUL, C0/C1 controls other than tab and line breaks) are removed
from every cell; the rows they were in are marked (``__control``) so the importer can say so.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed
from jaring.core.sandbox import FrameResult, Limits, child_limits, resolve, run_isolated

ROW = "__row"
CONTROL = "__control"  # present only when some row had control characters removed
CHUNK = 4 * 1024 * 1024
RATIO_FLOOR = 4 * 1024 * 1024  # small members may compress as well as they like
XLSX_SUFFIXES = (".xlsx", ".xlsm")
EXCEL_SUFFIXES = (*XLSX_SUFFIXES, ".xls")
CONTROL_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]"
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_CONTROL = re.compile(CONTROL_TEXT)
_LONG_DIGITS = re.compile(r"\d{16}")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (=, +, -, @) in every file we write."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def header_key(text: str) -> str:
    """``"Tgl. Lahir "`` → ``"tgllahir"``: what two spellings of one header have in common."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def quote(value: Any, limit: int = 80) -> str:
    """A value from a file as an error message may show it: control characters removed, a
    16-digit number (a NIK or KK) masked, at most ``limit`` characters."""
    text = _CONTROL.sub("", str(value))
    text = _LONG_DIGITS.sub(lambda m: m[0][:4] + "*" * 8 + m[0][-4:], text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote_list(values: list[Any], *, limit: int = 80, most: int = 30) -> str:
    shown = ", ".join(quote(v, limit) for v in values[:most])
    return shown + (_(" … dan %(n)s lainnya") % {"n": len(values) - most} if len(values) > most else "")


def save_workbook(book: Any, path: Path) -> None:
    """Save an openpyxl workbook owner-only (0600 from its first byte) in an owner-only folder,
    whole or not at all (written beside, then renamed over ``path``)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            book.save(handle)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@dataclass
class TableRead:
    """What ``read_table`` found: the frame (``None`` when a detector claimed the file), notes
    for the user (e.g. the encoding it fell back to), and the detector that claimed it."""

    frame: pl.DataFrame | None
    notes: list[str] = field(default_factory=list)
    detected: str | None = None


def check_size(path: Path, limits: Limits) -> int:
    if not path.is_file():
        raise ValidationFailed(_("Berkas tidak ditemukan: %(path)s") % {"path": quote(path.name)}, code="not_found")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ValidationFailed(_("Berkas terlalu besar (%(mb)s MB; batas %(max)s MB).") % {
            "mb": size // 2**20, "max": limits.max_bytes // 2**20}, code="too_big")
    if size == 0:
        raise ValidationFailed(_("Berkas kosong."), code="empty_file")
    return size


def read_table(path: Path, *, sheet: str | None = None, detectors: dict[str, str] | None = None,
               check: Callable[[], None] | None = None, limits: Limits | None = None) -> TableRead:
    """All columns as text, original header names kept, plus ``__row`` (the spreadsheet row
    number), read in a worker process. ``detectors`` (name → ``"module:function"`` taking the
    path) run in the worker first, after the container checks: the first that says yes claims
    the file and no frame is read. ``check`` may raise to stop the read (a cancelled job)."""
    limits = limits or Limits.from_settings()
    check_size(path, limits)
    result = run_isolated("jaring.core.tables:read_table_here", str(path), sheet, detectors or {},
                          limits=limits, check=check)
    return TableRead(frame=result.frame, notes=list(result.meta.get("notes") or []),
                     detected=result.meta.get("detected"))


def read_table_here(path: str, sheet: str | None, detectors: dict[str, str]) -> FrameResult:
    """``read_table``'s work, in the worker process."""
    limits = child_limits()
    file = Path(path)
    check_size(file, limits)
    excel = file.suffix.lower() in EXCEL_SUFFIXES
    if file.suffix.lower() in XLSX_SUFFIXES:
        inspect_workbook(file, limits, sheet=sheet)
    for name, dotted in detectors.items():
        if resolve(dotted)(file):
            return FrameResult(frame=None, meta={"detected": name})
    notes: list[str] = []
    controls = True
    if excel:
        frame = _read_excel(file, sheet)
    else:
        frame, notes, controls = _read_csv(file, limits)
    if not frame.columns:
        raise ValidationFailed(_("Berkas tidak punya baris judul kolom."), code="no_header")
    if len(frame.columns) > limits.max_columns:
        raise ValidationFailed(_("Berkas punya %(n)s kolom; batasnya %(max)s.") % {
            "n": len(frame.columns), "max": limits.max_columns}, code="too_many_columns")
    if frame.height > limits.max_rows:
        raise ValidationFailed(_("Berkas berisi %(n)s baris; batasnya %(max)s. Pecah menjadi beberapa berkas.")
                               % {"n": frame.height, "max": limits.max_rows}, code="too_many_rows")
    if controls:
        frame = strip_controls(frame)
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return FrameResult(frame=frame, meta={"notes": notes})


def strip_controls(frame: pl.DataFrame) -> pl.DataFrame:
    """Control characters out of headers and cells; ``CONTROL`` marks the rows that had some."""
    renamed: dict[str, str] = {}
    for name in frame.columns:
        clean = _CONTROL.sub("", name).strip()
        if clean != name and clean not in frame.columns and clean not in renamed.values():
            renamed[name] = clean
    if renamed:
        frame = frame.rename(renamed)
    texts = [c for c, dtype in frame.schema.items() if dtype == pl.Utf8]
    if not texts:
        return frame
    found = frame.select([pl.col(c).str.contains(CONTROL_TEXT).any() for c in texts]).row(0)
    dirty = [c for c, hit in zip(texts, found, strict=True) if hit]
    if not dirty:
        return frame
    marked = pl.any_horizontal([pl.col(c).str.contains(CONTROL_TEXT).fill_null(False) for c in dirty])
    return frame.with_columns(marked.alias(CONTROL), *[pl.col(c).str.replace_all(CONTROL_TEXT, "") for c in dirty])


# --- Excel ------------------------------------------------------------------------------------

def _read_excel(path: Path, sheet: str | None) -> pl.DataFrame:
    try:
        frame = pl.read_excel(path, sheet_name=sheet, engine="calamine", infer_schema_length=0)
    except MemoryError:
        raise
    except Exception as exc:
        raise ValidationFailed(_("Berkas Excel tidak bisa dibaca: %(err)s") % {"err": quote(exc, 200)},
                               code="unreadable") from None
    return frame.select([pl.col(c).cast(pl.Utf8) for c in frame.columns])


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref\s*=\s*[\"']([^\"']*)[\"']")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr\s*=\s*[\"'](\d{1,12})[\"']")
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr\s*=\s*[\"']\$?([A-Za-z]{1,6})\$?\d")
_REFERENCE = re.compile(r"\$?([A-Za-z]{1,6})\$?(\d{1,12})")
_STRINGS_COUNT = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\s(?:uniqueCount|count)\s*=\s*[\"'](\d{1,15})[\"']")


def _attributes(text: bytes) -> dict[str, str]:
    """An XML tag's attributes, by full name and by local name (``r:id`` also as ``id``)."""
    found: dict[str, str] = {}
    for m in _ATTRIBUTE.finditer(text):
        name = m[1].decode("utf-8", "replace")
        value = unescape((m[2] if m[2] is not None else m[3]).decode("utf-8", "replace"))
        found[name] = value
        found.setdefault(name.rsplit(":", 1)[-1], value)
    return found


def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code)


def _workbook_sheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, member) of each sheet in the workbook's order."""
    try:
        workbook = book.read("xl/workbook.xml")
    except KeyError:
        raise _refuse(_("Berkas ini ZIP, tetapi bukan buku kerja Excel (tidak ada xl/workbook.xml)."),
                      "not_xlsx") from None
    try:
        rels = book.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        rels = b""
    targets = {}
    for m in _RELATIONSHIP.finditer(rels):
        attrs = _attributes(m[1])
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[attrs.get("Id", "")] = os.path.normpath(target).replace(os.sep, "/")
    sheets = []
    for m in _SHEET.finditer(workbook):
        attrs = _attributes(m[1])
        rel = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        sheets.append((attrs.get("name", ""), targets.get(rel, "")))
    if not sheets:
        raise _refuse(_("Buku kerja Excel ini tidak punya lembar kerja."), "not_xlsx")
    return sheets


def inspect_workbook(path: Path, limits: Limits, *, sheet: str | None = None) -> None:
    """Refuse an XLSX file whose container or sheet would cost more than ``limits`` to read,
    before any parser sees it. ``sheet``: the one to read (``None`` the first, ``"*"`` all)."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(_("Berkas ini bukan berkas Excel (XLSX) yang sah: isinya bukan ZIP."), "not_xlsx") from None
    with book:
        members = book.infolist()
        if len(members) > 10_000:
            raise _refuse(_("Berkas Excel ini berisi %(n)s bagian; batasnya 10000.") % {"n": len(members)},
                          "zip_members")
        total = sum(m.file_size for m in members)
        if total > limits.max_uncompressed_mb * 2**20:
            raise _refuse(_("Berkas Excel ini %(mb)s MB setelah dibuka; batasnya %(max)s MB.") % {
                "mb": total // 2**20, "max": limits.max_uncompressed_mb}, "zip_size")
        for member in members:
            if member.file_size > RATIO_FLOOR and member.file_size > limits.max_ratio * max(member.compress_size, 1):
                raise _refuse(_("Berkas Excel ini dimampatkan secara tidak wajar (%(ratio)s:1 pada bagian "
                                "%(member)s; batasnya %(max)s:1). Berkas ini tidak dibaca.") % {
                    "ratio": member.file_size // max(member.compress_size, 1), "member": quote(member.filename),
                    "max": limits.max_ratio}, "zip_ratio")
        sheets = _workbook_sheets(book)
        names = [name for name, _member in sheets]
        if sheet not in (None, "*") and sheet not in names:
            raise ValidationFailed(_("Lembar %(sheet)s tidak ada di berkas. Lembar yang ada: %(names)s") % {
                "sheet": quote(sheet), "names": quote_list(names, limit=40)}, fields={"sheet": [quote(sheet)]},
                code="no_sheet")
        chosen = sheets if sheet == "*" else [next(s for s in sheets if sheet is None or s[0] == sheet)]
        try:
            _check_strings(book, limits)
            for name, part in chosen:
                if part in book.NameToInfo:
                    _check_sheet(book, part, quote(name, 40), limits)
        except zipfile.BadZipFile as exc:
            raise _refuse(_("Berkas Excel ini rusak: %(err)s") % {"err": quote(exc, 120)}, "not_xlsx") from None


def _check_strings(book: zipfile.ZipFile, limits: Limits) -> None:
    if "xl/sharedStrings.xml" not in book.NameToInfo:
        return
    with book.open("xl/sharedStrings.xml") as handle:
        head = handle.read(4096)
    for count in _STRINGS_COUNT.findall(head):
        if int(count) > limits.max_cells:
            raise _refuse(_("Berkas Excel ini menyatakan %(n)s teks; batasnya %(max)s sel.") % {
                "n": int(count), "max": limits.max_cells}, "too_many_cells")


def _check_sheet(book: zipfile.ZipFile, member: str, name: str, limits: Limits) -> None:
    """Stream the sheet's XML once (``zipfile`` stops at the declared size and checks the CRC):
    the declared dimension, then the rows, the cells and the furthest cell actually present."""
    def box(rows: int, columns: int, where: str) -> None:
        if rows - 1 > limits.max_rows or columns > limits.max_columns or rows * columns > limits.max_cells:
            raise _refuse(_("Lembar %(sheet)s %(where)s %(rows)s baris × %(cols)s kolom; batasnya %(max_rows)s "
                            "baris, %(max_cols)s kolom dan %(max_cells)s sel. Berkas ini tidak dibaca.") % {
                "sheet": name, "where": where, "rows": rows, "cols": columns, "max_rows": limits.max_rows,
                "max_cols": limits.max_columns, "max_cells": limits.max_cells}, "sheet_too_big")

    rows_seen = cells_seen = max_row = max_column = 0
    in_data = False
    prefix = b""
    carry = b""
    with book.open(member) as handle:
        while True:
            block = handle.read(CHUNK)
            buffer = carry + block
            if not block:
                piece, carry = buffer, b""
            else:
                cut = buffer.rfind(b"<")
                if cut <= 0 or len(buffer) - cut > 4096:
                    piece, carry = buffer, b""
                else:
                    piece, carry = buffer[:cut], buffer[cut:]
            if not in_data:
                dimension = _DIMENSION.search(piece)
                if dimension:
                    found = _REFERENCE.fullmatch(dimension[1].decode("ascii", "replace").split(":")[-1])
                    if found:
                        box(int(found[2]), column_number(found[1]), _("menyatakan ukuran"))
                start = _SHEET_DATA.search(piece)
                if start:
                    in_data, prefix = True, start[1] or b""
            if in_data:
                rows_seen += sum(piece.count(b"<" + prefix + b"row" + end) for end in (b" ", b">", b"/"))
                cells_seen += sum(piece.count(b"<" + prefix + b"c" + end) for end in (b" ", b">", b"/"))
                numbers = _ROW_NUMBER.findall(piece)
                if numbers:
                    max_row = max(max_row, max(map(int, numbers)))
                letters = set(_CELL_COLUMN.findall(piece))
                if letters:
                    max_column = max(max_column, max(column_number(x.decode()) for x in letters))
                max_row = max(max_row, rows_seen)
                if cells_seen > limits.max_cells:
                    raise _refuse(_("Lembar %(sheet)s berisi lebih dari %(max)s sel. Berkas ini tidak dibaca.")
                                  % {"sheet": name, "max": limits.max_cells}, "too_many_cells")
                box(max_row, max(max_column, 1), _("memakai sel sampai"))
            if not block:
                return


# --- CSV --------------------------------------------------------------------------------------

def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _decode(raw: bytes) -> tuple[bytes, list[str]]:
    """The file as UTF-8 bytes (no BOM) and notes on how it was read."""
    encoding = ""
    body = raw
    for bom, name in BOMS:
        if raw.startswith(bom):
            encoding, body = name, raw[len(bom):]
            break
    if not encoding:
        sample = raw[:4096]
        half = max(len(sample) // 2, 1)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if len(sample) >= 4 and odd > 0.3 * half and even < 0.05 * half:
            encoding = "utf-16-le"
        elif len(sample) >= 4 and even > 0.3 * half and odd < 0.05 * half:
            encoding = "utf-16-be"
    if encoding and encoding != "utf-8":
        try:
            return body.decode(encoding).encode("utf-8"), []
        except UnicodeError as exc:
            position = getattr(exc, "start", 0) + len(raw) - len(body)
            raise _refuse(_("Berkas ini %(encoding)s yang rusak (byte ke-%(pos)s tidak bisa dibaca). Simpan ulang "
                            "sebagai CSV UTF-8.") % {"encoding": encoding.upper(), "pos": position},
                          "bad_encoding") from None
    try:
        body.decode("utf-8")
        return body, []
    except UnicodeDecodeError as exc:
        bad = exc.start
    # Mixed: some bytes are valid UTF-8 beyond ASCII (é as C3 A9), others are not.
    if encoding == "utf-8" or not body.decode("utf-8", "replace").replace("\ufffd", "").isascii():
        raise _refuse(_("Berkas ini mencampur UTF-8 dengan pengodean lain (baris %(line)s berkas tidak bisa "
                        "dibaca sebagai UTF-8). Simpan ulang seluruh berkas sebagai CSV UTF-8.") % {
            "line": _line_of(body, bad)}, "mixed_encoding")
    try:
        text, name = body.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, name = body.decode("latin-1"), "ISO-8859-1"
    return text.encode("utf-8"), [_("Berkas ini bukan UTF-8; dibaca sebagai %(encoding)s. Periksa huruf beraksen "
                                     "(é, ñ) di hasilnya.") % {"encoding": name}]


def _first_long_line(data: bytes, limit: int) -> int | None:
    """The number of the first line longer than ``limit`` bytes, or ``None``. Jumps from the last
    line break of one window of ``limit + 1`` bytes to the next: one pass at memory speed, no copy."""
    position, size = 0, len(data)
    while size - position > limit:
        newline = data.rfind(b"\n", position, position + limit + 1)
        if newline < 0:
            return data.count(b"\n", 0, position) + 1
        position = newline + 1
    return None


def has_controls(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a control character ``strip_controls`` would remove (at
    memory speed: a regular expression takes seconds on 100 MB)."""
    return bool(data.translate(None, _NOT_CONTROL)) or (b"\xc2" in data and bool(_C1_UTF8.search(data)))


def _read_csv(path: Path, limits: Limits) -> tuple[pl.DataFrame, list[str], bool]:
    raw = path.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise _refuse(_("Berkas ini berkas ZIP/Excel, bukan teks CSV. Simpan dengan akhiran .xlsx, atau ekspor "
                        "sebagai CSV."), "not_a_table")
    data, notes = _decode(raw)
    del raw
    if b"\n" not in data and b"\r" in data:  # old Mac line ends
        data = data.replace(b"\r", b"\n")
    data = data.rstrip(b"\x1a")  # DOS end-of-file marker
    sample = data[:65536]
    if len(BINARY_BYTES.findall(sample)) > 0.05 * len(sample):
        raise _refuse(_("Berkas ini bukan tabel: isinya data biner, bukan teks CSV."), "not_a_table")
    long = _first_long_line(data, limits.max_line_bytes)
    if long is not None:
        raise _refuse(_("Baris %(line)s berkas terlalu panjang (lebih dari %(max)s byte). Berkas ini tidak dibaca: "
                        "periksa apakah ini benar tabel CSV.") % {"line": long, "max": limits.max_line_bytes},
                      "line_too_long")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    end = data.find(b"\n")
    first = data[:end] if end >= 0 else data
    delimiter = max((b",", b";", b"\t"), key=first.count)
    columns = first.count(delimiter) + 1
    if columns > limits.max_columns:
        raise _refuse(_("Berkas punya %(n)s kolom; batasnya %(max)s.") % {"n": columns, "max": limits.max_columns},
                      "too_many_columns")
    if lines - 1 > limits.max_rows:
        raise _refuse(_("Berkas berisi %(n)s baris; batasnya %(max)s. Pecah menjadi beberapa berkas.") % {
            "n": lines - 1, "max": limits.max_rows}, "too_many_rows")
    if lines * columns > limits.max_cells:
        raise _refuse(_("Berkas berisi %(n)s sel; batasnya %(max)s. Pecah menjadi beberapa berkas.") % {
            "n": lines * columns, "max": limits.max_cells}, "too_many_cells")
    try:
        frame = pl.read_csv(data, separator=delimiter.decode(), infer_schema=False, quote_char='"',
                            truncate_ragged_lines=True, empty_string_is_null=False)
    except pl.exceptions.PolarsError:
        csv.field_size_limit(max(limits.max_line_bytes, 131072))
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter.decode()))
        if not rows:
            raise ValidationFailed(_("Berkas kosong."), code="empty_file") from None
        width = len(rows[0])
        frame = pl.DataFrame([r[:width] + [""] * (width - len(r)) for r in rows[1:]],
                             schema=_unique_headers(rows[0]), orient="row")
    return frame, notes, has_controls(data)


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for header in headers:
        name = header
        while name in seen:
            seen[header] += 1
            name = f"{header}_{seen[header]}"
        seen.setdefault(name, 0)
        unique.append(name)
    return unique
