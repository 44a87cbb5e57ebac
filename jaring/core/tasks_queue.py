"""The task queue (decision 0047): background jobs are tasks of django-tasks.

A job (``core.Job``) is queued with ``enqueue(job, name)``, where ``name`` is a registered work
of ``WORKS`` (an allow-list: a task row names a work, never an importable path of its choice).
The task ``run_job`` runs it wherever the configured backend runs tasks:

- tests: the immediate backend, inline when the request's transaction commits;
- no configuration: the database backend (django-tasks-db); ``jaring serve`` runs its worker loop
  in a thread of the server (``start_embedded``), ``jaring worker`` in a process of its own;
- ``JARING_TASKS_BROKER=redis://…``: RQ on Redis; ``jaring worker`` processes, on any machine that
  reaches Redis and the database, run the tasks.

Whatever runs it, a job survives its worker's death: ``core.jobs.mark_interrupted`` (at every
worker's start, every ``SWEEP_SECONDS`` in its scheduler loop, and before a job of the same kind
starts) re-queues a job whose worker stopped beating when its work is safe to repeat
(``Work.repeatable``: all-or-nothing imports keep nothing of a dead run) and it has starts left,
and marks the others failed with the reason. The scheduler loop also queues the nightly work
(``JARING_SCHEDULE``): each run is a job with a unique ``schedule_key``, so several workers never
queue the same night twice, and an audit event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, default_task_backend, task
from django_tasks.exceptions import TaskResultDoesNotExist

from jaring.core.audit import audit_log
from jaring.core.context import RequestInfo, current_request
from jaring.core.models import Job
from jaring.core.services import job_create, job_set_queued, job_set_requeued

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class Work:
    path: str  # the function that runs the job: ``work(job)``
    repeatable: bool  # safe to run again after its worker died mid-way (nothing of that run was kept)


WORKS: dict[str, Work] = {
    # A registry upload's check (a dry run) and the confirmed import: one transaction each (decision 0011).
    "registry.import.check": Work("jaring.registry.import_views._run_check", repeatable=True),
    "registry.import.run": Work("jaring.registry.import_views._run_and_discard_upload", repeatable=True),
    # A BPJSTK file: each importer writes in one transaction.
    "membership.bpjstk.upload": Work("jaring.membership.views_bpjstk._run_upload", repeatable=True),
    # A duplicate scan recomputes its candidates.
    "registry.dedup.scan": Work("jaring.registry.services.dedup_scan_job_run", repeatable=True),
    # Reminders are delivered one message at a time: a dead run may have sent some; never twice.
    "reminders.send": Work("jaring.reminders.services.reminders_job_run", repeatable=False),
    # The nightly snapshot (each month its own transaction, replaced whole) and billing close
    # (one transaction) are safe to repeat.
    "schedule.call": Work("jaring.core.tasks_queue.scheduled_call", repeatable=True),
}


def queue_name() -> str:
    """The queue this deployment's jobs go to (``JARING_TASKS_QUEUE``)."""
    return str(getattr(settings, "JARING_TASKS_QUEUE", "default") or "default")


def work_name(work: Callable[[Job], None]) -> str:
    """The registered name of the function ``work``; ``ValueError`` for any other."""
    path = f"{work.__module__}.{work.__qualname__}"
    for name, entry in WORKS.items():
        if entry.path == path:
            return name
    raise ValueError(f"{path} is not a registered job work (core.tasks_queue.WORKS)")


def enqueue(job: Job, name: str) -> None:
    """Put ``job`` on the task queue to be run by the work ``name``. With the immediate backend
    (tests) the job runs before this returns."""
    if name not in WORKS:
        raise ValueError(f"unknown job work {name!r}")
    job_set_queued(job=job, work=name, task_id="")
    result = run_job.using(queue_name=queue_name()).enqueue(job.pk, name)
    if default_task_backend.supports_get_result:
        job_set_queued(job=job, work=name, task_id=str(result.id))


@task()
def run_job(job_id: int, work: str) -> None:
    """The one task of the queue: run the queued job ``job_id`` with its registered work. A job no
    longer queued (finished, cancelled, or taken by another worker after a re-queue) is left alone."""
    from jaring.core.jobs import cancel_requested, heartbeats, job_finish

    entry = WORKS.get(work)
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if entry is None or job is None or job.status != Job.Status.QUEUED:
        log.info("task for job %s (%s): nothing to run", job_id, work)
        return
    cancel = cancel_requested(job.pk)
    if cancel is not None:
        job_finish(job, status=Job.Status.CANCELLED,
                   message=_("Dibatalkan oleh %(name)s.") % {"name": cancel.get("by_name") or "?"})
        return
    token = current_request.set(RequestInfo(channel="task", request_id=f"job-{job.pk}"))
    try:
        import_string(entry.path)(job)
    except Exception:
        log.exception("job %s failed", job.pk)
        job.refresh_from_db(fields=["status"])
        if job.status in (Job.Status.QUEUED, Job.Status.RUNNING):
            job_finish(job, status=Job.Status.FAILED,
                       message=_("Terjadi kesalahan tak terduga; tidak ada yang tersimpan dari pekerjaan ini."))
        raise
    finally:
        current_request.reset(token)
        heartbeats.discard(job_id)


def task_lost(job: Job) -> bool:
    """Whether no task will ever run the queued ``job``: it has none, or its task is gone or ended.
    Unknown (a backend that cannot tell): not lost."""
    if not job.task_id:
        return True
    try:
        result = run_job.get_result(job.task_id)
    except TaskResultDoesNotExist:
        return True
    except Exception:  # a backend without results, an unreachable broker: do not guess
        return False
    return result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


def _close_dead_task(task_id: str) -> None:
    """A dead worker's database task row stays "running" for ever: mark it failed."""
    if not task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path="jaring.core.jobs.Interrupted", traceback="worker stopped while running")


def requeue(job: Job) -> bool:
    """Put a job whose worker died back on the queue, when its work is safe to repeat and it has
    starts left (``JARING_JOB_MAX_ATTEMPTS``); with an audit event. False: the caller fails it."""
    entry = WORKS.get(job.work)
    limit = int(getattr(settings, "JARING_JOB_MAX_ATTEMPTS", 2))
    old_task = job.task_id
    if entry is None or not entry.repeatable or job.attempts >= limit:
        audit_log(actor=None, action="job.interrupted", object_type="core.job", object_id=str(job.pk),
                  after={"kind": job.kind, "attempts": job.attempts, "worker": job.worker, "requeued": False})
        _close_task_quietly(old_task)
        return False
    if not job_set_requeued(job=job, message=_("Dijalankan ulang: server berhenti saat pekerjaan ini berjalan.")):
        return True  # another worker's sweep got there first
    audit_log(actor=None, action="job.interrupted", object_type="core.job", object_id=str(job.pk),
              after={"kind": job.kind, "attempts": job.attempts, "worker": job.worker, "requeued": True})
    _close_task_quietly(old_task)
    name = job.work
    transaction.on_commit(lambda: enqueue(job, name))
    return True


def _close_task_quietly(task_id: str) -> None:
    try:
        _close_dead_task(task_id)
    except Exception:  # the task table of another backend, a malformed id: only tidiness is lost
        log.debug("task %s not closed", task_id, exc_info=True)


# --- The nightly schedule --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Scheduled:
    kind: str
    work: str
    params: Callable[[dt.date], dict[str, Any]]


SCHEDULED: dict[str, Scheduled] = {
    "reports.snapshot": Scheduled("reports.snapshot", "schedule.call", lambda day: {
        "call": "jaring.reports.services.snapshot_refresh", "kwargs": {"months": 24, "trigger": "schedule"}}),
    "billing.close": Scheduled("billing.close", "schedule.call", lambda day: {
        "call": "jaring.contributions.services.billing_close", "kwargs": {"as_of": day.isoformat()}}),
    "reminders.send": Scheduled("reminders.send", "reminders.send", lambda day: {"as_of": day.isoformat()}),
}
SCHEDULED_CALLS = {"jaring.reports.services.snapshot_refresh", "jaring.contributions.services.billing_close"}
CATCH_UP = dt.timedelta(hours=6)  # a worker that starts within this after a run's time still runs it that day
DATE_KWARGS = {"as_of", "today", "period"}


def schedule_entries() -> list[tuple[str, dt.time]]:
    """``JARING_SCHEDULE`` ("name=HH:MM,…") as (name, time); unknown names and bad times are logged
    and left out (the worker keeps running the rest)."""
    entries = []
    for part in str(getattr(settings, "JARING_SCHEDULE", "") or "").split(","):
        name, _sep, at = part.strip().partition("=")
        if not name:
            continue
        try:
            when = dt.time.fromisoformat(at.strip())
        except ValueError:
            log.warning("JARING_SCHEDULE: %r has no HH:MM time; left out", part)
            continue
        if name.strip() not in SCHEDULED:
            log.warning("JARING_SCHEDULE: %r is not one of %s; left out", name, ", ".join(SCHEDULED))
            continue
        entries.append((name.strip(), when))
    return entries


def system_actor() -> Any:
    """The actor of scheduled work: the CLI's system user (``JARING_CLI_ACTOR`` with no name)."""
    return import_string(settings.JARING_CLI_ACTOR)(None)


def schedule_due(now: dt.datetime | None = None) -> list[Job]:
    """Queue each scheduled work whose time has come today (within ``CATCH_UP``) and that no one
    queued yet today. Returns the jobs queued now."""
    local = timezone.localtime(now or timezone.now())
    queued = []
    for name, at in schedule_entries():
        start = timezone.make_aware(dt.datetime.combine(local.date(), at), local.tzinfo)
        if not start <= local < start + CATCH_UP:
            continue
        key = f"{name}@{local.date().isoformat()}"
        if Job.objects.filter(schedule_key=key).exists():
            continue
        entry = SCHEDULED[name]
        actor = system_actor()
        try:
            with transaction.atomic():
                job = job_create(actor=actor, kind=entry.kind, params=entry.params(local.date()), schedule_key=key)
                audit_log(actor=actor, action="schedule.queue", object_type="core.job", object_id=str(job.pk),
                          after={"schedule": name, "day": local.date().isoformat(), "at": at.strftime("%H:%M")})
        except IntegrityError:  # another worker queued it a moment ago
            continue
        enqueue(job, entry.work)
        queued.append(job)
    return queued


def scheduled_call(job: Job) -> None:
    """Run a scheduled service call (``params``: ``call``, a function of ``SCHEDULED``, and its
    keyword arguments) as the job's actor; its result is the job's result."""
    from jaring.core.jobs import job_begin, job_finish

    call = str(job.params.get("call") or "")
    say = job_begin(job)
    if call not in SCHEDULED_CALLS or job.created_by is None:
        job_finish(job, status=Job.Status.FAILED, message=_("Pekerjaan terjadwal tidak dikenal."))
        return
    kwargs = {k: dt.date.fromisoformat(v) if k in DATE_KWARGS and isinstance(v, str) else v
              for k, v in dict(job.params.get("kwargs") or {}).items()}
    say("run", 0, 1)
    try:
        result = import_string(call)(actor=job.created_by, **kwargs)
    except Exception as exc:
        job_finish(job, status=Job.Status.FAILED, message=str(getattr(exc, "message", exc)))
        raise
    data = result.as_dict() if hasattr(result, "as_dict") else {}
    job_finish(job, status=Job.Status.SUCCEEDED, result=_jsonable(data), done=1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


# --- Workers -------------------------------------------------------------------------------------

def sweep(*, schedule: bool = True) -> None:
    """What every worker does at start and every ``SWEEP_SECONDS``: recover the jobs of dead
    workers, then queue the nightly work that is due (unless ``schedule`` is False)."""
    from jaring.core.jobs import mark_interrupted

    try:
        mark_interrupted()
        if schedule:
            schedule_due()
    except Exception:  # a locked database, a broken setting: the next sweep tries again
        log.exception("task queue sweep failed")
    finally:
        close_old_connections()


def uses_database_backend() -> bool:
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def database_worker(*, index: int = 0, interval: float = 1.0, batch: bool = False,
                    max_tasks: int | None = None) -> Any:
    """django-tasks-db's worker loop (the ``db_worker`` command's), for a thread or a process."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{index}"[:64]
    return Worker(queue_names=[queue_name()], interval=interval, batch=batch, backend_name="default",
                  startup_delay=False, max_tasks=max_tasks, worker_id=worker_id, excluded_queue_names=[])


class Embedded:
    """The worker threads ``jaring serve`` runs when no broker is configured: the database
    backend's loop in ``threads`` daemon threads, and the sweep (recovery, schedule) in one more.
    A killed server loses nothing: its running jobs are recovered by the next sweep."""

    def __init__(self, threads: int) -> None:
        self.workers = [database_worker(index=i) for i in range(threads)]
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        sweep()
        for i, worker in enumerate(self.workers):
            thread = threading.Thread(target=self._loop, args=(worker,), name=f"jaring-worker-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)
        thread = threading.Thread(target=self._sweeps, name="jaring-sweep", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _loop(self, worker: Any) -> None:
        while not self.stopping.is_set():
            try:
                worker.run()
            except Exception:  # never let one bad poll end the server's worker
                log.exception("embedded worker loop stopped; restarting")
                time.sleep(1)
            finally:
                close_old_connections()

    def _sweeps(self) -> None:
        while not self.stopping.wait(SWEEP_SECONDS):
            sweep()

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.running = False


def start_embedded(threads: int | None = None) -> Embedded | None:
    """Start the embedded workers unless a broker is configured or ``JARING_EMBEDDED_WORKERS`` is 0."""
    count = int(settings.JARING_EMBEDDED_WORKERS if threads is None else threads)
    if count <= 0 or not uses_database_backend():
        return None
    embedded = Embedded(count)
    embedded.start()
    return embedded


def ensure_jobs_database(using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` of the main database: migrate the SQLite side file of the ``jobs`` alias too
    (one command builds both). Not while the test runner builds its databases (it builds the alias's
    own when a test asks for it) and not on PostgreSQL (the alias is the same database)."""
    from django.core.management import call_command

    from jaring.core.routers import JOBS_ALIAS

    jobs = settings.DATABASES.get(JOBS_ALIAS)
    main = connections["default"].settings_dict
    if (using != "default" or jobs is None or jobs["ENGINE"] != "django.db.backends.sqlite3"
            or jobs.get("NAME") == main.get("NAME")
            or main.get("NAME") == (main.get("TEST") or {}).get("NAME")):  # a test run builds its own
        return
    call_command("migrate", database=JOBS_ALIAS, verbosity=0, interactive=False)
