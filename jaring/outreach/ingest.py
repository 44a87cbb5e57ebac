"""Kobo and ODK files through ``jaring import registry FILE --profile kobo|odk|auto``.

The registry import hands these files over through ``registry.importing.register_profile``
(the registry never imports this app). A row of the summary is a household member: every member
of every submission ends as imported, updated, duplicate or rejected, and the counts add up.
``warnings`` counts members with a warning plus submissions with a household-level warning.

Each submission is staged, then applied in its own transaction (``services``); ``--dry-run``
runs exactly the same steps inside one transaction that is rolled back, so it stages nothing and
its counts are the ones a real run would give.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jaring.accounts.models import User
from jaring.core.audit import audit_log
from jaring.core.errors import JaringError, ValidationFailed
from jaring.core.jobs import JobCancelled
from jaring.core.models import Job
from jaring.core.sandbox import Limits, run_isolated
from jaring.core.tables import check_size, safe_cell, save_workbook
from jaring.outreach import services
from jaring.outreach.services import DUPLICATE, IMPORTED, REJECTED, UPDATED, MemberOutcome, SubmissionOutcome
from jaring.outreach.submissions import (
    ParsedFile,
    Submission,
    looks_like_kobo,
    looks_like_odk,
)
from jaring.registry.importing import ExternalProfile, ImportResult, bold_row, default_report_path, register_profile

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

PROBLEMS = {
    "no_instance_id": "Kiriman tanpa meta/instanceID (atau _uuid); tidak bisa diproses dengan aman.",
    "not_a_submission": "Isi larik \"value\" ini bukan kiriman.",
    "orphan": "Baris anggota tanpa kiriman induk (_parent_index tidak cocok dengan _index mana pun).",
    "repeated": "Kiriman yang sama (instanceID) muncul lagi di berkas ini; yang pertama yang dipakai.",
}


COUNTERS = {IMPORTED: "imported", UPDATED: "updated", DUPLICATE: "duplicates", REJECTED: "rejected"}


def register_profiles() -> None:
    register_profile("kobo", ExternalProfile(detect=looks_like_kobo, run=run_kobo))
    register_profile("odk", ExternalProfile(detect=looks_like_odk, run=run_odk))


def _read(reader: str, path: Path, progress: Progress | None, *, workbook: bool) -> ParsedFile:
    """Parse the file in a reading worker with the import limits (``core.sandbox``): a hostile
    file fails its job, never the server. A workbook's container is checked first, every sheet."""
    check_size(path, Limits.from_settings())
    parsed: ParsedFile = run_isolated(f"jaring.outreach.submissions:{reader}", path,
                                      check=getattr(progress, "check_cancel", None),
                                      preflight=(path, "*") if workbook else None)
    return parsed


def run_kobo(*, actor: User, path: Path, dry_run: bool = False, report: Path | None = None,
             progress: Progress | None = None, job: Job | None = None) -> ImportResult:
    return ingest_file(actor=actor, parsed=_read("read_kobo_xlsx", path, progress, workbook=True), name=path.name,
                       dry_run=dry_run, report=report, progress=progress, job=job)


def run_odk(*, actor: User, path: Path, dry_run: bool = False, report: Path | None = None,
            progress: Progress | None = None, job: Job | None = None) -> ImportResult:
    return ingest_file(actor=actor, parsed=_read("read_odk_json", path, progress, workbook=False), name=path.name,
                       dry_run=dry_run, report=report, progress=progress, job=job)


@contextlib.contextmanager
def _rolled_back(dry_run: bool) -> Iterator[None]:
    if not dry_run:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def ingest_file(*, actor: User, parsed: ParsedFile, name: str, dry_run: bool = False, report: Path | None = None,
                progress: Progress | None = None, job: Job | None = None) -> ImportResult:
    say = progress or (lambda stage, done, total: None)
    say("read", 1, 1)
    if any(s.problem == "repeat_not_expanded" for s in parsed.submissions):
        raise ValidationFailed(
            _("Anggota keluarga (repeat \"anggota\") tidak ikut dalam berkas ODK ini. Unduh ulang dengan "
              "…/Submissions?$expand=*"), code="repeat_not_expanded")
    result = ImportResult(rows=parsed.member_rows, dry_run=dry_run)
    outcomes: list[SubmissionOutcome] = []
    total = len(parsed.submissions)
    with _rolled_back(dry_run):
        seen: set[str] = set()
        for number, submission in enumerate(parsed.submissions):
            say("write", number, total)
            outcomes.append(_one(actor, submission, seen))
        say("write", total, total)
        orphans = SubmissionOutcome(instance_id="", status=REJECTED, members=[
            MemberOutcome(position=0, outcome=REJECTED, reason=PROBLEMS["orphan"], row=m.row,
                          name=m.values.get("nama", "")[:150]) for m in parsed.orphans])
        for outcome in [*outcomes, orphans]:
            for member in outcome.members:
                counter = COUNTERS[member.outcome]
                setattr(result, counter, getattr(result, counter) + 1)
                result.warnings += bool(member.warnings)
            result.warnings += bool(outcome.warnings)
        if result.rows != result.imported + result.updated + result.duplicates + result.rejected:
            raise RuntimeError("field import counts do not add up")  # a bug, never a data problem
        if not dry_run:
            audit_log(actor=actor, action="outreach.import", object_type="outreach.fieldsubmission",
                      object_id=str(job.pk) if job else "",
                      after={"file": name, "profile": parsed.source, "submissions": total, **result.as_dict()})
    problems = result.rejected or result.warnings or result.duplicates
    # The report goes where the caller said, else beside the job's; a call with neither has no
    # place to keep one.
    target = report or (default_report_path(job) if problems and job is not None else None)
    if target is not None:
        write_report(target, parsed=parsed, outcomes=[*outcomes, orphans], result=result)
        result.report = str(target)
    return result


def _one(actor: User, submission: Submission, seen: set[str]) -> SubmissionOutcome:
    """Stage and apply one submission; whatever goes wrong stays with this submission."""
    def every(outcome: str, reason: str) -> SubmissionOutcome:
        return SubmissionOutcome(instance_id=submission.instance_id, status=outcome, error=reason, members=[
            MemberOutcome(position=m.position, outcome=outcome, reason=reason, row=m.row,
                          name=m.values.get("nama", "")[:150], nik=services.masked_nik(m.values.get("nik", "")))
            for m in submission.members])

    if submission.problem:
        return every(REJECTED, PROBLEMS.get(submission.problem, submission.problem))
    if submission.instance_id in seen:
        return every(DUPLICATE, PROBLEMS["repeated"])
    seen.add(submission.instance_id)
    try:
        staged, _created = services.submission_stage(actor=actor, parsed=submission)
    except JaringError as exc:
        return every(REJECTED, str(exc.message))
    try:
        return services.submission_apply(actor=actor, submission=staged)
    except JobCancelled:
        raise
    except JaringError as exc:
        return every(REJECTED, str(exc.message))
    except Exception as exc:  # a bug must not stop the other submissions; it is logged and reported
        log.exception("field submission %s failed", submission.instance_id)
        return every(REJECTED, _("Kesalahan sistem saat memproses kiriman ini (%(err)s); hubungi admin.")
                     % {"err": type(exc).__name__})


def write_report(path: Path, *, parsed: ParsedFile, outcomes: list[SubmissionOutcome], result: ImportResult) -> None:
    """Rejected, warned and duplicate members with the submission, member, column and reason in
    Indonesian, and one line per submission. NIKs appear masked: the submission id finds the form."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)

    def sheet(title: str, header: list[str]) -> Any:
        ws = book.create_sheet(title)
        ws.append(bold_row(ws, header))
        return ws

    summary = sheet("Ringkasan", ["Keterangan", "Jumlah"])
    for label, value in [("Sumber", {"kobo": "KoboToolbox (XLSX)", "odk": "ODK Central (JSON)"}[parsed.source]),
                         ("Kiriman", len(parsed.submissions)), ("Baris anggota", result.rows),
                         ("Diimpor (baru)", result.imported), ("Diperbarui", result.updated),
                         ("Duplikat", result.duplicates), ("Ditolak", result.rejected),
                         ("Peringatan", result.warnings),
                         ("Uji coba (tidak disimpan)", "ya" if result.dry_run else "tidak")]:
        summary.append([label, value])
    header = ["ID kiriman", "Anggota ke-", "Baris di berkas", "Kolom", "Alasan", "Nama", "NIK"]
    sheets = {REJECTED: sheet("Ditolak", header), "warning": sheet("Peringatan", header),
              DUPLICATE: sheet("Duplikat", header)}
    for outcome in outcomes:
        for m in outcome.members:
            line = [outcome.instance_id, m.position or None, m.row, m.column]
            if m.outcome in (REJECTED, DUPLICATE):
                sheets[m.outcome].append([safe_cell(v) for v in [*line, m.reason, m.name, m.nik]])
            for warning in m.warnings:
                sheets["warning"].append([safe_cell(v) for v in [*line, warning, m.name, m.nik]])
        for warning in outcome.warnings:
            sheets["warning"].append([safe_cell(v) for v in [outcome.instance_id, None, None, "", warning, "", ""]])
    status = {"applied": "diterapkan", "rejected": "ditolak", "superseded": "digantikan suntingan",
              "staged": "menunggu", DUPLICATE: "duplikat"}
    listing = sheet("Kiriman", ["ID kiriman", "Status", "Anggota", "Alasan", "Diproses sebelumnya"])
    for outcome in outcomes:
        if outcome.instance_id:
            listing.append([safe_cell(outcome.instance_id), status.get(outcome.status, outcome.status),
                            len(outcome.members), safe_cell(outcome.error), "ya" if outcome.replayed else ""])
    save_workbook(book, path)
