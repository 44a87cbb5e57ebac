"""Files exchanged with the BPJSTK branch (there is no public API: files are the interface).

- a collective registration file of a payer's new members (XLSX or CSV), columns from a profile;
- a KPJ assignment file back (NIK → KPJ, protection start) that activates the matching memberships;
- a payment statement (KPJ or NIK, month, amount, payment date) applied to self-payers' dues
  (``contributions.ledger``), or only reconciled (``payment_statement_reconcile``, a dry run);
- a status file (KPJ or NIK, AKTIF / NON AKTIF, date) and a rejection file (NIK, BPJSTK's reason).

Nothing from a file is applied when it does not match: every row ends in a named bucket, and the
rows not applied are kept on the review list (decision 0035).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jaring.accounts.models import User
from jaring.contributions import ledger
from jaring.core.audit import audit_log
from jaring.core.crypto import cipher
from jaring.core.errors import Conflict, ValidationFailed
from jaring.core.jobs import Progress
from jaring.core.money import format_month, parse_month
from jaring.core.tables import header_key, quote, safe_cell
from jaring.membership.models import Membership, Payer
from jaring.membership.services import (
    membership_activate,
    membership_end,
    membership_reject,
    membership_submit,
    memberships_move_start,
)
from jaring.registry.identity import clean_digits, kpj_clean
from jaring.registry.services import kpj_problem

Getter = Callable[[Membership], Any]

# The branch's official template is still to be confirmed: columns are a profile, replaceable by a
# JSON file named in JARING_BPJSTK_PROFILE ({"columns": [["Header", "field"], ...]}).
FIELDS: dict[str, Getter] = {
    "nik": lambda m: m.person.nik,
    "kpj": lambda m: m.kpj or "",
    "full_name": lambda m: m.person.full_name,
    "birth_place": lambda m: m.person.birth_place,
    "birth_date": lambda m: m.person.birth_date.strftime("%d-%m-%Y"),
    "sex": lambda m: "L" if m.person.sex == "M" else "P",
    "marital_status": lambda m: "",
    "address": lambda m: m.person.household.address if m.person.household else "",
    "kelurahan": lambda m: m.person.kelurahan.name,
    "district": lambda m: m.person.kelurahan.parent.name if m.person.kelurahan.parent else "",
    "city": lambda m: _ancestor(m, 1),
    "province": lambda m: _ancestor(m, 0),
    "postcode": lambda m: "",
    "phone": lambda m: m.person.phone,
    "email": lambda m: "",
    "mother_maiden_name": lambda m: "",
    "start_date": lambda m: m.start_date.strftime("%d-%m-%Y"),
    "declared_income_idr": lambda m: m.declared_income_idr,
    "programs": lambda m: "+".join(p.upper() for p in m.programmes),
    "payer_code": lambda m: m.payer.code,
    "wadah_code": lambda m: m.payer.wadah_code,
    # Whether Dukcapil confirmed the NIK (decision 0041): BPJSTK refuses a NIK Dukcapil does not know.
    "nik_verified": lambda m: "YA" if m.person.nik_verification == "verified" else "TIDAK",
}
DEFAULT_PROFILE = [
    ("NIK", "nik"), ("KPJ", "kpj"), ("NAMA LENGKAP", "full_name"), ("TEMPAT LAHIR", "birth_place"),
    ("TANGGAL LAHIR", "birth_date"), ("JENIS KELAMIN", "sex"), ("STATUS KAWIN", "marital_status"),
    ("ALAMAT", "address"), ("KELURAHAN", "kelurahan"), ("KECAMATAN/DISTRIK", "district"), ("KOTA/KABUPATEN", "city"),
    ("PROVINSI", "province"), ("KODE POS", "postcode"), ("NO HP", "phone"), ("EMAIL", "email"),
    ("NAMA IBU KANDUNG", "mother_maiden_name"), ("TANGGAL MULAI", "start_date"),
    ("NOMINAL PENGHASILAN", "declared_income_idr"), ("PROGRAM", "programs"), ("KODE WADAH", "wadah_code"),
    ("NIK TERVERIFIKASI", "nik_verified"),
]


def _ancestor(membership: Membership, depth: int) -> str:
    from jaring.regions.models import Region

    code = ".".join(membership.person.kelurahan.code.split(".")[: depth + 1])
    region = Region.objects.filter(code=code).only("name").first()
    return region.name if region else ""


def export_profile() -> list[tuple[str, str]]:
    path = getattr(settings, "JARING_BPJSTK_PROFILE", "")
    if not path:
        return DEFAULT_PROFILE
    columns = json.loads(Path(path).read_text(encoding="utf-8"))["columns"]
    unknown = [f for _h, f in columns if f not in FIELDS]
    if unknown:
        raise ValidationFailed(_("Profil kolom memakai kolom yang tidak dikenal: %(f)s") % {"f": ", ".join(unknown)})
    return [(str(h), str(f)) for h, f in columns]


@dataclass
class ExportResult:
    content: bytes
    rows: int
    filename: str
    unverified: int = 0  # rows whose NIK Dukcapil has not confirmed (decision 0041)


@transaction.atomic
def registration_export(*, actor: User, payer: Payer, fmt: str = "xlsx") -> ExportResult:
    """New members of a payer (draft or submitted) → the collective registration file. Drafts become
    submitted. The file holds whole NIKs (BPJSTK needs them): the export is audited. A member who
    already has a KPJ (a re-enrolment) is sent with it: the KPJ is the person's for life.

    The file never asks for a start in the past (protection is never backdated): a member whose
    start has passed by the export is sent with **the export day** (the office's local date) as
    start, and the membership's start moves to it first (``memberships_move_start``, audited).
    The export day, not the next day: the file is handed to the branch that day, and BPJSTK's KPJ
    file sets the real start anyway (``membership_activate`` applies it).

    The last column (``nik_verified``, "NIK TERVERIFIKASI": YA/TIDAK) says whether Dukcapil confirmed
    the NIK (decision 0041): BPJSTK refuses a NIK Dukcapil does not know. ``unverified`` counts the
    other rows (also in the audit event)."""
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed(_("Format harus xlsx atau csv."), fields={"format": [fmt]})
    members = list(Membership.objects.filter(payer=payer, status__in=[Membership.Status.DRAFT,
                                                                       Membership.Status.SUBMITTED])
                   .select_related("person__kelurahan__parent", "person__household", "payer").order_by("id"))
    today = timezone.localdate()
    stale = [m for m in members if m.start_date < today]
    if stale:
        memberships_move_start(actor=actor, membership_ids=[m.pk for m in stale], start_date=today,
                               by="bpjstk.export")
        for membership in stale:
            membership.start_date = today
    profile = export_profile()
    rows = [[safe_cell(FIELDS[f](m)) for _h, f in profile] for m in members]
    headers = [h for h, _f in profile]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
        content = buffer.getvalue().encode("utf-8-sig")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "Pendaftaran"
        sheet.append(headers)
        for row in rows:
            sheet.append([str(v) if isinstance(v, str) else v for v in row])
        for cell in sheet["A"][1:]:
            cell.number_format = "@"  # NIK as text, never a float
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    for membership in members:
        membership_submit(actor=actor, membership=membership)
    unverified = sum(1 for m in members if m.person.nik_verification != "verified")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    audit_log(actor=actor, action="bpjstk.export", obj=payer,
              after={"payer": payer.code, "rows": len(rows), "format": fmt, "profile": headers,
                     "nik_unverified": unverified})
    return ExportResult(content=content, rows=len(rows), filename=f"pendaftaran-{payer.code}-{stamp}.{fmt}",
                        unverified=unverified)


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV (any of , ; tab; UTF-8 with or without BOM, or cp1252) or XLSX (first sheet), keyed by
    lower-case header."""
    if not path.is_file():
        raise ValidationFailed(_("Berkas tidak ditemukan: %(p)s") % {"p": path})
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        values = list(csv.reader(io.StringIO(text), dialect))
    if not values:
        raise ValidationFailed(_("Berkas kosong."))
    headers = [h.strip().lower() for h in values[0]]
    return [dict(zip(headers, [c.strip() for c in row], strict=False)) for row in values[1:] if any(row)]


def _pick(row: dict[str, str], *names: str) -> str:
    for name in names:
        if row.get(name):
            return row[name]
    return ""


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


@dataclass
class KpjImportResult:
    rows: int = 0
    activated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Rows a person must check with BPJSTK: a KPJ that differs from the one the person has, or
    # that is already another person's. Nothing is changed for them (the KPJ is never overwritten).
    review: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "activated": len(self.activated), "unchanged": len(self.unchanged),
                "rejected": len(self.rejected), "review": len(self.review), "rejections": self.rejected,
                "reviews": self.review}


def _nik_index(nik: str) -> str | None:
    digits = clean_digits(nik)
    return cipher().blind_index(digits, kind="nik") if len(digits) == 16 and digits.isdigit() else None


KPJ_REVIEW_CODES = ("kpj_differs", "kpj_taken")


def kpj_import(*, actor: User, rows: Iterable[dict[str, str]]) -> KpjImportResult:
    """NIK → KPJ and protection start: activates exactly the memberships waiting for them.

    Every row ends in one bucket (they add up to ``rows``): activated; unchanged (already active
    with that KPJ); rejected with its reason (a bad NIK, date or KPJ — 11 digits — or nothing
    waiting); or **review**: the KPJ differs from the one the person already has, or is another
    person's. The KPJ belongs to the person (DOMAIN §2.1), so BPJSTK's file never overwrites it: a
    person checks those rows with the branch (an office role may then replace the KPJ explicitly,
    ``registry.services.person_assign_kpj(replace=True)``). The review rows are kept in the audit
    event of the import."""
    result = KpjImportResult()
    for number, row in enumerate(rows, start=2):
        result.rows += 1
        nik, raw_kpj = _pick(row, "nik"), _pick(row, "kpj", "no kpj", "nomor kpj")
        start = _date(_pick(row, "tanggal mulai", "start_date", "tgl mulai", "mulai"))
        where = {"row": number, "nik": (nik[:4] + "…") if nik else ""}
        index = _nik_index(nik)
        if index is None or not raw_kpj or start is None:
            result.rejected.append({**where, "reason": _("NIK, KPJ atau tanggal mulai tidak sah.")})
            continue
        problem = kpj_problem(raw_kpj)
        if problem is not None:
            result.rejected.append({**where, "reason": problem})
            continue
        kpj = kpj_clean(raw_kpj)
        membership = (Membership.objects.filter(person__nik_index=index).select_related("person")
                      .exclude(status=Membership.Status.ENDED).order_by("-id").first())
        if membership is None:
            result.rejected.append({**where, "reason": _("Tidak ada kepesertaan yang menunggu untuk NIK ini.")})
            continue
        recorded = membership.person.kpj
        if recorded and recorded != kpj:
            result.review.append({**where, "kpj": kpj, "recorded_kpj": recorded, "membership": membership.pk,
                                  "reason": _("KPJ dalam berkas (%(new)s) berbeda dengan KPJ orang ini (%(old)s); "
                                              "periksa dengan BPJSTK.") % {"new": kpj, "old": recorded}})
            continue
        if membership.status == Membership.Status.ACTIVE and recorded == kpj:
            result.unchanged.append({**where, "kpj": kpj})
            continue
        try:
            membership_activate(actor=actor, membership=membership, kpj=kpj, start_date=start)
        except Conflict as exc:
            bucket = result.review if exc.code in KPJ_REVIEW_CODES else result.rejected
            bucket.append({**where, "kpj": kpj, "membership": membership.pk, "reason": str(exc.message)})
            continue
        result.activated.append({**where, "kpj": kpj, "membership": membership.pk})
    audit_log(actor=actor, action="bpjstk.import_kpj", object_type="membership.membership",
              after={k: v for k, v in result.as_dict().items() if k != "rejections"})
    return result


@dataclass
class Reconciliation:
    rows: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    amount_differs: list[dict[str, Any]] = field(default_factory=list)
    unknown_person: list[dict[str, Any]] = field(default_factory=list)
    not_billed: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    expected_missing: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        buckets = ("matched", "amount_differs", "unknown_person", "not_billed", "invalid", "expected_missing")
        return {"rows": self.rows, **{b: len(getattr(self, b)) for b in buckets},
                "details": {b: getattr(self, b) for b in buckets[1:]}}


def payment_statement_reconcile(*, actor: User, rows: Iterable[dict[str, str]],
                                payer: Payer | None = None) -> Reconciliation:
    """Compare a BPJSTK payment statement with Jaring's dues. Reports; changes nothing."""
    from jaring.contributions.models import Due

    result = Reconciliation()
    seen: set[int] = set()
    periods: set[dt.date] = set()
    for number, row in enumerate(rows, start=2):
        result.rows += 1
        kpj, nik = _pick(row, "kpj", "no kpj", "nomor kpj"), _pick(row, "nik")
        month_text = _pick(row, "bulan", "periode", "month", "period")
        amount_text = _pick(row, "iuran", "jumlah", "amount")
        where = {"row": number, "kpj": kpj}
        try:
            period = parse_month(month_text[:7])
            amount = int(clean_digits(amount_text))
        except ValueError:
            result.invalid.append({**where, "reason": _("Bulan (TTTT-BB) atau jumlah tidak sah.")})
            continue
        periods.add(period)
        memberships = Membership.objects.all()
        if kpj:  # the person's KPJ: any of their memberships may hold the month
            memberships = memberships.filter(person__kpj=kpj_clean(kpj))
        elif _nik_index(nik):
            memberships = memberships.filter(person__nik_index=_nik_index(nik))
        else:
            result.invalid.append({**where, "reason": _("Baris tanpa KPJ atau NIK.")})
            continue
        due = Due.objects.filter(membership__in=memberships, period=period).exclude(status=Due.Status.VOID).first()
        if due is None:
            bucket = result.not_billed if memberships.exists() else result.unknown_person
            bucket.append({**where, "period": format_month(period), "amount_idr": amount})
            continue
        seen.add(due.pk)
        if due.amount_idr != amount:
            result.amount_differs.append({**where, "period": format_month(period), "statement_idr": amount,
                                          "expected_idr": due.amount_idr})
        else:
            result.matched.append({**where, "period": format_month(period)})
    expected = Due.objects.filter(period__in=periods).exclude(status=Due.Status.VOID).exclude(pk__in=seen)
    if payer is not None:
        expected = expected.filter(payer=payer)
    for due in expected.select_related("membership__person")[:5000]:
        result.expected_missing.append({"kpj": due.membership.kpj, "period": format_month(due.period),
                                        "expected_idr": due.amount_idr})
    audit_log(actor=actor, action="bpjstk.reconcile", object_type="contributions.due",
              after={k: v for k, v in result.as_dict().items() if k != "details"})
    return result


# --- BPJSTK's status and rejection files (decision 0035) -----------------------------------------
# Run like the payment statement (contributions.ledger.statement_run): a job, one transaction, a
# review list, an audit event and an XLSX report; importing the same file again changes nothing.

STATUS_HEADERS: dict[str, tuple[str, ...]] = {
    "kpj": ledger.KPJ_HEADERS,
    "nik": ledger.NIK_HEADERS,
    "status": ("status", "statuskepesertaan", "statuspeserta", "statusaktif", "keaktifan"),
    "date": ("tanggal", "tgl", "tanggalstatus", "tglstatus", "tanggalnonaktif", "tglnonaktif", "tmt",
             "tanggalefektif", "tanggalberakhir", "tglberakhir", "date"),
}
ACTIVE_WORDS = frozenset({"aktif", "active", "a"})
NON_ACTIVE_WORDS = frozenset({"nonaktif", "tidakaktif", "tdkaktif", "na", "nonactive", "inactive", "notactive"})
STATUS_COLUMNS = [
    ledger.ReportColumn(gettext_noop("KPJ"), lambda o: o.kpj),
    ledger.ReportColumn(gettext_noop("NIK"), lambda o: o.nik),
    ledger.ReportColumn(gettext_noop("Status BPJSTK"), lambda o: o.label),
    ledger.ReportColumn(gettext_noop("Tanggal"), lambda o: o.day),
]
REJECTION_HEADERS: dict[str, tuple[str, ...]] = {
    "nik": ledger.NIK_HEADERS,
    "kpj": ledger.KPJ_HEADERS,
    "reason": ("alasan", "alasanpenolakan", "alasanditolak", "keteranganpenolakan", "keterangan", "reason",
               "catatan"),
}
REJECTION_COLUMNS = [
    ledger.ReportColumn(gettext_noop("KPJ"), lambda o: o.kpj),
    ledger.ReportColumn(gettext_noop("NIK"), lambda o: o.nik),
    ledger.ReportColumn(gettext_noop("Alasan BPJSTK"), lambda o: o.label),
]


def _memberships_of(person_ids: list[int]) -> dict[int, list[Membership]]:
    """Each person's memberships, latest first (a query per 500 persons)."""
    found: dict[int, list[Membership]] = {}
    for start in range(0, len(person_ids), 500):
        for membership in (Membership.objects.filter(person_id__in=person_ids[start:start + 500])
                           .select_related("payer").order_by("-start_date", "-id")):
            found.setdefault(membership.person_id, []).append(membership)
    return found


def _first_of(person_id: int, seen: dict[int, int], row: int) -> int | None:
    """The row of this file that already named the person (a person is handled once per file)."""
    first = seen.get(person_id)
    if first is None:
        seen[person_id] = row
    return first


def status_import(*, actor: User, path: Path, dry_run: bool = False,
                  progress: Progress | None = None) -> ledger.StatementResult:
    """``jaring bpjstk import-status``: BPJSTK's status file (KPJ or NIK, status, date). A non-active
    status (NON AKTIF, TIDAK AKTIF, NA) ends the person's active membership with reason
    ``arrears`` on BPJSTK's date (``membership_end``, which voids the open dues after that month);
    an active status for an active membership, and a non-active one for a membership already
    ended, are unchanged. Anything else — an unknown person, no active membership, active at
    BPJSTK but ended (or not yet active) in Jaring — goes to the review list."""
    def work(source: ledger.StatementFile, dry: bool, say: Progress) -> ledger.StatementResult:
        cols = source.columns(STATUS_HEADERS, [("kpj", "nik"), ("status",)])
        result = ledger.StatementResult(kind="status")
        today = timezone.localdate()
        parsed: list[tuple[ledger.FileRow, ledger.Identity, bool, dt.date | None, str]] = []
        outcomes: dict[int, ledger.Outcome] = {}
        for row in source.rows:
            identity = ledger.identify(row.cells, cols["kpj"], cols["nik"])
            raw_status, raw_date = row.cells.get(cols["status"] or "", ""), row.cells.get(cols["date"] or "", "")
            label, word = quote(raw_status, 40), header_key(raw_status)
            day = ledger.parse_day(raw_date) if raw_date else None
            problems: list[ledger.Message] = [(identity.problem, {})] if identity.problem else []
            if word not in ACTIVE_WORDS | NON_ACTIVE_WORDS:
                problems.append((gettext_noop("Status tidak dikenal: “%(v)s” (AKTIF atau NON AKTIF)."),
                                 {"v": label}))
            if word in NON_ACTIVE_WORDS and day is None:
                problems.append((gettext_noop("Tanggal tidak aktif tidak terbaca: “%(v)s” (pakai TTTT-BB-HH "
                                              "atau HH-BB-TTTT)."), {"v": quote(raw_date, 40)}))
            if day is not None and day > today:
                problems.append((gettext_noop("Tanggal %(d)s di masa depan."), {"d": day.isoformat()}))
            if problems:
                outcomes[row.number] = ledger.Outcome(
                    row=row.number, bucket=ledger.REVIEW, reason=ledger.INVALID, messages=problems,
                    key=ledger.row_key("status", "invalid", identity.token, word, raw_date), kpj=identity.kpj,
                    nik=identity.nik_masked, day=day, label=label)
                continue
            parsed.append((row, identity, word in ACTIVE_WORDS, day, label))
        by_kpj, by_nik = ledger.persons_named(actor, [p[1] for p in parsed])
        known = {row.number: ledger.person_of(identity, by_kpj, by_nik) for row, identity, *_rest in parsed}
        memberships = _memberships_of(sorted({k.person_id for k in known.values() if k is not None}))
        seen: dict[int, int] = {}
        say("write", 0, len(parsed))
        for done, (row, identity, active, day, label) in enumerate(parsed, start=1):
            person = known[row.number]
            common: dict[str, Any] = {"kpj": identity.kpj or (person.kpj if person else ""),
                                      "nik": identity.nik_masked, "day": day, "label": label}
            token = f"P{person.person_id}" if person else identity.token
            key = ledger.row_key("status", token, "active" if active else "non_active", day)
            if person is None:
                outcomes[row.number] = ledger.review(row.number, key, "unknown_person", gettext_noop(
                    "Tidak ada orang dengan KPJ atau NIK ini di wilayah Anda."), **common)
                continue
            common["person_id"] = person.person_id
            first = _first_of(person.person_id, seen, row.number)
            if first is not None:
                outcomes[row.number] = ledger.review(row.number, ledger.row_key("status", token, "row", row.number),
                                                     "duplicate_in_file", gettext_noop(
                    "Orang yang sama sudah ada di baris %(n)s berkas ini."), {"n": first}, **common)
                continue
            history = memberships.get(person.person_id, [])
            current = next((m for m in history if m.status in Membership.OPEN_STATUSES), None)
            latest = history[0] if history else None
            outcomes[row.number] = _status_outcome(actor, row.number, key, active, day, current, latest, common, dry)
            say("write", done, len(parsed))
        result.outcomes = [outcomes[row.number] for row in source.rows]
        return result

    return ledger.statement_run(actor=actor, kind="status", path=path, dry_run=dry_run, work=work,
                                columns=STATUS_COLUMNS, progress=progress)


def _status_outcome(actor: User, row: int, key: str, active: bool, day: dt.date | None, current: Membership | None,
                    latest: Membership | None, common: dict[str, Any], dry: bool) -> ledger.Outcome:
    if current is not None:
        common["membership_id"] = current.pk
    if latest is None:
        return ledger.review(row, key, "no_membership", gettext_noop("Orang ini belum pernah terdaftar di Jaring."),
                             **common)
    if active:
        if current is not None and current.status == Membership.Status.ACTIVE:
            return ledger.Outcome(row=row, bucket=ledger.UNCHANGED, key=key, **common)
        if current is not None:
            return ledger.review(row, key, "not_active_in_jaring", gettext_noop(
                "BPJSTK menyatakan aktif, tetapi di Jaring kepesertaan ini masih %(s)s; periksa berkas KPJ."),
                {"s": current.get_status_display()}, membership_id=current.pk,
                **{k: v for k, v in common.items() if k != "membership_id"})
        return ledger.review(row, key, "ended_in_jaring", gettext_noop(
            "BPJSTK menyatakan aktif, tetapi kepesertaan di Jaring sudah berakhir %(d)s (%(r)s)."),
            {"d": latest.ended_on.isoformat() if latest.ended_on else "?", "r": latest.get_end_reason_display()},
            membership_id=latest.pk, **{k: v for k, v in common.items() if k != "membership_id"})
    assert day is not None  # a non-active row without a date is invalid
    if current is None:  # nothing open: already ended in Jaring
        return ledger.Outcome(row=row, bucket=ledger.UNCHANGED, key=key, membership_id=latest.pk,
                              **{k: v for k, v in common.items() if k != "membership_id"})
    if current.status != Membership.Status.ACTIVE:
        return ledger.review(row, key, "no_active_membership", gettext_noop(
            "BPJSTK menyatakan tidak aktif, tetapi orang ini tidak punya kepesertaan aktif di Jaring (status: "
            "%(s)s)."), {"s": current.get_status_display()}, **common)
    if day < current.start_date:
        return ledger.review(row, key, "end_before_start", gettext_noop(
            "Tanggal tidak aktif %(d)s sebelum mulai perlindungan %(s)s."),
            {"d": day.isoformat(), "s": current.start_date.isoformat()}, **common)
    if not dry:
        membership_end(actor=actor, membership=current, reason=Membership.EndReason.ARREARS, ended_on=day)
    return ledger.Outcome(row=row, bucket=ledger.APPLIED, key=key, change=[current.pk, "arrears", day.isoformat()],
                          messages=[(gettext_noop("Berakhir karena menunggak pada %(d)s."), {"d": day.isoformat()})],
                          **common)


def rejections_import(*, actor: User, path: Path, dry_run: bool = False,
                      progress: Progress | None = None) -> ledger.StatementResult:
    """``jaring bpjstk import-rejections``: BPJSTK's rejected registrations (NIK — or KPJ — and
    BPJSTK's reason). A submitted (or draft) membership goes back to draft with the reason recorded
    on it (``membership_reject``); the same reason again is unchanged; anyone else (unknown person,
    nothing waiting for BPJSTK) goes to the review list."""
    def work(source: ledger.StatementFile, dry: bool, say: Progress) -> ledger.StatementResult:
        cols = source.columns(REJECTION_HEADERS, [("nik", "kpj"), ("reason",)])
        result = ledger.StatementResult(kind="rejections")
        parsed: list[tuple[ledger.FileRow, ledger.Identity, str]] = []
        outcomes: dict[int, ledger.Outcome] = {}
        for row in source.rows:
            identity = ledger.identify(row.cells, cols["kpj"], cols["nik"])
            reason = quote(" ".join(row.cells.get(cols["reason"] or "", "").split()), 500)
            problems: list[ledger.Message] = [(identity.problem, {})] if identity.problem else []
            if not reason:
                problems.append((gettext_noop("Alasan penolakan kosong."), {}))
            if problems:
                outcomes[row.number] = ledger.Outcome(
                    row=row.number, bucket=ledger.REVIEW, reason=ledger.INVALID, messages=problems,
                    key=ledger.row_key("rejections", "invalid", identity.token, reason), kpj=identity.kpj,
                    nik=identity.nik_masked, label=reason)
                continue
            parsed.append((row, identity, reason))
        by_kpj, by_nik = ledger.persons_named(actor, [p[1] for p in parsed])
        known = {row.number: ledger.person_of(identity, by_kpj, by_nik) for row, identity, _r in parsed}
        memberships = _memberships_of(sorted({k.person_id for k in known.values() if k is not None}))
        seen: dict[int, int] = {}
        say("write", 0, len(parsed))
        for done, (row, identity, reason) in enumerate(parsed, start=1):
            person = known[row.number]
            common: dict[str, Any] = {"kpj": identity.kpj or (person.kpj if person else ""),
                                      "nik": identity.nik_masked, "label": reason}
            token = f"P{person.person_id}" if person else identity.token
            key = ledger.row_key("rejections", token, reason)
            say("write", done, len(parsed))
            if person is None:
                outcomes[row.number] = ledger.review(row.number, key, "unknown_person", gettext_noop(
                    "Tidak ada orang dengan KPJ atau NIK ini di wilayah Anda."), **common)
                continue
            common["person_id"] = person.person_id
            first = _first_of(person.person_id, seen, row.number)
            if first is not None:
                outcomes[row.number] = ledger.review(
                    row.number, ledger.row_key("rejections", token, "row", row.number), "duplicate_in_file",
                    gettext_noop("Orang yang sama sudah ada di baris %(n)s berkas ini."), {"n": first}, **common)
                continue
            history = memberships.get(person.person_id, [])
            pending = next((m for m in history if m.status in (Membership.Status.DRAFT, Membership.Status.SUBMITTED)),
                           None)
            if pending is None:
                latest = history[0] if history else None
                outcomes[row.number] = ledger.review(row.number, key, "not_pending", gettext_noop(
                    "Tidak ada pendaftaran orang ini yang menunggu BPJSTK (status: %(s)s)."),
                    {"s": latest.get_status_display() if latest else _("belum pernah terdaftar")},
                    membership_id=latest.pk if latest else None, **common)
                continue
            common["membership_id"] = pending.pk
            if pending.status == Membership.Status.DRAFT and pending.rejection_reason == reason:
                outcomes[row.number] = ledger.Outcome(row=row.number, bucket=ledger.UNCHANGED, key=key, **common)
                continue
            if not dry:
                membership_reject(actor=actor, membership=pending, reason=reason)
            outcomes[row.number] = ledger.Outcome(
                row=row.number, bucket=ledger.APPLIED, key=key, change=[pending.pk, reason],
                messages=[(gettext_noop("Kembali menjadi draf; perbaiki data lalu kirim lagi."), {})], **common)
        result.outcomes = [outcomes[row.number] for row in source.rows]
        return result

    return ledger.statement_run(actor=actor, kind="rejections", path=path, dry_run=dry_run, work=work,
                                columns=REJECTION_COLUMNS, progress=progress)
