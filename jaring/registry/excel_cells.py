"""Which cells of an XLSX sheet hold a *number* (not text): run in the reading worker.

The importer reads every cell as text (``core.tables``), so a NIK Excel stored as a number looks
like any other NIK once read, but it is not: Excel keeps 15 significant digits, and the 16th digit
of a NIK or KK typed into a number cell is lost (DOMAIN §3). The cell's type is in the sheet's XML:
a ``<c>`` without a ``t`` attribute, or with ``t="n"``, is a number. This module reads only that,
with regular expressions over the sheet (the container was checked by ``tables.inspect_workbook``
first, ``run_isolated(preflight=...)``), and imports no models: it runs in ``core.sandbox``'s worker.
"""

from __future__ import annotations

import re
import zipfile
from html import unescape
from pathlib import Path

from jaring.core.tables import _attributes, _workbook_sheets, column_number

_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.S)
_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*>(.*?)</(?:\w+:)?si>", re.S)
_REF = re.compile(r"^\$?([A-Za-z]{1,6})\$?(\d{1,12})$")
NUMBER_TYPES = ("", "n")


def _text_of(inner: bytes) -> str:
    return unescape("".join(m[1].decode("utf-8", "replace") for m in _TEXT.finditer(inner)))


def _shared(book: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings with the given indexes (the header cells'), read no further than needed."""
    if not wanted:
        return {}
    try:
        data = book.read("xl/sharedStrings.xml")
    except KeyError:
        return {}
    found: dict[int, str] = {}
    last = max(wanted)
    for index, m in enumerate(_SI.finditer(data)):
        if index in wanted:
            found[index] = _text_of(m[1])
        if index >= last:
            break
    return found


def numeric_rows_here(path: str, sheet: str | None, headers: list[str]) -> dict[str, list[int]]:
    """Header → the rows (numbered as the reader numbers them: ``tables.ROW``) whose cell in that
    column is stored as a number.

    Counted as the reader (calamine through polars) counts: the header is the sheet's first row
    with a value, and the rows after it that hold no value are skipped, so the first data row is 2
    and a blank row takes no number. A cell without a reference (``r``) is placed after the
    previous one, as Excel does."""
    with zipfile.ZipFile(Path(path)) as book:
        sheets = _workbook_sheets(book)
        member = next((m for name, m in sheets if name == sheet), None) if sheet else sheets[0][1]
        if member is None:
            return {}
        data = book.read(member)
        rows = _ROW.finditer(data)
        header_cells: list[tuple[int, bytes, bytes]] = []
        for row in rows:
            cells = _cells(row[1] or b"")
            if _has_value(cells):
                header_cells = cells
                break
        shared = _shared(book, {int(v[1]) for _c, t, inner in header_cells if t == b"s"
                                for v in [_VALUE.search(inner)] if v and v[1].strip().isdigit()})
        names: dict[int, str] = {}
        for col, kind, inner in header_cells:
            value = _VALUE.search(inner)
            if kind == b"s" and value and value[1].strip().isdigit():
                names[col] = shared.get(int(value[1]), "")
            elif kind == b"inlineStr":
                names[col] = _text_of(inner)
            elif value:
                names[col] = unescape(value[1].decode("utf-8", "replace"))
        by_name = {header.strip(): header for header in headers}
        wanted: dict[int, str] = {}
        for col, name in sorted(names.items()):
            if name.strip() in by_name and by_name[name.strip()] not in wanted.values():
                wanted[col] = by_name[name.strip()]
        found: dict[str, list[int]] = {name: [] for name in wanted.values()}
        if not wanted:
            return found
        row_number = 1  # the header's
        for row in rows:  # the rows after the header
            cells = _cells(row[1] or b"")
            if not _has_value(cells):
                continue  # the reader skips it
            row_number += 1
            for col, kind, inner in cells:
                if col in wanted and kind.decode() in NUMBER_TYPES and _VALUE.search(inner):
                    found[wanted[col]].append(row_number)
        return found


def _has_value(cells: list[tuple[int, bytes, bytes]]) -> bool:
    return any(_VALUE.search(inner) or _TEXT.search(inner) for _col, _type, inner in cells)


def _cells(row: bytes) -> list[tuple[int, bytes, bytes]]:
    """(column number, type attribute, inner XML) of each cell of a row."""
    cells = []
    column = 0
    for m in _CELL.finditer(row):
        attrs = _attributes(m[1])
        ref = _REF.match(attrs.get("r", ""))
        column = column_number(ref[1]) if ref else column + 1
        cells.append((column, attrs.get("t", "").encode(), m[2] or b""))
    return cells
