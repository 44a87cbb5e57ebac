"""Reading field submissions out of a KoboToolbox XLSX export or an ODK Central OData JSON file.

Pure parsing: no database. Each submission comes out with its household answers, its members
(the ``anggota`` repeat) and the identifiers that make re-importing safe:

- ``instance_id`` — ``meta/instanceID`` (``uuid:…``) of this version of the submission;
- ``deprecated_id`` — ``meta/deprecatedID`` when the submission is an edit of an earlier version;
- ``root_id`` — the id of the first version: ODK Central's ``__id`` (it stays the same when a
  submission is edited in Central) or Kobo's ``meta/rootUuid``.

Kobo XLSX export ("XML values and headers"): one sheet of submissions with ``_index``, ``_uuid``
and ``_submission_time``; one sheet per repeat, whose ``_parent_index`` is the ``_index`` of its
submission. Headers may carry the group path (``keluarga/anggota/nik``) or not (``nik``): only the
last part is used. ODK Central: the data document of ``…/forms/{id}.svc/Submissions?$expand=*``,
``{"value": [{"__id", "__system", "meta": {"instanceID"}, …, "anggota": [{…}, …]}]}``.

Every cell is read as text. A NIK or KK that Excel turned into a number is kept in the form
Excel damaged it into (``9.271011E+15``) so the registry's rules reject it; it is never "repaired".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed

REPEAT = "anggota"
IDENTIFIERS = frozenset({"nik", "no_kk"})
MAX_BYTES = 100 * 1024 * 1024
KOBO = "kobo"
ODK = "odk"

# Kobo's own columns: on the submissions sheet and, prefixed with ``_submission_``, on repeat sheets.
KOBO_SYSTEM = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
               "__version__", "_tags", "_index", "_parent_table_name", "_parent_index")


@dataclass
class Member:
    position: int  # 1-based place in the submission's repeat
    values: dict[str, str]
    row: int | None = None  # Kobo: the row on the repeat sheet
    key: str = ""  # Kobo ``_index`` of the repeat row; ODK the repeat instance's ``__id``


@dataclass
class Submission:
    source: str
    instance_id: str
    values: dict[str, str]
    members: list[Member]
    raw: dict[str, Any]
    root_id: str = ""
    deprecated_id: str = ""
    form_id: str = ""
    form_version: str = ""
    submitted_at: dt.datetime | None = None
    submitted_by: str = ""
    review_state: str = ""
    latitude: float | None = None
    longitude: float | None = None
    row: int | None = None  # Kobo: the row on the submissions sheet; ODK: the position in ``value``
    problem: str = ""  # a reason code when the file itself gives no usable submission here


@dataclass
class ParsedFile:
    source: str
    submissions: list[Submission]
    # Repeat rows whose submission is not in the file: counted (and rejected), never dropped.
    orphans: list[Member] = field(default_factory=list)

    @property
    def member_rows(self) -> int:
        return sum(len(s.members) for s in self.submissions) + len(self.orphans)


def with_uuid_prefix(value: str) -> str:
    value = (value or "").strip()
    if value and not value.startswith("uuid:") and re.fullmatch(r"[0-9a-fA-F-]{32,36}", value):
        return "uuid:" + value
    return value


def _text(value: Any, name: str = "") -> str:
    """A cell or JSON value as the text a person typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and name in IDENTIFIERS:
        # Kobo writes text answers as text: a number here went through Excel, which keeps 15
        # significant digits. Show it as Excel did (the NIK/KK rules reject that form).
        return f"{float(value):E}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _short(header: str) -> str:
    return header.rsplit("/", 1)[-1].strip()


def _aware(text: str) -> dt.datetime | None:
    """``2026-11-20T02:15:33`` (Kobo, UTC) or ``2026-11-20T02:15:33.120Z`` (Central) → aware UTC."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_geopoint(value: Any) -> tuple[float | None, float | None, str]:
    """ODK ``lat lon alt acc``, GeoJSON ``{"type": "Point", "coordinates": [lon, lat, alt]}`` or WKT
    ``POINT (lon lat alt)`` → (latitude, longitude, ODK text)."""
    lat = lon = None
    if isinstance(value, dict) and value.get("type") == "Point":
        coords = value.get("coordinates") or []
        if len(coords) >= 2:
            lon, lat = float(coords[0]), float(coords[1])
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        wkt = re.fullmatch(r"POINT\s*Z?\s*\(\s*([-\d.]+)\s+([-\d.]+).*\)", text, flags=re.IGNORECASE)
        try:
            if wkt:
                lon, lat = float(wkt.group(1)), float(wkt.group(2))
            else:
                parts = text.split()
                lat, lon = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            return None, None, text
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, _text(value) if not isinstance(value, dict) else ""
    return lat, lon, f"{lat} {lon}"


# --- KoboToolbox XLSX -------------------------------------------------------------------------

def _read_sheets(path: Path) -> dict[str, tuple[list[str], list[tuple[int, list[Any]]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed(_("Berkas Excel tidak bisa dibaca: %(err)s") % {"err": str(exc)[:200]}) from None
    try:
        tables: dict[str, tuple[list[str], list[tuple[int, list[Any]]]]] = {}
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if not header:
                continue
            headers = [str(h).strip() if h is not None else "" for h in header]
            data = [(number, list(row)) for number, row in enumerate(rows, start=2)
                    if row and any(v not in (None, "") for v in row)]
            tables[sheet.title] = (headers, data)
        return tables
    finally:
        book.close()


def kobo_header_looks_right(headers: list[str]) -> bool:
    return {"_uuid", "_index", "_submission_time"} <= set(headers)


def _record(headers: list[str], row: list[Any]) -> dict[str, Any]:
    return {h: row[i] if i < len(row) else None for i, h in enumerate(headers) if h}


def _answers(record: dict[str, Any]) -> dict[str, str]:
    """Question answers by their last path part; Kobo's own ``_…`` columns left out."""
    answers: dict[str, str] = {}
    for header, value in record.items():
        if header in KOBO_SYSTEM or header.startswith("_submission_"):
            continue
        name = _short(header)
        if name not in answers or not answers[name]:
            answers[name] = _text(value, name)
    return answers


def read_kobo_xlsx(path: Path) -> ParsedFile:
    tables = _read_sheets(path)
    mains = [t for t, (h, _rows) in tables.items() if kobo_header_looks_right(h) and "_parent_index" not in h]
    if not mains:
        raise ValidationFailed(
            _("Ini bukan ekspor XLSX KoboToolbox: tidak ada lembar dengan kolom _uuid, _index dan "
              "_submission_time. Ekspor ulang dari Kobo dengan format XLS dan \"XML values and headers\"."),
            code="not_kobo")
    repeats = [t for t, (h, _rows) in tables.items() if "_parent_index" in h]
    member_sheet = next((t for t in repeats if t == REPEAT), None) or next(
        (t for t in repeats if "nik" in {_short(h) for h in tables[t][0]}), None)
    headers, rows = tables[mains[0]]
    if "persetujuan" not in {_short(h) for h in headers} or (repeats and member_sheet is None):
        raise ValidationFailed(
            _("Ekspor Kobo ini tidak memakai nama pertanyaan formulir Jaring (persetujuan, kelurahan, anggota/nik…). "
              "Ekspor ulang dengan \"XML values and headers\" dari formulir jaring_rumah_tangga."),
            code="kobo_headers")
    submissions: list[Submission] = []
    by_index: dict[str, Submission] = {}
    by_uuid: dict[str, Submission] = {}
    for number, row in rows:
        record = _record(headers, row)
        values = _answers(record)
        uuid = _text(record.get("_uuid"))
        instance = with_uuid_prefix(_text(record.get("meta/instanceID")) or values.get("instanceID", "")
                                    or uuid)
        lat, lon, point = parse_geopoint(values.get("lokasi", ""))
        if lat is None and values.get("_lokasi_latitude"):
            lat, lon, point = parse_geopoint(f"{values['_lokasi_latitude']} {values.get('_lokasi_longitude', '')}")
        values["lokasi"] = point
        submission = Submission(
            source=KOBO, instance_id=instance, values=values, members=[],
            raw={"sheet": mains[0], "row": number, "values": {h: _text(v, _short(h)) for h, v in record.items()},
                 REPEAT: []},
            root_id=with_uuid_prefix(_text(record.get("meta/rootUuid")) or values.get("rootUuid", "")),
            deprecated_id=with_uuid_prefix(_text(record.get("meta/deprecatedID")) or values.get("deprecatedID", "")),
            form_version=_text(record.get("__version__")),
            submitted_at=_aware(_text(record.get("_submission_time"))),
            submitted_by=_text(record.get("_submitted_by")),
            review_state=_text(record.get("_validation_status")),
            latitude=lat, longitude=lon, row=number,
            problem="" if instance else "no_instance_id")
        submissions.append(submission)
        by_index[_text(record.get("_index"))] = submission
        if uuid:
            by_uuid[uuid.removeprefix("uuid:")] = submission
    orphans: list[Member] = []
    if member_sheet is not None:
        member_headers, member_rows = tables[member_sheet]
        for number, row in member_rows:
            record = _record(member_headers, row)
            parent = by_index.get(_text(record.get("_parent_index"))) or by_uuid.get(
                _text(record.get("_submission__uuid")).removeprefix("uuid:"))
            values = _answers(record)
            if parent is None:
                orphans.append(Member(position=0, values=values, row=number, key=_text(record.get("_index"))))
                continue
            parent.members.append(Member(position=len(parent.members) + 1, values=values, row=number,
                                         key=_text(record.get("_index"))))
            parent.raw[REPEAT].append({h: _text(v, _short(h)) for h, v in record.items()})
    return ParsedFile(source=KOBO, submissions=submissions, orphans=orphans)


# --- ODK Central OData JSON -------------------------------------------------------------------

def _flatten(node: dict[str, Any], into: dict[str, str], repeats: dict[str, Any]) -> None:
    for key, value in node.items():
        if key.startswith("__") or "@odata" in key or key == "meta":
            if key.endswith("@odata.navigationLink"):
                repeats.setdefault(key.split("@", 1)[0], None)
            continue
        if isinstance(value, list):
            repeats[key] = value
        elif isinstance(value, dict) and value.get("type") == "Point":
            into[key] = parse_geopoint(value)[2]
        elif isinstance(value, dict):
            _flatten(value, into, repeats)
        else:
            into[key] = _text(value, key)


def read_odk_json(path: Path) -> ParsedFile:
    if path.stat().st_size > MAX_BYTES:
        raise ValidationFailed(_("Berkas terlalu besar (batas %(mb)s MB).") % {"mb": MAX_BYTES // 2**20})
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(_("Berkas JSON tidak bisa dibaca: %(err)s") % {"err": str(exc)[:200]}) from None
    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        raise ValidationFailed(
            _("Ini bukan data OData ODK Central: tidak ada larik \"value\". Unduh dari "
              "…/forms/ID.svc/Submissions?$expand=*"), code="not_odk")
    context = str(document.get("@odata.context") or "")
    found = re.search(r"/forms/([^/]+?)\.svc", context)
    form_id = urllib.parse.unquote(found.group(1)) if found else ""
    submissions: list[Submission] = []
    for number, entry in enumerate(document["value"], start=1):
        if not isinstance(entry, dict):
            submissions.append(Submission(source=ODK, instance_id="", values={}, members=[], raw={},
                                          row=number, problem="not_a_submission"))
            continue
        meta = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
        system = entry["__system"] if isinstance(entry.get("__system"), dict) else {}
        values: dict[str, str] = {}
        repeats: dict[str, Any] = {}
        _flatten(entry, values, repeats)
        lat, lon, point = parse_geopoint(_find(entry, "lokasi"))
        values["lokasi"] = point
        members = []
        for position, item in enumerate(repeats.get(REPEAT) or [], start=1):
            member_values: dict[str, str] = {}
            if isinstance(item, dict):
                _flatten(item, member_values, {})
            members.append(Member(position=position, values=member_values,
                                  key=str(item.get("__id", "")) if isinstance(item, dict) else ""))
        instance = with_uuid_prefix(_text(meta.get("instanceID")) or _text(entry.get("__id")))
        problem = ""
        if not instance:
            problem = "no_instance_id"
        elif REPEAT in repeats and repeats[REPEAT] is None:
            problem = "repeat_not_expanded"
        submissions.append(Submission(
            source=ODK, instance_id=instance, values=values, members=members, raw=entry,
            root_id=with_uuid_prefix(_text(entry.get("__id"))),
            deprecated_id=with_uuid_prefix(_text(meta.get("deprecatedID"))),
            form_id=form_id, form_version=_text(system.get("formVersion")),
            submitted_at=_aware(_text(system.get("submissionDate"))),
            submitted_by=_text(system.get("submitterName")), review_state=_text(system.get("reviewState")),
            latitude=lat, longitude=lon, row=number, problem=problem))
    return ParsedFile(source=ODK, submissions=submissions)


def _find(node: Any, name: str) -> Any:
    """The first value under ``name`` anywhere in the submission's groups (not inside repeats)."""
    if isinstance(node, dict):
        if name in node:
            return node[name]
        for key, value in node.items():
            if isinstance(value, dict) and not key.startswith("__"):
                found = _find(value, name)
                if found is not None:
                    return found
    return None


# --- Detection --------------------------------------------------------------------------------

def looks_like_kobo(path: Path) -> bool:
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            for sheet in book.worksheets:
                header = next(sheet.iter_rows(max_row=1, values_only=True), None) or ()
                if kobo_header_looks_right([str(h).strip() for h in header if h is not None]):
                    return True
        finally:
            book.close()
    except Exception:  # a file that cannot be opened is not ours to claim
        return False
    return False


def looks_like_odk(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(65536).decode("utf-8-sig", errors="ignore").lstrip()
    except OSError:
        return False
    return head.startswith("{") and '"value"' in head
