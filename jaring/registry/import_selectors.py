"""Reads of registry import jobs: who may see which import."""

from __future__ import annotations

from django.db.models import QuerySet

from jaring.accounts.models import Role, User
from jaring.core.errors import NotFound
from jaring.core.models import Job
from jaring.registry.importing import IMPORT_JOB

# Office roles see every import of the deployment; a facilitator sees their own.
SEES_ALL_IMPORTS = (Role.ADMIN, Role.OPERATOR, Role.AUDITOR)


def import_jobs(*, actor: User) -> QuerySet[Job]:
    jobs = Job.objects.filter(kind=IMPORT_JOB).select_related("created_by").order_by("-created_at", "-id")
    if actor.role in SEES_ALL_IMPORTS:
        return jobs
    if not actor.can_write_registry:
        return jobs.none()
    return jobs.filter(created_by=actor)


def import_job_get(*, actor: User, job_id: int) -> Job:
    try:
        return import_jobs(actor=actor).get(pk=job_id)
    except Job.DoesNotExist:
        raise NotFound(f"import job {job_id}") from None
