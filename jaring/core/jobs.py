"""Long-running work: where a running job tells its progress, and how someone asks it to stop.

A job's row (``core.Job``) holds its status and result. While the job writes inside one long
transaction (an import is all or nothing, decision 0011), its own row cannot show progress (on
SQLite the job holds the only write lock; on PostgreSQL the update stays invisible until commit).
So a running job reports progress, its worker's heartbeat and reads a cancel request through
``core.JobSignal`` on the ``jobs`` database alias (``core.routers``): a small SQLite file of its
own, or a second connection to the same PostgreSQL database; either commits at once, for the CLI
and for the web (decision 0047, which replaced the files of decision 0013).

Jobs started from the web are tasks of the task queue (``core.tasks_queue``), enqueued when the
request's transaction commits (``job_start``). A job whose worker died (no heartbeat for
``JARING_JOB_STALE_SECONDS``, or its process gone on this host) is re-queued when its work is safe
to repeat, else marked failed with the reason (``mark_interrupted``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.core.errors import JaringError
from jaring.core.models import Job, JobSignal
from jaring.core.routers import jobs_db
from jaring.core.services import job_set_finished, job_set_running

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
QUEUED_GRACE = dt.timedelta(minutes=10)


class JobCancelled(JaringError):
    code = "cancelled"
    http_status = 409
    exit_code = 6


def process_marker() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def worker_name() -> str:
    """This process and thread, as a job's ``worker``: ``host:pid:thread``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:160]


def _copying(alias: str) -> bool:
    """Whether ``alias``'s connection is in the middle of a statement (the bulk loader's PostgreSQL
    copy, ``core.bulk``, reports progress while it streams). Only when the jobs alias is the default
    connection itself (tests): a second statement on it would wait for the copy to end, for ever."""
    connection = connections[alias]
    raw = connection.connection
    if alias != "default" or connection.vendor != "postgresql" or raw is None:
        return False
    from psycopg import pq

    return bool(raw.pgconn.transaction_status == pq.TransactionStatus.ACTIVE)


def _signal_write(job_id: int, **values: Any) -> None:
    """Write the job's signal row on the jobs alias: its own connection, outside the job's
    transaction, so it commits now (tests: a savepoint of the one connection the test wraps)."""
    alias = jobs_db()
    if _copying(alias):
        return
    with transaction.atomic(using=alias):
        if not JobSignal.objects.using(alias).filter(job_id=job_id).update(**values):
            JobSignal.objects.using(alias).update_or_create(job_id=job_id, defaults=values)


def _signal(job_id: int) -> JobSignal | None:
    alias = jobs_db()
    return None if _copying(alias) else JobSignal.objects.using(alias).filter(job_id=job_id).first()


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
        _signal_write(self.job_id, stage=stage[:40], done=max(0, int(done)), total=max(0, int(total)),
                      heartbeat_at=timezone.now())
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
        signal = _signal(job.pk)
        if signal is not None and signal.stage:
            data.update(stage=signal.stage, done=signal.done, total=signal.total)
    total = data.get("total") or 0
    data["percent"] = min(100, int((data["done"] or 0) * 100 / total)) if total else None
    return data


def cancel_requested(job_id: int) -> dict[str, Any] | None:
    """Who asked the job to stop (``{"by": user id, "by_name": name}``), or ``None``."""
    signal = _signal(job_id)
    if signal is None or signal.cancel_at is None:
        return None
    return {"by": signal.cancel_by, "by_name": signal.cancel_by_name}


def job_request_cancel(*, actor: Any, job: Job) -> bool:
    """Ask a queued or running job to stop. Writes the job's signal row on the jobs alias (the job
    may hold the main database's write lock): the job sees the request at its next progress report,
    rolls back, records the cancellation and who asked. Returns False when the job has already finished."""
    job.refresh_from_db(fields=["status"])
    if job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
        return False
    _signal_write(job.pk, cancel_by=getattr(actor, "pk", None), cancel_by_name=str(getattr(actor, "name", ""))[:150],
                  cancel_at=timezone.now())
    return True


class _Heartbeats:
    """One daemon thread per process that writes, every ``JARING_JOB_HEARTBEAT_SECONDS``, the
    heartbeat of each job this process runs (a job may spend minutes in one step between two
    progress reports). Off when the setting is 0 (tests)."""

    def __init__(self) -> None:
        self._jobs: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, job_id: int) -> None:
        every = int(getattr(settings, "JARING_JOB_HEARTBEAT_SECONDS", 0) or 0)
        if every <= 0:
            return
        with self._lock:
            self._jobs.add(job_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(every,), name="jaring-heartbeat", daemon=True)
                self._thread.start()

    def discard(self, job_id: int) -> None:
        with self._lock:
            self._jobs.discard(job_id)

    def _run(self, every: int) -> None:
        while True:
            time.sleep(every)
            with self._lock:
                jobs = sorted(self._jobs)
            for job_id in jobs:
                try:  # an update only: a job that finished meanwhile has no row to bring back
                    JobSignal.objects.using(jobs_db()).filter(job_id=job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:  # a locked or gone side database: the next beat tries again
                    log.warning("heartbeat of job %s not written", job_id, exc_info=True)
            connections[jobs_db()].close()


heartbeats = _Heartbeats()


def job_finish(job: Job, *, status: str, message: str = "", result: dict[str, Any] | None = None,
               done: int | None = None) -> None:
    """Record the job's end (``core.services.job_set_finished``) and forget its signal row."""
    heartbeats.discard(job.pk)
    job_set_finished(job=job, status=status, message=message, result=result, done=done)
    with contextlib.suppress(DatabaseError):
        JobSignal.objects.using(jobs_db()).filter(job_id=job.pk).delete()


def job_begin(job: Job, *, also: Progress | None = None) -> JobChannel:
    """Mark ``job`` running in this process and thread (after noticing jobs of its kind that died,
    and removing files whose time is up), and return the progress callback it reports through."""
    mark_interrupted(job.kind)
    with contextlib.suppress(OSError):
        purge_expired_files()
    job_set_running(job=job, params={**job.params, **process_marker(), "thread": threading.get_ident()},
                    worker=worker_name())
    _signal_write(job.pk, heartbeat_at=timezone.now())
    heartbeats.add(job.pk)
    return JobChannel(job.pk, also=also)


def _alive(job: Job) -> bool:
    """Whether the process (and, in this process, the thread) that runs ``job`` may still exist.
    A job of another host, or without a process marker, is taken to be alive (its heartbeat tells)."""
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


def _last_sign_of_life(job: Job, beats: dict[int, dt.datetime | None]) -> dt.datetime:
    return beats.get(job.pk) or job.started_at or job.created_at


def mark_interrupted(kind: str | None = None) -> int:
    """Jobs (of ``kind``, or all) whose worker is gone: its process is gone from this host, or its
    heartbeat is older than ``JARING_JOB_STALE_SECONDS``; and queued jobs no task will ever run
    (queued before the task queue, or their task ended without starting them), after a grace
    period. Each is re-queued when its work is safe to repeat and it has starts left
    (``core.tasks_queue.requeue``), else marked failed with the reason. Returns how many."""
    from jaring.core.tasks_queue import requeue, task_lost

    jobs = Job.objects.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
    if kind is not None:
        jobs = jobs.filter(kind=kind)
    now = timezone.now()
    stale = dt.timedelta(seconds=int(getattr(settings, "JARING_JOB_STALE_SECONDS", 60)))
    running = [job for job in jobs if job.status == Job.Status.RUNNING]
    beats = dict(JobSignal.objects.using(jobs_db()).filter(job_id__in=[j.pk for j in running])
                 .values_list("job_id", "heartbeat_at")) if running else {}
    dead = [job for job in running if not _alive(job) or now - _last_sign_of_life(job, beats) > stale]
    forgotten = [job for job in jobs if job.status == Job.Status.QUEUED and job.started_at is None
                 and job.created_at < now - QUEUED_GRACE and task_lost(job)]
    for job in [*dead, *forgotten]:
        if not requeue(job):
            job_finish(job, status=Job.Status.FAILED,
                       message=_("Terputus: server berhenti saat berjalan. Tidak ada yang tersimpan dari "
                                 "pekerjaan ini; jalankan lagi."))
    return len(dead) + len(forgotten)


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
    """Queue ``work(job)`` on the task queue after the current transaction commits
    (``core.tasks_queue.enqueue``): inline in tests, a database task row run by ``jaring serve``'s
    worker thread or ``jaring worker``, or a Redis task when a broker is set. ``work`` must be
    registered in ``core.tasks_queue.WORKS``."""
    from jaring.core.tasks_queue import enqueue, work_name

    name = work_name(work)  # refuses an unregistered function now, in the request
    transaction.on_commit(lambda: enqueue(job, name))
