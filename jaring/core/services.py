"""Writes of core's own tables other than the audit log (``core.audit``): job rows.

A job's row is bookkeeping of a piece of work (queued, running, finished, with its result); the
work's own service audits what the work does, so these write no audit event. ``core.jobs`` is the
machinery around them (progress files, cancel requests, background threads); it writes the row
only through these functions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from jaring.core.models import Job, JobSignal
from jaring.core.routers import jobs_db


def job_create(*, actor: Any, kind: str, params: dict[str, Any] | None = None, schedule_key: str | None = None) -> Job:
    """A queued job of ``kind`` started by ``actor`` (``schedule_key``: the scheduled run it is, unique).
    A signal row a dead job of the same id left (the jobs database outlives a restored backup) goes."""
    job = Job.objects.create(kind=kind, created_by=actor if getattr(actor, "pk", None) else None,
                             status=Job.Status.QUEUED, params=params or {}, schedule_key=schedule_key)
    JobSignal.objects.using(jobs_db()).filter(job_id=job.pk).delete()
    return job


def job_set_running(*, job: Job, params: dict[str, Any], worker: str = "") -> None:
    """The job started (``params``: its parameters with the process that runs it; ``worker``:
    host:pid:thread); one more start counted."""
    job.params, job.worker, job.status = params, worker, Job.Status.RUNNING
    job.attempts += 1
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now(), params=params,
                                         worker=worker, attempts=F("attempts") + 1)


def job_set_queued(*, job: Job, work: str, task_id: str) -> None:
    """The job is (again) on the task queue: the registered ``work`` that runs it and the task's id."""
    job.work, job.task_id = work, task_id
    Job.objects.filter(pk=job.pk).update(work=work, task_id=task_id[:64])


def job_set_requeued(*, job: Job, message: str) -> bool:
    """A job whose worker died goes back to the queue (``message`` says why). False when someone
    else already did (the row was no longer running or queued as read)."""
    done = Job.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts).update(
        status=Job.Status.QUEUED, started_at=None, worker="", message=message[:1000], task_id="")
    if done:
        job.status, job.started_at, job.worker, job.message = Job.Status.QUEUED, None, "", message[:1000]
    return bool(done)


def job_set_finished(*, job: Job, status: str, message: str = "", result: dict[str, Any] | None = None,
                     done: int | None = None) -> None:
    """The job ended with ``status`` (succeeded, failed, cancelled), a message and its result;
    ``done`` sets the progress to done of done."""
    values: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "message": message[:1000]}
    if result is not None:
        values["result"] = result
    if done is not None:
        values.update(progress_done=done, progress_total=done)
    Job.objects.filter(pk=job.pk).update(**values)
