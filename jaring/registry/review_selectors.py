"""Reads for the duplicate review queue: candidate pairs whose two people both lie in the user's area.

Liaisons (BPJSTK staff) see no poverty data and do no registry upkeep, so the queue refuses them;
auditors read it and change nothing (the views log their reads).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.errors import NotFound, PermissionDenied
from jaring.registry.models import DuplicateCandidate

_RELATED = ("person_a__kelurahan", "person_b__kelurahan", "person_a__occupation", "person_b__occupation",
            "person_a__household", "person_b__household", "decided_by")


def can_review_duplicates(actor: User) -> bool:
    return can(actor, "duplicates.read")


def can_decide_duplicates(actor: User) -> bool:
    return can(actor, "duplicates.merge")


def can_scan_duplicates(actor: User) -> bool:
    """A scan recomputes every open pair of the user's area: office work, not a facilitator's."""
    return can(actor, "duplicates.scan")


def _require_reviewer(actor: User) -> None:
    if not can_review_duplicates(actor):
        raise PermissionDenied(_("Peran Anda tidak boleh melihat antrean duplikat."))


def _in_scope(actor: User, qs: QuerySet[DuplicateCandidate]) -> QuerySet[DuplicateCandidate]:
    """Both people inside the user's area. The ids are listed literally, as ``person_queryset`` does."""
    scope = scope_for(actor)
    if scope.covers_every_kelurahan:
        return qs
    return qs.filter(scope.region_ids_q("person_a__kelurahan_id"), scope.region_ids_q("person_b__kelurahan_id"))


def duplicate_candidates(*, actor: User) -> QuerySet[DuplicateCandidate]:
    """Open pairs to review, highest score first. A pair one of whose people has since been merged
    into someone else is left out: it is stale, and the next scan drops it."""
    _require_reviewer(actor)
    qs = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN,
                                           person_a__merged_into__isnull=True,
                                           person_b__merged_into__isnull=True)
    return (_in_scope(actor, qs)
            .select_related("person_a__kelurahan", "person_b__kelurahan")
            .order_by("-score", "id"))


def duplicate_candidate_get(*, actor: User, candidate_id: int) -> DuplicateCandidate:
    """One pair in any status (a decided pair still shows who decided it), or ``NotFound``."""
    _require_reviewer(actor)
    candidate = (_in_scope(actor, DuplicateCandidate.objects.filter(pk=candidate_id))
                 .select_related(*_RELATED).first())
    if candidate is None:
        raise NotFound(_("Pasangan duplikat tidak ditemukan."))
    return candidate


def dedup_scan_latest(*, actor: User) -> Any:
    """The latest re-scan of the queue (a ``core.Job``), for those who may start one; else None."""
    from jaring.core.models import Job
    from jaring.registry.services import DEDUP_JOB

    if not can_scan_duplicates(actor):
        return None
    return Job.objects.filter(kind=DEDUP_JOB).order_by("-created_at", "-id").first()
