"""Reads of registry import jobs: who may see which import."""

from __future__ import annotations

from django.db.models import QuerySet

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.core.errors import NotFound
from jaring.core.models import Job
from jaring.registry.importing import IMPORT_JOB


def import_jobs(*, actor: User) -> QuerySet[Job]:
    jobs = Job.objects.filter(kind=IMPORT_JOB).select_related("created_by").order_by("-created_at", "-id")
    if can(actor, "imports.read_all"):  # the office sees every import; a facilitator their own
        return jobs
    if not can(actor, "imports.read"):
        return jobs.none()
    return jobs.filter(created_by=actor)


def import_job_get(*, actor: User, job_id: int) -> Job:
    try:
        return import_jobs(actor=actor).get(pk=job_id)
    except Job.DoesNotExist:
        raise NotFound(f"import job {job_id}") from None
