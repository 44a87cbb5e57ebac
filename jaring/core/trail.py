"""Reading the audit trail: filters, an area scope and keyset paging (issue 15 point 4).

The trail grows to tens of millions of events, so a page is found by a cursor on ``(at, id)``
descending (no OFFSET, no count of the table): the next page starts below the last row shown. Each
filter has an index that starts with its column and ends with ``(at, id)`` (migration 0005), so a
filtered first page is a short walk of one index.

The area scope comes from the caller (``accounts.selectors.Scope.codes``; core imports no domain
app): ``None`` shows every event, a list of region codes shows the events of those subtrees (events
with no region, such as sign-ins and reads, belong to no area and are left out).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.core.models import AuditEvent

PAGE_SIZE = 50
CHANNELS = ("web", "api", "cli", "task")
_ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class TrailFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    area: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    next_cursor: str  # blank on the last page


def _subtree(code: str) -> Q:
    return Q(region_code=code) | Q(region_code__startswith=code + ".")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def trail_queryset(filters: TrailFilters, *, codes: Sequence[str] | None) -> QuerySet[AuditEvent]:
    """Events matching ``filters`` inside the area ``codes`` (``None``: everywhere), newest first."""
    qs = AuditEvent.objects.all()
    if codes is not None:
        scope = Q(pk__in=[])
        for code in codes:
            scope |= _subtree(code)
        qs = qs.filter(scope)
    if filters.actor:
        qs = qs.filter(actor_label=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.area:
        qs = qs.filter(_subtree(filters.area))
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to and filters.date_to < dt.date.max:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    return qs.order_by("-at", "-id")


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S.%f')}_{event.pk}"


def decode_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    """The ``(at, id)`` a cursor points below; ``None`` for a blank or malformed one (first page)."""
    stamp, _sep, ident = (raw or "")[:64].partition("_")
    if not ident.isascii() or not ident.isdigit() or len(ident) > 19 or int(ident) > _ID_MAX:
        return None
    try:
        at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return at, int(ident)


def _below(qs: QuerySet[AuditEvent], cursor: tuple[dt.datetime, int] | None) -> QuerySet[AuditEvent]:
    if cursor is None:
        return qs
    at, ident = cursor
    return qs.filter(Q(at__lt=at) | Q(at=at, id__lt=ident))


def trail_page(filters: TrailFilters, *, codes: Sequence[str] | None, cursor: str = "",
               size: int = PAGE_SIZE) -> TrailPage:
    """One page of the trail below ``cursor``, and the cursor of the next page."""
    rows = list(_below(trail_queryset(filters, codes=codes), decode_cursor(cursor))
                .select_related(None)[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return TrailPage(events=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else "")


def trail_iter(filters: TrailFilters, *, codes: Sequence[str] | None, limit: int,
               chunk: int = 2000) -> Iterator[AuditEvent]:
    """Up to ``limit`` events, newest first, fetched page by page on the cursor (for exports)."""
    cursor = ""
    sent = 0
    while sent < limit:
        page = trail_page(filters, codes=codes, cursor=cursor, size=min(chunk, limit - sent))
        yield from page.events
        sent += len(page.events)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(event: AuditEvent) -> list[tuple[str, str, str, bool]]:
    """``before``/``after`` side by side: (field, before, after, changed) for every field either holds."""
    before = event.before if isinstance(event.before, dict) else ({"": event.before} if event.before else {})
    after = event.after if isinstance(event.after, dict) else ({"": event.after} if event.after else {})
    keys = list(before) + [k for k in after if k not in before]
    return [(str(k), _shown(before.get(k)), _shown(after.get(k)), before.get(k) != after.get(k)) for k in keys]


# --- One object's history on its own page (issue 15 point 5) -------------------------------------
#
# The person, household, membership and claim pages show the newest events of their object to the
# roles holding ``history.read``: who changed what, when. One query on the ``audit_object_at`` index
# (object_type, object_id, at, id), newest first, one row more than shown to know whether more exist.
# The auditor's page reads, which the ``personal_data`` decorator records on the same object (no
# ``before``, an ``after`` of the path and the query), are not changes and are left out; the
# audited actions of services (a NIK shown whole, a scan opened) stay in.

HISTORY_SIZE = 20
HISTORY_ALL = 200  # "?riwayat=semua": the page asks for every recent event, still bounded
HISTORY_PARAM = "riwayat"
HISTORY_ALL_VALUE = "semua"
_VALUE_MAX = 300
_LONG_DIGITS = re.compile(r"\d{16}")

# What an action did, in words for staff; an action not listed shows its code.
ACTION_LABELS: dict[str, Any] = {
    "person.register": _("Didaftarkan"),
    "person.update": _("Data diubah"),
    "person.import_update": _("Diubah lewat impor berkas"),
    "person.change_nik": _("NIK diganti"),
    "person.reveal_nik": _("NIK ditampilkan utuh"),
    "person.assign_kpj": _("Nomor KPJ dicatat"),
    "person.set_household": _("Keluarga atau hubungan diubah"),
    "person.merge": _("Data ganda digabung ke data ini"),
    "person.merge_undo": _("Penggabungan dibatalkan"),
    "person.set_reminders": _("Pengaturan pengingat diubah"),
    "person.verify_nik": _("NIK diperiksa ke Dukcapil"),
    "membership.move": _("Dipindahkan dari data yang digabung"),
    "claim.move": _("Dipindahkan dari data yang digabung"),
    "fieldwork.move": _("Dipindahkan dari data yang digabung"),
    "reminder.move": _("Dipindahkan dari data yang digabung"),
    "household.create": _("Keluarga dibuat"),
    "household.update": _("Data keluarga diubah"),
    "household.change_kk": _("Nomor KK diganti"),
    "household.reveal_kk": _("Nomor KK ditampilkan utuh"),
    "membership.enrol": _("Didaftarkan sebagai peserta"),
    "membership.enrol_collective": _("Didaftarkan sebagai peserta"),
    "membership.submit": _("Diajukan ke BPJSTK"),
    "membership.activate": _("Kepesertaan aktif"),
    "membership.reject": _("Ditolak BPJSTK"),
    "membership.end": _("Kepesertaan diakhiri"),
    "membership.reactivate": _("Kepesertaan diaktifkan kembali"),
    "membership.move_start": _("Tanggal mulai digeser"),
    "claim.open": _("Klaim dilaporkan"),
    "claim.outcome": _("Akibat kejadian dicatat"),
    "claim.report_made": _("Laporan ke BPJSTK dicatat"),
    "claim.heir_add": _("Ahli waris ditambahkan"),
    "claim.child_add": _("Anak ditambahkan"),
    "claim.child_update": _("Data anak diubah"),
    "claim.child_end": _("Beasiswa anak berhenti"),
    "claim.document": _("Dokumen diterima"),
    "claim.documents_complete": _("Dokumen lengkap"),
    "claim.scan_add": _("Pindaian diunggah"),
    "claim.scan_view": _("Pindaian dibuka"),
    "claim.scan_delete": _("Pindaian dihapus"),
    "claim.submit": _("Diajukan ke BPJSTK"),
    "claim.settle": _("Pembayaran BPJSTK dicatat"),
    "claim.reject": _("Ditolak BPJSTK"),
    "claim.lapse": _("Klaim kedaluwarsa"),
    "claim.follow_up": _("Klaim lanjutan dibuat"),
}

# The fields of the registry's snapshots in the words of their forms; any other field shows its key.
FIELD_LABELS: dict[str, Any] = {
    "nik": _("NIK"),
    "full_name": _("Nama lengkap"),
    "birth_place": _("Tempat lahir"),
    "birth_date": _("Tanggal lahir"),
    "sex": _("Jenis kelamin"),
    "kelurahan": _("Kelurahan"),
    "household": _("Keluarga"),
    "relationship": _("Hubungan dalam keluarga"),
    "phone": _("Nomor HP"),
    "occupation": _("Pekerjaan"),
    "declared_income_idr": _("Penghasilan yang dilaporkan (Rp)"),
    "disability": _("Disabilitas"),
    "consent_basis": _("Dasar pemrosesan data (UU 27/2022)"),
    "consent_date": _("Tanggal persetujuan"),
    "data_source": _("Sumber data"),
    "death_date": _("Meninggal"),
    "nik_verification": _("Dukcapil"),
    "kk": _("Nomor KK"),
    "address": _("Alamat"),
    "welfare_decile": _("Desil kesejahteraan (1–10)"),
    "decile_source": _("Sumber data desil"),
    "decile_date": _("Tanggal data desil"),
    "pkh_beneficiary": _("Keluarga penerima PKH"),
    "status": _("Status"),
    "reason": _("Alasan"),
}


@dataclass(frozen=True)
class HistoryRow:
    event: AuditEvent
    label: str  # the action in words
    changes: list[tuple[str, str, str]]  # (field, before, after) of the fields that changed, shown masked


@dataclass(frozen=True)
class ObjectHistory:
    object_type: str
    object_id: str  # the page's own object (the audit trail link); a panel may span several
    rows: list[HistoryRow]
    more: bool  # older events exist beyond ``rows``
    expanded: bool = False  # the page asked for the longer list

    @property
    def anchor(self) -> str:
        return "riwayat-" + re.sub(r"[^a-z0-9]+", "-", self.object_type.lower())


def masked(text: str) -> str:
    """A value as the history shows it: a 16-digit number (a NIK or a KK) masked, at most 300 characters.
    Services store identifiers masked already; this is the display's own guard."""
    text = _LONG_DIGITS.sub(lambda m: m[0][:4] + "*" * 8 + m[0][-4:], text)
    return text if len(text) <= _VALUE_MAX else text[:_VALUE_MAX - 1] + "…"


def _value(raw: str, value: Any) -> str:
    if value is True:
        return str(_("Ya"))
    if value is False:
        return str(_("Tidak"))
    return masked(raw)


def _history_row(event: AuditEvent) -> HistoryRow:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = [(str(FIELD_LABELS.get(field, field)), _value(b, before.get(field)), _value(a, after.get(field)))
            for field, b, a, changed in changes(event) if changed and (b or a)]
    return HistoryRow(event=event, label=str(ACTION_LABELS.get(event.action, event.action)), changes=rows)


def _page_read() -> Q:
    """An auditor's page read as ``jaring.accounts.reads.record_read`` writes it."""
    return Q(before__isnull=True, after__has_keys=["path", "query"])


def object_history(object_type: str, object_ids: Iterable[object], *, limit: int = HISTORY_SIZE,
                   expanded: bool = False) -> ObjectHistory:
    """The newest ``limit`` events of the objects ``object_ids`` of ``object_type`` (newest first,
    page reads left out), each with its changed fields, and whether older ones exist. One query; none
    when there is no object. The caller has already shown the objects are the user's to see."""
    ids = list(dict.fromkeys(str(i) for i in object_ids))
    first = ids[0] if ids else ""
    if not ids:
        return ObjectHistory(object_type=object_type, object_id=first, rows=[], more=False, expanded=expanded)
    qs = AuditEvent.objects.filter(object_type=object_type)
    qs = qs.filter(object_id=first) if len(ids) == 1 else qs.filter(object_id__in=ids)
    events = list(qs.exclude(_page_read()).defer("ip").order_by("-at", "-id")[:limit + 1])
    return ObjectHistory(object_type=object_type, object_id=first, rows=[_history_row(e) for e in events[:limit]],
                         more=len(events) > limit, expanded=expanded)


def history_for(request: Any, object_type: str, object_ids: Iterable[object], *,
                allowed: bool) -> ObjectHistory | None:
    """A page's history section: ``None`` (and no query) unless ``allowed`` (the user holds
    ``history.read``); the longer list when the page was opened with ``?riwayat=semua``."""
    if not allowed:
        return None
    expanded = request.GET.get(HISTORY_PARAM) == HISTORY_ALL_VALUE
    return object_history(object_type, object_ids, limit=HISTORY_ALL if expanded else HISTORY_SIZE,
                          expanded=expanded)
