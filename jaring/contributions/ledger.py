"""BPJSTK's ledger mirrored (ARCHITECTURE invariant 11, decision 0035).

Self-payers pay BPJSTK directly; the city learns of those payments, of non-active status and of
rejected registrations from BPJSTK's files. BPJSTK's ledger is the truth for them: Jaring applies
every row that matches exactly, and every other row goes to the review list
(``StatementReviewRow``) with its reason — it is never applied.

This module reads and matches (set-based: a few queries per 500 rows); the writes are
``contributions.services``' (``statement_payments_apply``, ``statement_import_record``). Each file
runs as a ``core.Job`` (``statement_run``): read in the sandboxed worker (``core.tables.read_table``:
a huge, binary or badly encoded file is refused with a reason), matched and applied in **one
transaction** (a failure half-way leaves nothing applied), recorded with its review list and one
audit event, and reported in an XLSX file (a sheet per bucket, NIKs masked, formulas
neutralised). Every row ends in exactly one bucket: applied, unchanged or review (``invalid``
is a review reason); the counts add up to the file's rows. Importing the same file again changes
nothing. ``membership.exchange`` runs the status and rejection files through the same runner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.contributions.models import Due, Payment, PaymentAllocation, StatementImport, StatementReviewRow
from jaring.contributions.services import (
    StatementPayment,
    StatementReview,
    statement_import_record,
    statement_payments_apply,
)
from jaring.core.errors import ValidationFailed
from jaring.core.jobs import JobCancelled, Progress, job_begin, job_finish
from jaring.core.models import Job
from jaring.core.money import add_months, format_idr, format_month
from jaring.core.services import job_create
from jaring.core.tables import CONTROL, ROW, header_key, quote, quote_list, read_table, safe_cell, save_workbook
from jaring.membership.models import Membership, Payer
from jaring.registry.identity import clean_digits, kpj_clean, mask_identifier, nik_findings
from jaring.registry.importing import MONTHS, bold_row, default_report_path
from jaring.registry.selectors import nik_index_of, person_queryset
from jaring.registry.services import kpj_problem

APPLIED, UNCHANGED, REVIEW = "applied", "unchanged", "review"
INVALID = "invalid"
APPLY_CHUNK = 1000  # exact rows written per call of statement_payments_apply

# Review reasons: code → (sheet title, at most 31 characters). The texts are the outcomes' own.
REASON_TITLES: dict[str, str] = {
    INVALID: gettext_noop("Baris tidak sah"),
    "unknown_person": gettext_noop("Orang tidak dikenal"),
    "not_self_payer": gettext_noop("Bukan peserta mandiri"),
    "other_payer": gettext_noop("Pembayar lain"),
    "not_billed": gettext_noop("Bulan belum ditagih"),
    "amount_differs": gettext_noop("Jumlah berbeda"),
    "already_paid": gettext_noop("Sudah lunas di Jaring"),
    "due_void": gettext_noop("Iuran dibatalkan"),
    "duplicate_in_file": gettext_noop("Baris ganda"),
    "no_active_membership": gettext_noop("Tidak ada yang aktif"),
    "not_active_in_jaring": gettext_noop("Belum aktif di Jaring"),
    "ended_in_jaring": gettext_noop("Sudah berakhir di Jaring"),
    "no_membership": gettext_noop("Belum pernah terdaftar"),
    "end_before_start": gettext_noop("Berakhir sebelum mulai"),
    "not_pending": gettext_noop("Tidak menunggu BPJSTK"),
}

# Header names as header_key() reads them (case, spaces and punctuation ignored).
KPJ_HEADERS = ("kpj", "nokpj", "nomorkpj", "nomorpeserta", "nopeserta", "nokartu")
NIK_HEADERS = ("nik", "nonik", "nomornik", "nomorindukkependudukan", "noktp")
PAYMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "kpj": KPJ_HEADERS,
    "nik": NIK_HEADERS,
    "month": ("bulan", "periode", "month", "period", "bulaniuran", "periodeiuran", "blth", "bln", "masaiuran"),
    "amount": ("iuran", "jumlah", "amount", "nominal", "jumlahiuran", "nominaliuran", "jumlahbayar", "totaliuran",
               "iurandibayar"),
    "paid_on": ("tanggalbayar", "tglbayar", "tanggalpembayaran", "tglpembayaran", "paidon", "paymentdate",
                "tanggaltransaksi", "tgltransaksi", "tanggal", "tgl"),
    "channel": ("saluran", "channel", "kanal", "saluranbayar", "saluranpembayaran", "mediapembayaran", "mediabayar",
                "tempatbayar", "carabayar", "mitra"),
}

# What people write for a channel → Payment.Channel; the first word found wins (order matters:
# "kantor pos" is a retail counter, "kantor cabang" BPJSTK's office).
CHANNEL_WORDS: tuple[tuple[str, str], ...] = (
    ("kantor pos", Payment.Channel.RETAIL), ("pos indonesia", Payment.Channel.RETAIL),
    ("indomaret", Payment.Channel.RETAIL), ("alfamart", Payment.Channel.RETAIL), ("alfamidi", Payment.Channel.RETAIL),
    ("pegadaian", Payment.Channel.RETAIL), ("gerai", Payment.Channel.RETAIL), ("ritel", Payment.Channel.RETAIL),
    ("retail", Payment.Channel.RETAIL),
    ("kantor cabang", Payment.Channel.BPJSTK_OFFICE), ("kantor bpjs", Payment.Channel.BPJSTK_OFFICE),
    ("loket", Payment.Channel.BPJSTK_OFFICE), ("bpjstk", Payment.Channel.BPJSTK_OFFICE),
    ("jmo", Payment.Channel.APP), ("aplikasi", Payment.Channel.APP), ("app", Payment.Channel.APP),
    ("gopay", Payment.Channel.APP), ("ovo", Payment.Channel.APP), ("dana", Payment.Channel.APP),
    ("linkaja", Payment.Channel.APP), ("shopeepay", Payment.Channel.APP), ("tokopedia", Payment.Channel.APP),
    ("dompet", Payment.Channel.APP), ("ewallet", Payment.Channel.APP), ("e-wallet", Payment.Channel.APP),
    ("bank", Payment.Channel.BANK), ("bni", Payment.Channel.BANK), ("bri", Payment.Channel.BANK),
    ("btn", Payment.Channel.BANK), ("bca", Payment.Channel.BANK), ("bsi", Payment.Channel.BANK),
    ("mandiri", Payment.Channel.BANK), ("atm", Payment.Channel.BANK), ("teller", Payment.Channel.BANK),
    ("transfer", Payment.Channel.BANK), ("autodebet", Payment.Channel.BANK), ("autodebit", Payment.Channel.BANK),
    ("virtual account", Payment.Channel.BANK), ("va", Payment.Channel.BANK),
    ("pendamping", Payment.Channel.FACILITATOR),
)


# --- Reading a file -------------------------------------------------------------------------------

@dataclass
class FileRow:
    number: int  # the row's number in the spreadsheet (the header is row 1)
    cells: dict[str, str]  # header_key → the cell as text, stripped


@dataclass
class StatementFile:
    name: str
    sha256: str
    rows: list[FileRow]
    headers: list[str]
    notes: list[str] = field(default_factory=list)

    def column(self, names: Iterable[str]) -> str | None:
        keys = {header_key(h) for h in self.headers}
        return next((name for name in names if name in keys), None)

    def columns(self, spec: dict[str, tuple[str, ...]], required: Iterable[tuple[str, ...]]) -> dict[str, str | None]:
        """Field → the header key that holds it; ``required``: groups of fields of which one must
        be there (``("kpj", "nik")``: a KPJ or a NIK). A file without them is refused whole."""
        found = {name: self.column(names) for name, names in spec.items()}
        missing = [" / ".join(group) for group in required if not any(found[f] for f in group)]
        if missing:
            raise ValidationFailed(
                _("Kolom wajib tidak ditemukan: %(cols)s. Judul kolom di berkas: %(headers)s") % {
                    "cols": ", ".join(missing), "headers": quote_list(self.headers, limit=30, most=15)},
                fields={"columns": missing}, code="missing_columns")
        return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_statement(path: Path, *, check: Callable[[], None] | None = None) -> StatementFile:
    """A BPJSTK file (CSV or XLSX) as rows of text keyed by ``header_key``, read in the sandboxed
    worker with the import limits: an empty, binary, huge or wrongly encoded file is refused with a
    ``ValidationFailed`` saying why. Blank lines are not rows."""
    table = read_table(path, check=check)
    frame = table.frame
    if frame is None:  # pragma: no cover - no detector is given, so a frame always comes back
        raise ValidationFailed(_("Berkas tidak bisa dibaca."), code="unreadable")
    headers = [c for c in frame.columns if c not in (ROW, CONTROL)]
    keys: dict[str, str] = {}
    for header in headers:
        keys.setdefault(header, header_key(header))
    rows: list[FileRow] = []
    cleaned = 0
    for record in frame.iter_rows(named=True):
        cells: dict[str, str] = {}
        for header in headers:
            cells.setdefault(keys[header], str(record[header] or "").strip())
        if not any(cells.values()):
            continue
        cleaned += bool(record.get(CONTROL))
        rows.append(FileRow(int(record[ROW]), cells))
    notes = list(table.notes)
    if cleaned:
        notes.append(_("Karakter kontrol tak terlihat dihapus dari %(n)s baris; periksa isinya.") % {"n": cleaned})
    return StatementFile(name=path.name, sha256=file_sha256(path), rows=rows, headers=headers, notes=notes)


# --- Reading cells --------------------------------------------------------------------------------

_NUMBER_ZEROS = re.compile(r"^(\d+)\.0$")  # a number cell of a spreadsheet read as text: "16800.0"


def parse_period(text: str) -> dt.date | None:
    """A month as statements write it: 2026-02, 2026-02-01, 02-2026, 02/2026, 202602, Feb 2026,
    Februari 2026. ``None`` when unreadable."""
    t = (text or "").strip().lower()
    patterns = ((r"(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", (1, 2)),
                (r"(\d{1,2})[-/.](\d{4})", (2, 1)), (r"(\d{4})(\d{2})", (1, 2)))
    for pattern, (year_at, month_at) in patterns:
        match = re.fullmatch(pattern, t)
        if match:
            year, month = int(match[year_at]), int(match[month_at])
            break
    else:
        match = re.fullmatch(r"([a-z]+)[\s\-/.,]+(\d{4})", t)
        if not match or match[1] not in MONTHS:
            return None
        year, month = int(match[2]), MONTHS[match[1]]
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return dt.date(year, month, 1)


def parse_day(text: str) -> dt.date | None:
    """A calendar date: 2026-02-10, 10-02-2026, 10/02/2026, 10.02.2026, 10 Februari 2026, an
    Excel serial number, or a spreadsheet date-time. ``None`` when unreadable."""
    t = (text or "").strip().lower()
    serial = _NUMBER_ZEROS.sub(r"\1", t)
    if re.fullmatch(r"\d{5}", serial) and 30000 <= int(serial) <= 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))
    named = re.fullmatch(r"(\d{1,2})[\s\-]+([a-z]+)[\s\-]+(\d{4})", t)
    if named and named[2] in MONTHS:
        t = f"{named[1]}-{MONTHS[named[2]]}-{named[3]}"
    head = re.split(r"[ t]", t, maxsplit=1)[0]
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(head, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        return day if 2000 <= day.year <= 2100 else None
    return None


def parse_amount(text: str) -> int | None:
    """Whole rupiah: 16800, 16.800, 16,800, Rp 16.800, 16800.00, 16.800,00. ``None`` when
    unreadable, not whole, or not positive."""
    t = re.sub(r"^rp\.?", "", (text or "").strip().lower()).replace(" ", "").replace("\u00a0", "")
    plain = re.fullmatch(r"(\d+)(?:[.,]0{1,2})?", t)
    grouped = re.fullmatch(r"(\d{1,3}(?:([.,])\d{3})+)(?:(?!\2)[.,]0{1,2})?", t)
    if plain:
        value = int(plain[1])
    elif grouped:
        value = int(re.sub(r"[.,]", "", grouped[1]))
    else:
        return None
    return value if value > 0 else None


def channel_of(text: str) -> str:
    """``Payment.Channel`` for what the statement says (other when it says nothing we know)."""
    t = " " + re.sub(r"[^a-z0-9\-]+", " ", (text or "").lower()) + " "
    for word, channel in CHANNEL_WORDS:
        if f" {word} " in t:
            return str(channel)
    return str(Payment.Channel.OTHER)


def _digits(text: str) -> str:
    return _NUMBER_ZEROS.sub(r"\1", (text or "").strip())


@dataclass
class Identity:
    """Who a row names: a KPJ (11 digits) or a NIK (by blind index, shown masked)."""

    kpj: str = ""
    nik_index: str | None = None
    nik_masked: str = ""
    problem: str = ""  # why the row names nobody (a broken KPJ or NIK, or neither given)

    @property
    def token(self) -> str:
        return self.kpj or f"nik:{self.nik_index}"


def identify(cells: dict[str, str], kpj_key: str | None, nik_key: str | None) -> Identity:
    raw_kpj = _digits(cells.get(kpj_key or "", ""))
    raw_nik = _digits(cells.get(nik_key or "", ""))
    identity = Identity()
    if raw_nik:
        digits = clean_digits(raw_nik)
        identity.nik_masked = mask_identifier(digits) if digits.isdigit() else quote(raw_nik, 20)
        identity.nik_index = nik_index_of(raw_nik)
    if raw_kpj:
        problem = kpj_problem(raw_kpj)
        if problem is None:
            identity.kpj = kpj_clean(raw_kpj)
        elif identity.nik_index is None:
            identity.problem = problem
    if not identity.kpj and identity.nik_index is None and not identity.problem:
        if raw_nik:
            findings = nik_findings(raw_nik)
            identity.problem = findings[0].message if findings else _("NIK tidak sah.")
        else:
            identity.problem = _("Baris tanpa KPJ atau NIK.")
    return identity


@dataclass(frozen=True)
class Known:
    person_id: int
    kpj: str


def persons_named(actor: User, identities: Iterable[Identity]) -> tuple[dict[str, Known], dict[str, Known]]:
    """The persons (in the actor's area, not merged) the rows name: by KPJ and by NIK blind index,
    a query per 500 of each."""
    kpjs = sorted({i.kpj for i in identities if i.kpj})
    indexes = sorted({i.nik_index for i in identities if i.nik_index})
    people = person_queryset(actor=actor)
    by_kpj: dict[str, Known] = {}
    by_nik: dict[str, Known] = {}
    for start in range(0, len(kpjs), 500):
        for pk, kpj in people.filter(kpj__in=kpjs[start:start + 500]).values_list("pk", "kpj"):
            if kpj:
                by_kpj[kpj] = Known(pk, kpj)
    for start in range(0, len(indexes), 500):
        for pk, kpj, index in people.filter(nik_index__in=indexes[start:start + 500]).values_list(
                "pk", "kpj", "nik_index"):
            by_nik[index] = Known(pk, kpj or "")
    return by_kpj, by_nik


def person_of(identity: Identity, by_kpj: dict[str, Known], by_nik: dict[str, Known]) -> Known | None:
    """The KPJ first (the person's for life); else the NIK."""
    if identity.kpj and identity.kpj in by_kpj:
        return by_kpj[identity.kpj]
    if identity.nik_index and identity.nik_index in by_nik:
        return by_nik[identity.nik_index]
    return None


def row_key(kind: str, *parts: Any) -> str:
    """A review row's identity: a hash of what the row says (a NIK only as its blind index)."""
    return hashlib.sha256(json.dumps([kind, *[str(p) for p in parts]], ensure_ascii=False).encode()).hexdigest()


# --- Outcomes and results -------------------------------------------------------------------------

Message = tuple[str, dict[str, Any]]  # an Indonesian msgid and its values


@dataclass
class Outcome:
    """What became of one row: its bucket (applied, unchanged, review) and, in review, its reason."""

    row: int
    bucket: str
    key: str
    reason: str = ""
    messages: list[Message] = field(default_factory=list)
    kpj: str = ""
    nik: str = ""  # masked
    period: dt.date | None = None
    amount_idr: int | None = None
    day: dt.date | None = None  # the payment date, or the status date
    label: str = ""  # what BPJSTK wrote: the channel, the status, the rejection reason (quoted)
    person_id: int | None = None
    membership_id: int | None = None
    change: Any = None  # for the audit event: what applying this row changed

    def text(self) -> str:
        return " ".join(_(msgid) % values if values else _(msgid) for msgid, values in self.messages)

    def text_id(self) -> str:
        """The reason in Indonesian (the msgids' language), as the review list keeps it."""
        with translation.override("id"):
            return " ".join(msgid % {k: str(v) for k, v in values.items()} if values else msgid
                            for msgid, values in self.messages)


def review(row: int, key: str, reason: str, msgid: str, values: dict[str, Any] | None = None,
           **fields: Any) -> Outcome:
    return Outcome(row=row, bucket=REVIEW, key=key, reason=reason, messages=[(msgid, values or {})], **fields)


@dataclass
class StatementResult:
    kind: str
    file_name: str = ""
    sha256: str = ""
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)  # payments: open dues the file does not have
    missing_count: int = 0
    report: str | None = None
    job_id: int | None = None
    statement_id: int | None = None

    def summary(self) -> dict[str, Any]:
        by_reason: dict[str, int] = {}
        for o in self.outcomes:
            if o.bucket == REVIEW:
                by_reason[o.reason] = by_reason.get(o.reason, 0) + 1
        data: dict[str, Any] = {
            "rows": len(self.outcomes), "applied": sum(o.bucket == APPLIED for o in self.outcomes),
            "unchanged": sum(o.bucket == UNCHANGED for o in self.outcomes),
            "review": sum(o.bucket == REVIEW for o in self.outcomes), "invalid": by_reason.get(INVALID, 0),
            "review_by_reason": dict(sorted(by_reason.items()))}
        if self.kind == StatementImport.Kind.PAYMENTS:
            data["expected_missing"] = self.missing_count
        return data

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file_name, "sha256": self.sha256, **self.summary(),
                "dry_run": self.dry_run, "report": self.report, "job": self.job_id, "statement": self.statement_id,
                "notes": self.notes,
                "reviews": [{"row": o.row, "reason": o.reason, "text": o.text(), "kpj": o.kpj, "nik": o.nik}
                            for o in self.outcomes if o.bucket == REVIEW][:500]}


# --- The runner: a job, one transaction, the record, the report -----------------------------------

Work = Callable[[StatementFile, bool, Progress], StatementResult]


@dataclass(frozen=True)
class ReportColumn:
    header: str  # msgid
    value: Callable[[Outcome], Any]


def statement_run(*, actor: User, kind: str, path: Path, dry_run: bool, work: Work,
                  columns: list[ReportColumn], progress: Progress | None = None) -> StatementResult:
    """Run one BPJSTK file as a ``core.Job`` (kind ``bpjstk.<kind>``): read it (sandboxed), match
    and apply it with ``work`` in one transaction together with its record and review list
    (``statement_import_record``), write the XLSX report, and finish the job with the summary and
    the report's path. A dry run applies and records nothing (one audit event says it ran). Any
    failure rolls everything back and leaves the job failed with its reason."""
    require(actor, "bpjstk.exchange")
    job = job_create(actor=actor, kind=f"bpjstk.{kind}", params={"file": path.name, "dry_run": dry_run})
    say = job_begin(job, also=progress)
    try:
        say("read", 0, 1)
        source = read_statement(path, check=say.check_cancel)
        say("read", 1, 1)
        with transaction.atomic():
            result = work(source, dry_run, say)
            result.kind, result.file_name, result.sha256, result.dry_run = kind, source.name, source.sha256, dry_run
            result.notes = source.notes + result.notes
            result.job_id = job.pk
            if len(result.outcomes) != len(source.rows):
                raise RuntimeError("statement buckets do not add up")  # a bug, never a data problem
            statement = statement_import_record(
                actor=actor, kind=kind, file_name=source.name, sha256=source.sha256, summary=result.summary(),
                reviews=[_review_of(o) for o in result.outcomes if o.bucket == REVIEW],
                settled_keys=[o.key for o in result.outcomes if o.bucket in (APPLIED, UNCHANGED)],
                applied=[o.change for o in result.outcomes if o.bucket == APPLIED], job_id=job.pk, dry_run=dry_run)
            result.statement_id = statement.pk if statement is not None else None
            target = default_report_path(job)
            write_statement_report(target, result, columns)
            result.report = str(target)
    except JobCancelled as exc:
        job_finish(job, status=Job.Status.CANCELLED, message=str(exc.message))
        raise
    except Exception as exc:
        job_finish(job, status=Job.Status.FAILED, message=str(getattr(exc, "message", exc)))
        raise
    job_finish(job, status=Job.Status.SUCCEEDED, result={k: v for k, v in result.as_dict().items() if k != "reviews"},
               done=len(result.outcomes))
    return result


def _review_of(o: Outcome) -> StatementReview:
    return StatementReview(row_number=o.row, key=o.key, reason_code=o.reason, reason_text=o.text_id(), kpj=o.kpj,
                           nik_masked=o.nik, period=o.period, amount_idr=o.amount_idr, paid_on=o.day,
                           detail={"label": o.label} if o.label else {}, person_id=o.person_id,
                           membership_id=o.membership_id)


def _cell(value: Any) -> Any:
    """A value as the report shows it: dates as dates, text quoted (16-digit numbers masked,
    control characters out, at most 300 characters) and never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.date | int):
        return value
    return safe_cell(quote(value, 300))


def write_statement_report(path: Path, result: StatementResult, columns: list[ReportColumn]) -> None:
    """The XLSX report: a summary sheet, then one sheet per bucket (applied, unchanged, and each
    review reason), each row with its row number in the file; NIKs masked. Written owner-only."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Ringkasan"))
    data = result.summary()
    lines: list[tuple[str, Any]] = [
        (_("Berkas"), result.file_name), ("SHA-256", result.sha256), (_("Baris"), data["rows"]),
        (_("Diterapkan"), data["applied"]), (_("Tidak berubah"), data["unchanged"]),
        (_("Perlu diperiksa"), data["review"]), (_("Tidak sah"), data["invalid"]),
        (_("Uji coba (tidak disimpan)"), _("ya") if result.dry_run else _("tidak"))]
    lines += [(_(REASON_TITLES.get(code, code)), count) for code, count in data["review_by_reason"].items()]
    if "expected_missing" in data:
        lines.append((_("Ditagih tetapi tidak ada di laporan"), data["expected_missing"]))
    lines += [(_("Catatan"), note) for note in result.notes]
    for label, value in lines:
        summary.append([_cell(label), _cell(value)])
    headers = [_("Baris"), *[_(c.header) for c in columns], _("Keterangan")]

    def sheet(title: str, outcomes: list[Outcome]) -> None:
        ws = book.create_sheet(title[:31])
        ws.append(bold_row(ws, headers))
        for o in outcomes:
            ws.append([o.row, *[_cell(c.value(o)) for c in columns], _cell(o.text())])

    sheet(_("Diterapkan"), [o for o in result.outcomes if o.bucket == APPLIED])
    sheet(_("Tidak berubah"), [o for o in result.outcomes if o.bucket == UNCHANGED])
    for code in data["review_by_reason"]:
        sheet(_(REASON_TITLES.get(code, code)), [o for o in result.outcomes if o.reason == code])
    if result.missing:
        ws = book.create_sheet(_("Tidak ada di laporan"))
        ws.append(bold_row(ws, [_("KPJ"), _("Bulan"), _("Iuran (Rp)"), _("Jatuh tempo")]))
        for item in result.missing:
            ws.append([_cell(item["kpj"]), item["period"], item["amount_idr"], item["due_date"]])
    save_workbook(book, path)


# --- The payment statement ------------------------------------------------------------------------

PAYMENT_COLUMNS = [
    ReportColumn(gettext_noop("KPJ"), lambda o: o.kpj),
    ReportColumn(gettext_noop("NIK"), lambda o: o.nik),
    ReportColumn(gettext_noop("Bulan"), lambda o: format_month(o.period) if o.period else ""),
    ReportColumn(gettext_noop("Jumlah (Rp)"), lambda o: o.amount_idr),
    ReportColumn(gettext_noop("Tanggal bayar"), lambda o: o.day),
    ReportColumn(gettext_noop("Saluran"), lambda o: o.label),
]


@dataclass
class _Parsed:
    row: int
    identity: Identity
    period: dt.date
    amount: int
    paid_on: dt.date
    label: str
    channel: str


def payments_match(*, actor: User, source: StatementFile, payer: Payer | None = None,
                   today: dt.date | None = None) -> tuple[StatementResult, list[StatementPayment]]:
    """Match a payment statement with the dues (reads only; set-based). A row is applied when it
    matches exactly: the person found by KPJ (else NIK) in the actor's area, a self-payer's OPEN due
    for that month, the same amount, a readable payment date not in the future. Every other row is
    a review outcome with its reason; a row whose due this same row already paid (the same derived
    reference) is unchanged."""
    today = today or timezone.localdate()
    cols = source.columns(PAYMENT_HEADERS, [("kpj", "nik"), ("month",), ("amount",), ("paid_on",)])
    result = StatementResult(kind=StatementImport.Kind.PAYMENTS)
    outcomes: dict[int, Outcome] = {}
    parsed: list[_Parsed] = []
    for row in source.rows:
        cells = row.cells
        identity = identify(cells, cols["kpj"], cols["nik"])
        month_text = cells.get(cols["month"] or "", "")
        amount_text = cells.get(cols["amount"] or "", "")
        date_text = cells.get(cols["paid_on"] or "", "")
        label = quote(cells.get(cols["channel"] or "", ""), 60)
        period, amount, paid_on = parse_period(month_text), parse_amount(amount_text), parse_day(date_text)
        problems: list[Message] = []
        if identity.problem:
            problems.append((identity.problem, {}))
        if period is None:
            problems.append((gettext_noop("Bulan tidak terbaca: “%(v)s” (pakai TTTT-BB)."),
                             {"v": quote(month_text, 40)}))
        if amount is None:
            problems.append((gettext_noop("Jumlah iuran tidak terbaca: “%(v)s”."),
                             {"v": quote(amount_text, 40)}))
        if paid_on is None:
            problems.append((gettext_noop("Tanggal bayar tidak terbaca: “%(v)s” (pakai TTTT-BB-HH atau "
                                          "HH-BB-TTTT)."), {"v": quote(date_text, 40)}))
        elif paid_on > today:
            problems.append((gettext_noop("Tanggal bayar %(d)s di masa depan."), {"d": paid_on.isoformat()}))
        if problems:
            masked = {k: (identity.nik_index or "") if k == cols["nik"] else v for k, v in sorted(cells.items())}
            outcomes[row.number] = Outcome(
                row=row.number, bucket=REVIEW, key=row_key("payments", "invalid", masked), reason=INVALID,
                messages=problems, kpj=identity.kpj or quote(cells.get(cols["kpj"] or "", ""), 20),
                nik=identity.nik_masked, period=period, amount_idr=amount, day=paid_on, label=label)
            continue
        assert period is not None and amount is not None and paid_on is not None
        parsed.append(_Parsed(row.number, identity, period, amount, paid_on, label, channel_of(label)))
    by_kpj, by_nik = persons_named(actor, [p.identity for p in parsed])
    people = {p.row: person_of(p.identity, by_kpj, by_nik) for p in parsed}
    person_ids = sorted({k.person_id for k in people.values() if k is not None})
    periods = sorted({p.period for p in parsed})
    dues: dict[tuple[int, dt.date], list[dict[str, Any]]] = {}
    for start in range(0, len(person_ids), 500):
        for record in Due.objects.filter(person_id__in=person_ids[start:start + 500], period__in=periods).values(
                "pk", "person_id", "period", "status", "amount_idr", "paid_on", "due_date", "membership_id",
                "payer_id", "payer__name", "payer__kind"):
            dues.setdefault((record["person_id"], record["period"]), []).append(dict(record))
    paid_ids = [d["pk"] for ds in dues.values() for d in ds if d["status"] == Due.Status.PAID]
    references: dict[int, set[str]] = {}
    for start in range(0, len(paid_ids), 500):
        for due_id, reference in PaymentAllocation.objects.filter(due_id__in=paid_ids[start:start + 500]).values_list(
                "due_id", "payment__reference"):
            references.setdefault(due_id, set()).add(reference)
    covering: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(person_ids), 500):
        for m in Membership.objects.filter(person_id__in=person_ids[start:start + 500]).values(
                "pk", "person_id", "start_date", "ended_on", "status", "payer__kind", "payer__name"):
            covering.setdefault(m["person_id"], []).append(dict(m))
    claimed: dict[int, tuple[int, str]] = {}  # due id → (row, reference) of the row of this file that took it
    seen: dict[str, int] = {}
    payments: list[StatementPayment] = []
    for p in parsed:
        known = people[p.row]
        common: dict[str, Any] = {"kpj": p.identity.kpj or (known.kpj if known else ""), "nik": p.identity.nik_masked,
                                  "period": p.period, "amount_idr": p.amount, "day": p.paid_on, "label": p.label}
        month = format_month(p.period)
        if known is None:
            key = row_key("payments", p.identity.token, month, p.amount, p.paid_on)
            outcomes[p.row] = review(p.row, key, "unknown_person",
                                     gettext_noop("Tidak ada orang dengan KPJ atau NIK ini di wilayah Anda."), **common)
            continue
        reference = f"BPJSTK:{known.kpj or f'ID{known.person_id}'}:{month}:{p.paid_on.isoformat()}:{p.amount}"
        seen[reference] = seen.get(reference, 0) + 1
        key = row_key("payments", reference) if seen[reference] == 1 else row_key("payments", reference,
                                                                                   seen[reference])
        common["person_id"] = known.person_id
        found = dues.get((known.person_id, p.period), [])
        current = next((d for d in found if d["status"] != Due.Status.VOID), None)
        if current is None:
            outcomes[p.row] = _without_due(p, key, found, covering.get(known.person_id, []), common)
            continue
        due = current
        common["membership_id"] = due["membership_id"]
        values = {"m": month, "payer": due["payer__name"]}
        if due["payer__kind"] != Payer.Kind.SELF:
            outcomes[p.row] = review(p.row, key, "not_self_payer", gettext_noop(
                "Iuran bulan %(m)s orang ini dibayar oleh %(payer)s melalui tagihan kolektif, bukan pembayaran "
                "perorangan."), values, **common)
            continue
        if payer is not None and due["payer_id"] != payer.pk:
            outcomes[p.row] = review(p.row, key, "other_payer", gettext_noop(
                "Iuran bulan %(m)s orang ini ditagih oleh %(payer)s, bukan %(chosen)s."),
                {**values, "chosen": payer.name}, **common)
            continue
        if due["pk"] in claimed:
            first, first_reference = claimed[due["pk"]]
            same = first_reference == reference
            outcomes[p.row] = review(p.row, key, "duplicate_in_file" if same else "already_paid", gettext_noop(
                "Baris yang sama sudah ada di berkas ini (baris %(n)s).") if same else gettext_noop(
                "Iuran bulan %(m)s sudah dibayar oleh baris %(n)s berkas ini."), {"m": month, "n": first}, **common)
            continue
        if due["status"] == Due.Status.PAID:
            claimed[due["pk"]] = (p.row, reference)
            if reference in references.get(due["pk"], set()):
                outcomes[p.row] = Outcome(row=p.row, bucket=UNCHANGED, key=key, **common)
            else:
                outcomes[p.row] = review(p.row, key, "already_paid", gettext_noop(
                    "Iuran bulan %(m)s sudah lunas di Jaring (dibayar %(d)s oleh pembayaran lain)."),
                    {"m": month, "d": due["paid_on"].isoformat() if due["paid_on"] else "?"}, **common)
            continue
        if due["amount_idr"] != p.amount:
            outcomes[p.row] = review(p.row, key, "amount_differs", gettext_noop(
                "Jumlah di laporan %(got)s berbeda dengan iuran bulan %(m)s di Jaring %(want)s."),
                {"got": format_idr(p.amount), "want": format_idr(due["amount_idr"]), "m": month}, **common)
            continue
        claimed[due["pk"]] = (p.row, reference)
        late = p.paid_on > due["due_date"]
        outcomes[p.row] = Outcome(
            row=p.row, bucket=APPLIED, key=key, messages=[(
                gettext_noop("Terlambat (jatuh tempo %(d)s).") if late else gettext_noop(
                    "Tepat waktu (jatuh tempo %(d)s)."), {"d": due["due_date"].isoformat()})],
            change=[common["kpj"], month, p.amount, p.paid_on.isoformat(), p.channel, reference], **common)
        payments.append(StatementPayment(due_id=due["pk"], membership_id=due["membership_id"], amount_idr=p.amount,
                                         paid_on=p.paid_on, channel=p.channel, reference=reference))
    result.outcomes = [outcomes[row.number] for row in source.rows]
    _expected_missing(result, actor=actor, periods=periods, matched=set(claimed), payer=payer)
    return result, payments


def _without_due(p: _Parsed, key: str, found: list[dict[str, Any]], memberships: list[dict[str, Any]],
                 common: dict[str, Any]) -> Outcome:
    """A month with no due that could take the payment: voided (the membership ended), a collective
    payer's, or never billed."""
    month = format_month(p.period)
    void = found[0] if found else None
    if void is not None and void["payer__kind"] == Payer.Kind.SELF:
        return review(p.row, key, "due_void", gettext_noop(
            "Iuran bulan %(m)s dibatalkan di Jaring (kepesertaan berakhir)."), {"m": month},
            **{**common, "membership_id": void["membership_id"]})
    last_day = add_months(p.period, 1) - dt.timedelta(days=1)
    cover = [m for m in memberships if m["start_date"] <= last_day and (m["ended_on"] is None or
                                                                       m["ended_on"] >= p.period)]
    collective = next((m for m in cover if m["payer__kind"] != Payer.Kind.SELF), None)
    if (void is not None and void["payer__kind"] != Payer.Kind.SELF) or (collective and not any(
            m["payer__kind"] == Payer.Kind.SELF for m in cover)):
        name = void["payer__name"] if void is not None else collective["payer__name"] if collective else ""
        return review(p.row, key, "not_self_payer", gettext_noop(
            "Iuran bulan %(m)s orang ini dibayar oleh %(payer)s melalui tagihan kolektif, bukan pembayaran "
            "perorangan."), {"m": month, "payer": name}, **common)
    return review(p.row, key, "not_billed", gettext_noop(
        "Bulan %(m)s belum ditagih di Jaring untuk orang ini (belum ada iuran bulan itu)."), {"m": month}, **common)


def _expected_missing(result: StatementResult, *, actor: User, periods: list[dt.date], matched: set[int],
                      payer: Payer | None) -> None:
    """The old reconciliation's last list: self-payers' open dues of the file's months that no row
    of the file names (BPJSTK has no payment for them). The first 5,000 are listed."""
    if not periods:
        return
    expected = Due.objects.filter(period__in=periods, status=Due.Status.OPEN,
                                  person__in=person_queryset(actor=actor))
    expected = expected.filter(payer=payer) if payer is not None else expected.filter(payer__kind=Payer.Kind.SELF)
    ids = set(expected.values_list("pk", flat=True))
    missing = ids - matched
    result.missing_count = len(missing)
    for kpj, period, amount, due_date in (Due.objects.filter(pk__in=sorted(missing)[:5000])
                                          .order_by("period", "id")
                                          .values_list("person__kpj", "period", "amount_idr", "due_date")):
        result.missing.append({"kpj": kpj or "", "period": format_month(period), "amount_idr": amount,
                               "due_date": due_date})


def payment_statement_import(*, actor: User, path: Path, dry_run: bool = False, payer: Payer | None = None,
                             progress: Progress | None = None) -> StatementResult:
    """``jaring bpjstk import-payments``: apply BPJSTK's payment statement (one transaction, a
    job, a review list, an XLSX report). ``dry_run``: report what would be applied, change nothing
    (the old reconciliation). ``payer``: a self payer whose dues alone are applied and expected."""
    require(actor, "bpjstk.exchange")
    if payer is not None and not payer.is_self:
        raise ValidationFailed(_("Laporan pembayaran BPJSTK hanya untuk peserta mandiri; %(payer)s dibayar melalui "
                                 "tagihan kolektif.") % {"payer": payer.name}, fields={"payer": [payer.code]})

    def work(source: StatementFile, dry: bool, say: Progress) -> StatementResult:
        say("match", 0, len(source.rows))
        result, payments = payments_match(actor=actor, source=source, payer=payer)
        say("match", len(source.rows), len(source.rows))
        if not dry:
            for start in range(0, len(payments), APPLY_CHUNK):
                say("write", start, len(payments))
                statement_payments_apply(actor=actor, payments=payments[start:start + APPLY_CHUNK])
        return result

    return statement_run(actor=actor, kind=StatementImport.Kind.PAYMENTS, path=path, dry_run=dry_run, work=work,
                         columns=PAYMENT_COLUMNS, progress=progress)


# --- The review list ------------------------------------------------------------------------------

def review_rows(*, actor: User, status: str | None = StatementReviewRow.Status.OPEN,
                kind: str | None = None) -> QuerySet[StatementReviewRow]:
    """The review list the office follows up (persons outside the actor's area left out)."""
    require(actor, "bpjstk.exchange")
    rows = StatementReviewRow.objects.select_related("statement")
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.filter(Q(person__isnull=True) | Q(person__in=person_queryset(actor=actor)))


def review_row_as_dict(row: StatementReviewRow) -> dict[str, Any]:
    return {"id": row.pk, "kind": row.kind, "file": row.statement.file_name, "statement": row.statement_id,
            "row": row.row_number, "kpj": row.kpj, "nik": row.nik_masked,
            "period": format_month(row.period) if row.period else None, "amount_idr": row.amount_idr,
            "date": row.paid_on.isoformat() if row.paid_on else None, "label": row.detail.get("label", ""),
            "reason": row.reason_code, "text": row.reason_text, "person": row.person_id,
            "membership": row.membership_id, "status": row.status, "created_at": row.created_at.isoformat(),
            "resolution": row.resolution or None}
