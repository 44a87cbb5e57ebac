"""The task queue (decision 0047): progress and cancel through the jobs alias while the job's own
transaction is open, jobs of dead workers re-queued or failed with the reason, a real worker killed
mid-job on this test run's database, the Redis-backed worker when Redis answers, the nightly schedule."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from jaring.core.jobs import JobCancelled, job_begin, job_progress, job_request_cancel, mark_interrupted
from jaring.core.models import AuditEvent, Job, JobSignal
from jaring.core.tasks_queue import enqueue, schedule_due, work_name
from jaring.registry.importing import import_job_create, import_registry
from jaring.registry.models import Person

ROOT = Path(__file__).resolve().parents[3]
HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa\n"
ROWS = ("Yohanes Kalami;9271011403850001;9271010203150007;14/03/1985;L;Remu\n"
        "Maria Kalami;9271015508900001;9271010203150007;15/08/1990;P;Remu\n")
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BOTH = {"default", "jobs"}


def _in_another_thread(work: Any) -> Any:
    """Run ``work`` in a thread of its own (its own database connections) and return its result."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=BOTH)
@override_settings(JARING_JOBS_DB="jobs")
def test_progress_and_cancel_cross_connections_while_the_import_transaction_is_open(personas, tmp_path):
    """While the import holds its transaction (SQLite: the main file's write lock), another
    connection sees its progress and its cancel request reaches it; nothing is kept."""
    operator = personas["operator_sorong"]
    path = tmp_path / "data.csv"
    path.write_text(HEADER + ROWS)
    seen: dict[str, Any] = {}

    def at_write(stage: str, done: int, total: int) -> None:
        if stage != "write" or seen:
            return
        assert connection.in_atomic_block  # the import's own transaction is open now

        def look_and_cancel() -> dict[str, Any]:
            job = Job.objects.get(kind="import.registry")  # committed by job_begin, before the transaction
            return {"status": job.status, "progress": job_progress(job),
                    "cancelled": job_request_cancel(actor=operator, job=job)}

        seen.update(_in_another_thread(look_and_cancel))

    with pytest.raises(JobCancelled):
        import_registry(actor=operator, path=path, progress=at_write)
    assert seen["status"] == Job.Status.RUNNING and seen["cancelled"] is True
    assert seen["progress"]["stage"] in {"read", "validate", "match", "write"}  # the job's last report
    job = Job.objects.get(kind="import.registry")
    assert job.status == Job.Status.CANCELLED and operator.name in job.message
    assert Person.objects.count() == 0
    assert not JobSignal.objects.using("jobs").filter(job_id=job.pk).exists()  # forgotten once finished


def _running(job: Job, *, worker: str, attempts: int, beat_minutes_ago: int) -> Job:
    """``job`` as a worker elsewhere left it: running, claimed by ``worker``, last heartbeat long ago."""
    old = timezone.now() - dt.timedelta(minutes=beat_minutes_ago)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, worker=worker, attempts=attempts,
                                         started_at=old, params={**job.params, "host": "elsewhere", "pid": 4242})
    JobSignal.objects.create(job_id=job.pk, stage="write", done=1, total=2, heartbeat_at=old)
    job.refresh_from_db()
    return job


def _queued_import(operator: Any, tmp_path: Path, name: str = "data.csv") -> Job:
    path = tmp_path / name
    path.write_text(HEADER + ROWS)
    job = import_job_create(actor=operator, path=path, file_name=name)
    Job.objects.filter(pk=job.pk).update(work="registry.import.run")
    job.refresh_from_db()
    return job


def test_jobs_of_a_dead_worker_are_requeued_when_repeatable_else_failed_with_the_reason(
        personas, tmp_path, django_capture_on_commit_callbacks):
    operator = personas["operator_sorong"]
    repeatable = _running(_queued_import(operator, tmp_path), worker="elsewhere:4242:1", attempts=1,
                          beat_minutes_ago=5)
    exhausted = _running(_queued_import(operator, tmp_path, "lagi.csv"), worker="elsewhere:4242:2", attempts=2,
                         beat_minutes_ago=5)
    reminders = Job.objects.create(kind="reminders.send", created_by=operator, work="reminders.send",
                                   params={"as_of": "2026-12-07"})
    reminders = _running(reminders, worker="elsewhere:4242:3", attempts=1, beat_minutes_ago=5)
    alive = _running(Job.objects.create(kind="import.registry", created_by=operator, work="registry.import.run"),
                     worker="elsewhere:7:1", attempts=1, beat_minutes_ago=0)

    with django_capture_on_commit_callbacks(execute=True):
        assert mark_interrupted() == 3
    statuses = {job.pk: Job.objects.get(pk=job.pk) for job in (repeatable, exhausted, reminders, alive)}
    again = statuses[repeatable.pk]
    assert again.status == Job.Status.SUCCEEDED and again.attempts == 2  # re-queued, run again, all of it
    assert Person.objects.count() == 2
    for gone in (exhausted, reminders):
        job = statuses[gone.pk]
        assert job.status == Job.Status.FAILED and job.message.startswith("Terputus: server berhenti saat berjalan")
    assert statuses[alive.pk].status == Job.Status.RUNNING  # its heartbeat is fresh: not touched
    events = AuditEvent.objects.filter(action="job.interrupted")
    assert sorted(e.after["requeued"] for e in events) == [False, False, True]


def test_a_queued_job_no_task_will_run_is_not_lost(personas, tmp_path, django_capture_on_commit_callbacks):
    """Queued before a server died, its task never written: after the grace period it is re-queued."""
    job = _queued_import(personas["operator_sorong"], tmp_path)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_interrupted() == 1
    assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED and Person.objects.count() == 2


def test_a_cancel_before_the_start_reaches_the_job(personas, tmp_path):
    operator = personas["operator_sorong"]
    job = _queued_import(operator, tmp_path)
    assert job_request_cancel(actor=operator, job=job)
    enqueue(job, "registry.import.run")
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and operator.name in job.message and Person.objects.count() == 0


def test_only_registered_work_is_queued(personas):
    with pytest.raises(ValueError, match="not a registered job work"):
        work_name(os.getcwd)  # type: ignore[arg-type]
    job = Job.objects.create(kind="x", created_by=personas["operator_sorong"])
    with pytest.raises(ValueError, match="unknown job work"):
        enqueue(job, "os.system")


@override_settings(JARING_SCHEDULE="reports.snapshot=01:00,billing.close=02:00,nonsense=03:00,reminders.send=bad")
def test_the_nightly_schedule_queues_each_work_once_a_day_and_audits_it(personas):
    night = timezone.make_aware(dt.datetime(2026, 12, 7, 2, 30))
    first = schedule_due(night)
    assert sorted(job.kind for job in first) == ["billing.close", "reports.snapshot"]
    assert schedule_due(night + dt.timedelta(minutes=20)) == []  # already queued tonight
    for job in first:
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED, job.message
        assert job.schedule_key == f"{job.kind}@2026-12-07"
    assert AuditEvent.objects.filter(action="schedule.queue").count() == 2
    assert schedule_due(night - dt.timedelta(hours=2)) == []  # 00:30: nothing due
    assert schedule_due(night + dt.timedelta(hours=10)) == []  # 12:30: past the catch-up window


def _worker_env(**extra: str) -> dict[str, str]:
    """The environment of a `jaring worker` on this test run's databases (both aliases)."""
    main = connections["default"].settings_dict
    if main["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{main['NAME']}"
    else:
        url = (f"postgres://{main['USER']}:{main.get('PASSWORD') or ''}@{main.get('HOST') or '127.0.0.1'}:"
               f"{main.get('PORT') or 5432}/{main['NAME']}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jaring.test_settings", "DATABASE_URL": url,
           "JARING_HOME": str(settings.JARING_HOME), "JARING_JOBS_INLINE": "false", "JARING_JOBS_DB": "jobs",
           "JARING_JOB_HEARTBEAT_SECONDS": "1", "JARING_SCHEDULE": ""}
    env.update(extra)
    return env


def _wait_for(predicate: Any, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=BOTH)
@override_settings(JARING_JOBS_DB="jobs", TASKS=DATABASE_BACKEND)
def test_a_job_survives_a_killed_worker(personas, tmp_path):
    """A real `jaring worker` takes an import and is killed (SIGKILL) while it runs; the next
    worker re-queues the job at its start and runs it whole: nothing lost, nothing twice."""
    job = _queued_import(personas["operator_sorong"], tmp_path)
    enqueue(job, "registry.import.run")
    env = _worker_env()
    first = subprocess.Popen([sys.executable, "-m", "jaring.cli", "worker", "--no-schedule", "--interval", "0.1"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        started = _wait_for(lambda: Job.objects.get(pk=job.pk).status != Job.Status.QUEUED, 60)
    finally:
        first.send_signal(signal.SIGKILL)
        _out, err = first.communicate(timeout=30)
    job.refresh_from_db()
    assert started and job.status == Job.Status.RUNNING, (job.status, job.message, err.decode()[-2000:])
    assert job.worker.split(":")[1] == str(first.pid) and Person.objects.count() == 0

    second = subprocess.run([sys.executable, "-m", "jaring.cli", "worker", "--batch", "--no-schedule"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2, (job.status, job.message)
    assert Person.objects.count() == 2  # imported once, whole
    assert AuditEvent.objects.filter(action="job.interrupted", object_id=str(job.pk)).exists()


REDIS_URL = os.environ.get("JARING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


QUEUE = f"test-{os.getpid()}"  # this test run's own queue: other runs may share the Redis


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=BOTH)
@override_settings(JARING_JOBS_DB="jobs", JARING_TASKS_QUEUE=QUEUE,
                   TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", QUEUE]}},
                   RQ_QUEUES={name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300} for name in ("default", QUEUE)})
def test_a_redis_worker_process_runs_the_job(personas, tmp_path):
    """With a broker, the job goes to Redis and a separate `jaring worker` process runs it."""
    if not _redis_answers():
        pytest.skip(f"SKIPPED: the Redis-backed task queue test needs Redis at {REDIS_URL} "
                    "(set JARING_TEST_REDIS_URL); no Redis answered")
    import django_rq

    django_rq.get_queue(QUEUE).empty()
    job = _queued_import(personas["operator_sorong"], tmp_path)
    enqueue(job, "registry.import.run")
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.task_id  # in Redis, not run here
    done = subprocess.run([sys.executable, "-m", "jaring.cli", "worker", "--batch", "--no-schedule"],
                          cwd=ROOT, env=_worker_env(JARING_TASKS_BROKER=REDIS_URL, JARING_TASKS_QUEUE=QUEUE),
                          capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.message, done.stderr[-3000:])
    assert Person.objects.count() == 2


def test_job_begin_counts_the_start_and_names_the_worker(personas):
    job = Job.objects.create(kind="x", created_by=personas["operator_sorong"])
    job_begin(job)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1 and str(os.getpid()) in job.worker
    assert JobSignal.objects.get(job_id=job.pk).heartbeat_at is not None
