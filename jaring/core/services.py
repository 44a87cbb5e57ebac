"""Writes of core's own tables other than the audit log (``core.audit``): job rows.

A job's row is bookkeeping of a piece of work (queued, running, finished, with its result); the
work's own service audits what the work does, so these write no audit event. ``core.jobs`` is the
machinery around them (progress files, cancel requests, background threads); it writes the row
only through these functions.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jaring.core.models import Job


def job_create(*, actor: Any, kind: str, params: dict[str, Any] | None = None) -> Job:
    """A queued job of ``kind`` started by ``actor``."""
    return Job.objects.create(kind=kind, created_by=actor if getattr(actor, "pk", None) else None,
                              status=Job.Status.QUEUED, params=params or {})


def job_set_running(*, job: Job, params: dict[str, Any]) -> None:
    """The job started (``params``: its parameters with the process that runs it)."""
    job.params = params
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now(), params=params)


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
