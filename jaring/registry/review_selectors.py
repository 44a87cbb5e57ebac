"""Reads for the duplicate review queue: candidate pairs whose two people both lie in the user's area.

Liaisons (BPJSTK staff) see no poverty data and do no registry upkeep, so the queue refuses them;
auditors read it and change nothing (the views log their reads).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.errors import NotFound, PermissionDenied
from jaring.registry.models import DuplicateCandidate, Person, PersonMerge

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


# --- Merges: what a merge would do, what it did, and whether it can still be undone (decision 0042) ---


@dataclass(frozen=True)
class MergePlan:
    kept: Person
    other: Person
    filled: list[str]  # the kept person's field names the other fills
    kpj: str | None  # the KPJ that moves to the kept person
    moves: list[tuple[str, int]]  # (what, how many) from every floor's planner
    conflicts: list[str]  # any of these refuses the merge

    @property
    def allowed(self) -> bool:
        return not self.conflicts


def person_merge_plan(*, actor: User, candidate: DuplicateCandidate, keep: Person) -> MergePlan:
    """What ``person_merge`` would do with this pair keeping ``keep``: reads only. The candidate comes
    from ``duplicate_candidate_get`` (the area is already checked)."""
    from jaring.registry.services import merge_conflicts_registry, merge_fill, merge_planners

    _require_reviewer(actor)
    other = candidate.person_b if keep.pk == candidate.person_a_id else candidate.person_a
    conflicts = [text for _code, text in merge_conflicts_registry(keep, other)]
    if keep.merged_into_id or other.merged_into_id:
        conflicts.append(_("Salah satu orang dalam pasangan ini sudah digabung dengan data lain. "
                           "Pindai ulang antrean."))
    moves: list[tuple[str, int]] = []
    for planner in merge_planners:
        part = planner(kept=keep, other=other)
        moves.extend(part.moves)
        conflicts.extend(part.conflicts)
    kpj = other.kpj if other.kpj and not keep.kpj else None
    return MergePlan(kept=keep, other=other, filled=merge_fill(keep, other), kpj=kpj, moves=moves,
                     conflicts=[str(c) for c in conflicts])


def _merge_in_scope(actor: User, qs: QuerySet[PersonMerge]) -> QuerySet[PersonMerge]:
    scope = scope_for(actor)
    if scope.covers_every_kelurahan:
        return qs
    return qs.filter(scope.region_ids_q("kept__kelurahan_id"), scope.region_ids_q("merged__kelurahan_id"))


def merge_get(*, actor: User, merge_id: int) -> PersonMerge:
    """One merge whose two persons lie in the user's area, or ``NotFound``."""
    _require_reviewer(actor)
    merge = (_merge_in_scope(actor, PersonMerge.objects.filter(pk=merge_id))
             .select_related("kept__kelurahan", "merged__kelurahan", "actor", "undone_by", "candidate").first())
    if merge is None:
        raise NotFound(_("Penggabungan tidak ditemukan."))
    return merge


def merge_for_candidate(*, actor: User, candidate: DuplicateCandidate) -> PersonMerge | None:
    """The latest merge of this pair, if it was merged."""
    return (_merge_in_scope(actor, PersonMerge.objects.filter(candidate=candidate))
            .select_related("kept", "merged", "actor", "undone_by").order_by("-at", "-id").first())


def merges_undoable_for(*, actor: User, person: Person) -> list[PersonMerge]:
    """Merges into ``person`` that are not undone and still inside the undo window."""
    from jaring.registry.services import merge_undo_days

    since = timezone.now() - dt.timedelta(days=merge_undo_days())
    qs = PersonMerge.objects.filter(kept=person, undone_at__isnull=True, at__gte=since)
    return list(_merge_in_scope(actor, qs).select_related("merged").order_by("-at", "-id"))


@dataclass(frozen=True)
class UndoStatus:
    allowed: bool
    reasons: list[str]
    deadline: dt.datetime


def merge_undo_status(merge: PersonMerge) -> UndoStatus:
    """Whether ``person_merge_undo`` would run now, and if not, why (the same checks, read only)."""
    from jaring.registry.services import merge_undo_days, merge_undo_deadline, merge_undo_problems

    deadline = merge_undo_deadline(merge)
    if merge.undone_at is not None:
        return UndoStatus(False, [_("Penggabungan ini sudah diurungkan.")], deadline)
    if timezone.now() > deadline:
        return UndoStatus(False, [_("Penggabungan ini lebih dari %(days)s hari yang lalu dan tidak bisa diurungkan "
                                    "lagi.") % {"days": merge_undo_days()}], deadline)
    problems = [str(p) for p in merge_undo_problems(merge)]
    return UndoStatus(not problems, problems, deadline)


def merged_survivor(*, actor: User, person_id: int) -> Person | None:
    """For a person merged into another (perhaps in turn merged): the record in use now, if the user
    may see it; else None. A person not merged is None too."""
    from jaring.registry.selectors import person_get

    seen: set[int] = set()
    current = Person.objects.filter(pk=person_id).values_list("merged_into_id", flat=True).first()
    while current is not None and current not in seen:
        seen.add(current)
        following = Person.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if following is None:
            break
        current = following
    if current is None:
        return None
    try:
        return person_get(actor=actor, person_id=current)
    except NotFound:
        return None
