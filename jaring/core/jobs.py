"""Long-running work: where a running job tells its progress, and how someone asks it to stop.

A job's row (``core.Job``) holds its status and result. While the job writes inside one long
transaction (an import is all or nothing, decision 0011), SQLite holds the write lock and an
update of the row would be invisible to others anyway; so a running job reports progress through
a small file beside the database, ``$JARING_HOME/jobs/<id>.json``, and a cancel request is a file
``<id>.cancel`` that the job looks for each time it reports (decision 0013). Both work the same
on PostgreSQL and on SQLite, for the CLI and for the web.

Jobs started from the web run in a thread of the server process (``job_start``), after the
request's transaction commits. A job whose process died stays "running" in its row until the
next job of its kind notices (``mark_interrupted``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.core.errors import JaringError
from jaring.core.models import Job
from jaring.core.services import job_set_finished, job_set_running

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
QUEUED_GRACE = dt.timedelta(minutes=10)


class JobCancelled(JaringError):
    code = "cancelled"
    http_status = 409
    exit_code = 6


def _folder() -> Path:
    folder = Path(settings.JARING_HOME) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _progress_path(job_id: int) -> Path:
    return _folder() / f"{job_id}.json"


def _cancel_path(job_id: int) -> Path:
    return _folder() / f"{job_id}.cancel"


def process_marker() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


class JobChannel:
    """The progress callback of one running job: writes progress (at most every ``interval``
    seconds, and always at a stage's start and end) and raises ``JobCancelled`` when asked to stop."""

    def __init__(self, job_id: int, *, interval: float = 0.5, also: Progress | None = None):
        self.job_id = job_id
        self.interval = interval
        self.also = also
        self._last = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.also is not None:
            self.also(stage, done, total)
        now = time.monotonic()
        boundary = stage != self._stage or done == 0 or done >= total
        if not boundary and now - self._last < self.interval:
            return
        self._stage, self._last = stage, now
        path = _progress_path(self.job_id)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # one writer per name
        temporary.write_text(json.dumps({"stage": stage, "done": done, "total": total}), encoding="utf-8")
        temporary.replace(path)
        self.check_cancel()

    def check_cancel(self) -> None:
        """Raise ``JobCancelled`` if someone asked this job to stop (polled while a worker reads)."""
        cancel = cancel_requested(self.job_id)
        if cancel is not None:
            raise JobCancelled(_("Dibatalkan oleh %(name)s.") % {"name": cancel.get("by_name") or "?"},
                               extra={"by": cancel.get("by")})


def job_progress(job: Job) -> dict[str, Any]:
    """What the job's page shows: stage, done, total and a percentage (``None`` while unknown)."""
    data: dict[str, Any] = {"stage": "", "done": job.progress_done, "total": job.progress_total}
    if job.status == Job.Status.RUNNING:
        with contextlib.suppress(OSError, ValueError):
            data.update(json.loads(_progress_path(job.pk).read_text(encoding="utf-8")))
    total = data.get("total") or 0
    data["percent"] = min(100, int(data["done"] * 100 / total)) if total else None
    return data


def cancel_requested(job_id: int) -> dict[str, Any] | None:
    try:
        return json.loads(_cancel_path(job_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def job_request_cancel(*, actor: Any, job: Job) -> bool:
    """Ask a queued or running job to stop. Writes no row (the job may hold the database's write
    lock): the job sees the request at its next progress report, rolls back, records the
    cancellation and who asked. Returns False when the job has already finished."""
    if job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
        return False
    _cancel_path(job.pk).write_text(json.dumps({"by": actor.pk, "by_name": getattr(actor, "name", "")}),
                                    encoding="utf-8")
    return True


def job_finish(job: Job, *, status: str, message: str = "", result: dict[str, Any] | None = None,
               done: int | None = None) -> None:
    """Record the job's end (``core.services.job_set_finished``) and remove its progress and
    cancel files."""
    job_set_finished(job=job, status=status, message=message, result=result, done=done)
    for path in (_progress_path(job.pk), _cancel_path(job.pk)):
        path.unlink(missing_ok=True)


def job_begin(job: Job, *, also: Progress | None = None) -> JobChannel:
    """Mark ``job`` running in this process and thread (after noticing jobs of its kind that died,
    and removing files whose time is up), and return the progress callback it reports through."""
    mark_interrupted(job.kind)
    with contextlib.suppress(OSError):
        purge_expired_files()
    job_set_running(job=job, params={**job.params, **process_marker(), "thread": threading.get_ident()})
    return JobChannel(job.pk, also=also)


def _alive(job: Job) -> bool:
    """Whether the process (and, in this process, the thread) that runs ``job`` still exists.
    A job of another host, or without a process marker, is taken to be alive."""
    pid = job.params.get("pid")
    if job.params.get("host") != socket.gethostname() or not isinstance(pid, int):
        return True
    if pid == os.getpid():
        return job.params.get("thread") in {t.ident for t in threading.enumerate()}
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted(kind: str) -> int:
    """Jobs of ``kind`` whose process is gone, or that a stopped server queued and never started
    (after a grace period: a queued job starts within a second of its request): say so."""
    forgotten = Job.objects.filter(kind=kind, status=Job.Status.QUEUED, started_at__isnull=True,
                                   created_at__lt=timezone.now() - QUEUED_GRACE)
    dead = [job for job in Job.objects.filter(kind=kind, status=Job.Status.RUNNING) if not _alive(job)]
    interrupted = [*forgotten, *dead]
    for job in interrupted:
        job_finish(job, status=Job.Status.FAILED,
                   message=_("Terputus: tidak ada yang tersimpan dari pekerjaan ini."))
    return len(interrupted)


CHECK_KEY = "check_sha256"


def confirm_deadline(job: Job) -> dt.datetime:
    """Until when a web upload's check (a dry run whose params carry ``CHECK_KEY``) may be confirmed:
    ``JARING_IMPORT_CONFIRM_HOURS`` after it was uploaded; its file is kept until then (decision 0027)."""
    return job.created_at + dt.timedelta(hours=int(getattr(settings, "JARING_IMPORT_CONFIRM_HOURS", 24)))


def awaiting_confirmation(moment: float) -> set[str]:
    """The uploads of succeeded checks still within their confirmation time (kept by the purge)."""
    hours = int(getattr(settings, "JARING_IMPORT_CONFIRM_HOURS", 24))
    since = dt.datetime.fromtimestamp(moment, tz=dt.UTC) - dt.timedelta(hours=hours)
    return {str(p.get("path")) for p in Job.objects.filter(
        status=Job.Status.SUCCEEDED, params__has_key=CHECK_KEY, created_at__gt=since).values_list("params", flat=True)
        if isinstance(p, dict) and p.get("path")}


def purge_expired_files(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what must not outlive its use (decision 0027): import reports older than
    ``JARING_REPORT_RETENTION_DAYS``; uploads no queued or running job needs (the job deletes its
    own; these are what a killed server left) and no check awaits confirmation for (``awaiting_confirmation``:
    an unconfirmed check's file goes after ``JARING_IMPORT_CONFIRM_HOURS``); reading workers' directories
    of a dead server.
    A file younger than ``QUEUED_GRACE`` is left alone (its job may not be committed yet).
    Returns how many files of each kind went."""
    moment = (now or timezone.now()).timestamp()
    home = Path(settings.JARING_HOME)
    days = int(getattr(settings, "JARING_REPORT_RETENTION_DAYS", 30))
    grace = QUEUED_GRACE.total_seconds()
    removed = {"reports": 0, "uploads": 0, "tmp": 0}

    def old(path: Path, seconds: float) -> bool:
        try:
            return moment - path.stat().st_mtime > seconds
        except FileNotFoundError:
            return False

    reports = home / "reports"
    if reports.is_dir():
        for path in reports.iterdir():
            if path.is_file() and old(path, days * 86400):
                path.unlink(missing_ok=True)
                removed["reports"] += 1
    uploads = home / "uploads"
    if uploads.is_dir():
        needed = {str(p.get("path")) for p in Job.objects.filter(
            status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).values_list("params", flat=True) if p}
        needed |= awaiting_confirmation(moment)
        for path in uploads.iterdir():
            if path.is_file() and str(path) not in needed and old(path, grace):
                path.unlink(missing_ok=True)
                removed["uploads"] += 1
            elif path.is_dir() and not any(n.startswith(str(path) + os.sep) for n in needed) and old(path, grace):
                # A folder an upload keeps its original file name in (the BPJSTK files).
                shutil.rmtree(path, ignore_errors=True)
                removed["uploads"] += 1
    workers = home / "tmp"
    if workers.is_dir():
        limit = int(getattr(settings, "JARING_IMPORT_SECONDS", 600)) + grace
        for path in workers.glob("sandbox-*"):
            if old(path, limit):
                shutil.rmtree(path, ignore_errors=True)
                removed["tmp"] += 1
    return removed


def job_start(job: Job, work: Callable[[Job], None]) -> None:
    """Run ``work(job)`` after the current transaction commits: inline when
    ``JARING_JOBS_INLINE`` is set (tests), else in a daemon thread of this process."""

    def run() -> None:
        try:
            work(Job.objects.get(pk=job.pk))
        except Exception:  # the work records its own failure on the job; never kill the server
            log.exception("job %s failed", job.pk)

    def in_thread() -> None:
        close_old_connections()
        try:
            run()
        finally:
            close_old_connections()

    def launch() -> None:
        if getattr(settings, "JARING_JOBS_INLINE", False):
            run()
            return
        threading.Thread(target=in_thread, name=f"jaring-job-{job.pk}", daemon=True).start()

    transaction.on_commit(launch)
