"""The duplicate review queue: pairs side by side, merge or dismiss, re-scan. Parse, call, render."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jaring.accounts.capabilities import capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jaring.core.jobs import job_progress, job_start
from jaring.core.models import Job
from jaring.core.money import format_idr
from jaring.registry.evidence import (
    evidence_rows,
    evidence_total,
    is_structured,
    nik_difference,
    nik_difference_text,
    top_reasons,
)
from jaring.registry.models import DuplicateCandidate, Person, PersonMerge
from jaring.registry.panels import Panel, duplicate_panels_for
from jaring.registry.review_selectors import (
    can_decide_duplicates,
    can_scan_duplicates,
    dedup_scan_latest,
    duplicate_candidate_get,
    duplicate_candidates,
    merge_for_candidate,
    merge_get,
    merge_undo_status,
    merges_undoable_for,
    person_merge_plan,
)
from jaring.registry.services import (
    dedup_scan_job_run,
    dedup_scan_queue,
    merge_undo_days,
    person_merge,
    person_merge_undo,
)
from jaring.registry.services import duplicate_dismiss as duplicate_dismiss_service

PAGE_SIZE = 25

# dedup.py writes its reasons as fixed Indonesian phrases (data, not UI text); these are their labels.
# A phrase not known here is shown as written, so a new reason never breaks the page.
REASON_LABELS = {
    "tanggal lahir sama": gettext_lazy("tanggal lahir sama"),
    "tanggal dan bulan lahir tertukar": gettext_lazy("tanggal dan bulan lahir tertukar"),
    "tanggal lahir beda satu angka": gettext_lazy("tanggal lahir beda satu angka"),
    "KK sama": gettext_lazy("nomor KK sama"),
    "jenis kelamin berbeda": gettext_lazy("jenis kelamin berbeda"),
    "satu kata nama berbeda": gettext_lazy("satu kata nama berbeda"),
}
_SIMILAR_NAME = re.compile(r"^nama mirip (\d+(?:[.,]\d+)?)%$")
_COMMON_NAME = re.compile(r"^nama umum \((\d+) orang\)$")


def reason_labels(reasons: list[Any]) -> list[str]:
    """Labels of the reasons as the first scorer wrote them (fixed phrases). The evidence model's
    reasons (dicts) are shown by ``evidence.evidence_rows`` instead; here they give their top reasons."""
    if is_structured(reasons):
        return top_reasons(reasons)
    labels = []
    for reason in reasons if isinstance(reasons, list) else []:
        reason = str(reason)
        if similar := _SIMILAR_NAME.match(reason):
            labels.append(_("nama mirip %(percent)s%%") % {"percent": similar.group(1)})
        elif common := _COMMON_NAME.match(reason):
            people = int(common.group(1))
            labels.append(ngettext("nama umum (%(n)s orang)", "nama umum (%(n)s orang)", people) % {
                "n": formats.number_format(people, force_grouping=True)})
        else:
            labels.append(str(REASON_LABELS.get(reason, reason)))
    return labels


@dataclass(frozen=True)
class CompareRow:
    label: str
    a: str
    b: str
    differs: bool
    note: str = ""
    monospace: bool = False


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):  # a timestamp: the day it was in the office's time zone
        value = timezone.localtime(value)
    return formats.date_format(value, "j M Y") if value else "—"


def _text(value: Any) -> str:
    return str(value) if value not in (None, "") else "—"


# (label, what is shown, what is compared). Registry fields only; the person page has the rest.
_FIELDS: list[tuple[Any, Callable[[Person], str], Callable[[Person], Any]]] = [
    (gettext_lazy("Nama"), lambda p: p.full_name, lambda p: " ".join(p.full_name.casefold().split())),
    (gettext_lazy("Jenis kelamin"), lambda p: p.get_sex_display(), lambda p: p.sex),
    (gettext_lazy("Tempat lahir"), lambda p: _text(p.birth_place), lambda p: p.birth_place.strip().lower()),
    (gettext_lazy("Tanggal lahir"), lambda p: _date(p.birth_date), lambda p: p.birth_date),
    (gettext_lazy("Kelurahan"), lambda p: p.kelurahan.name, lambda p: p.kelurahan_id),
    (gettext_lazy("KK"), lambda p: p.household.kk_masked if p.household else "—", lambda p: p.household_id),
    (gettext_lazy("Hubungan"), lambda p: _text(p.get_relationship_display()), lambda p: p.relationship),
    (gettext_lazy("Nomor HP"), lambda p: _text(p.phone), lambda p: p.phone),
    (gettext_lazy("Pekerjaan"), lambda p: p.occupation.name if p.occupation else "—", lambda p: p.occupation_id),
    (gettext_lazy("Penghasilan"), lambda p: format_idr(p.declared_income_idr) if p.declared_income_idr is not None
     else "—", lambda p: p.declared_income_idr),
    (gettext_lazy("Disabilitas"), lambda p: p.get_disability_display(), lambda p: p.disability),
    (gettext_lazy("Dasar data"), lambda p: _text(p.get_consent_basis_display()), lambda p: p.consent_basis),
    (gettext_lazy("Sumber data"), lambda p: p.get_data_source_display(), lambda p: p.data_source),
    (gettext_lazy("Meninggal"), lambda p: _date(p.death_date), lambda p: p.death_date),
    (gettext_lazy("Didaftarkan"), lambda p: _date(p.created_at), lambda p: None),
]


def compare_rows(a: Person, b: Person, nik_a: str | None = None, nik_b: str | None = None) -> list[CompareRow]:
    nik_a, nik_b = nik_a if nik_a is not None else a.nik, nik_b if nik_b is not None else b.nik
    digits = sum(x != y for x, y in zip(nik_a, nik_b, strict=False)) + abs(len(nik_a) - len(nik_b))
    # How many digits differ tells a typing slip (1–2) from another person, without showing the NIK.
    note = ngettext("berbeda %(n)s angka", "berbeda %(n)s angka", digits) % {"n": digits} if digits else ""
    rows = [CompareRow("NIK", a.nik_masked, b.nik_masked, bool(digits), note=note, monospace=True)]
    for label, shown, key in _FIELDS:
        row = CompareRow(str(label), shown(a), shown(b), key(a) != key(b))
        if row.differs or row.a != "—":  # a field empty on both sides says nothing: fewer rows to scroll
            rows.append(row)
    return rows


def _candidate_or_404(request: AuthenticatedHttpRequest, candidate_id: int) -> DuplicateCandidate:
    try:
        return duplicate_candidate_get(actor=request.user, candidate_id=candidate_id)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except NotFound:
        raise Http404 from None


def _is_stale(candidate: DuplicateCandidate) -> bool:
    return bool(candidate.person_a.merged_into_id or candidate.person_b.merged_into_id)


def _already_decided(candidate: DuplicateCandidate) -> str:
    return _("Pasangan ini sudah diputuskan (%(status)s); tidak ada yang diubah.") % {
        "status": candidate.get_status_display()}


@capability_required("duplicates.read")
@personal_data("duplicate.list", object_type="registry.duplicatecandidate")
def duplicate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        candidates = duplicate_candidates(actor=request.user)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, reason_labels(c.reasons)) for c in page.object_list]
    return render(request, "registry/duplicate_list.html", {
        "nav": "duplicates", "page": page, "rows": rows, "total": page.paginator.count,
        "can_scan": can_scan_duplicates(request.user), **_scan_context(request)})


def _scan_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The latest re-scan the user may know of: running (the page polls) or its result."""
    scan = dedup_scan_latest(actor=request.user)
    if scan is None:
        return {"scan": None}
    active = scan.status in (Job.Status.QUEUED, Job.Status.RUNNING)
    return {"scan": scan, "scan_active": active, "scan_progress": job_progress(scan) if active else None}


@capability_required("duplicates.scan")
def duplicate_scan_status(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "registry/_scan_status.html", _scan_context(request))


def _pair_panels(request: AuthenticatedHttpRequest, pair: tuple[Person, Person]) -> list[list[Panel]]:
    return [duplicate_panels_for(request, person) for person in pair]


def _evidence_context(candidate: DuplicateCandidate, nik_a: str, nik_b: str) -> dict[str, Any]:
    """The evidence table (the model's weights) and the NIK strip (positions only, never a digit)."""
    structured = is_structured(candidate.reasons)
    rows = evidence_rows(candidate.reasons) if structured else []
    diff = nik_difference(nik_a, nik_b)
    return {"structured": structured, "evidence": rows, "evidence_total": evidence_total(rows),
            "total_sign": "+" if evidence_total(rows) > 0 else ("-" if evidence_total(rows) < 0 else "0"),
            "reasons": [] if structured else reason_labels(candidate.reasons),
            "nik_diff": diff, "nik_text": nik_difference_text(diff)}


@capability_required("duplicates.read")
@personal_data("duplicate.view", object_type="registry.duplicatecandidate", id_kwarg="candidate_id")
def duplicate_detail(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    candidate = _candidate_or_404(request, candidate_id)
    a, b = candidate.person_a, candidate.person_b
    is_open = candidate.status == DuplicateCandidate.Status.OPEN
    stale = is_open and _is_stale(candidate)
    nik_a, nik_b = a.nik, b.nik  # decrypted here, compared, never rendered
    merge = None if is_open else merge_for_candidate(actor=request.user, candidate=candidate)
    undo = merge_undo_status(merge) if merge is not None and can_decide_duplicates(request.user) else None
    return render(request, "registry/duplicate_detail.html", {
        "nav": "duplicates", "candidate": candidate, "pair": (a, b), "rows": compare_rows(a, b, nik_a, nik_b),
        **_evidence_context(candidate, nik_a, nik_b), "panels": _pair_panels(request, (a, b)),
        "is_open": is_open, "stale": stale, "merge": merge, "undo": undo,
        "can_decide": is_open and not stale and can_decide_duplicates(request.user)})


def _decision_target(request: AuthenticatedHttpRequest, candidate_id: int, *, get_message: str) -> Any:
    """The pair to decide on, or the response that refuses: a role that may not decide (403), a pair
    outside the area (404), a GET (back to the pair with a message)."""
    candidate = _candidate_or_404(request, candidate_id)
    if not can_decide_duplicates(request.user):
        raise DjangoPermissionDenied
    if request.method != "POST":
        messages.warning(request, get_message)
        return redirect("registry:duplicate_detail", candidate_id=candidate.pk)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        messages.error(request, _already_decided(candidate))
        return redirect("registry:duplicate_detail", candidate_id=candidate.pk)
    return candidate


_FILL_LABELS = {"birth_place": gettext_lazy("Tempat lahir"), "phone": gettext_lazy("Nomor HP"),
                "occupation_id": gettext_lazy("Pekerjaan"), "household_id": gettext_lazy("Keluarga (KK)"),
                "relationship": gettext_lazy("Hubungan dalam keluarga"),
                "declared_income_idr": gettext_lazy("Penghasilan"), "consent_basis": gettext_lazy("Dasar data"),
                "consent_date": gettext_lazy("Tanggal persetujuan"),
                "reminder_opt_out_at": gettext_lazy("Menolak pengingat"),
                "reminder_consent_at": gettext_lazy("Setuju menerima pengingat")}


@capability_required("duplicates.merge")
def duplicate_merge(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    """Two steps: the first POST (``keep`` only) shows what the merge will do — who is kept, the fields
    filled, the rows that move, the conflicts that refuse it; the second (``confirmed``) merges."""
    target = _decision_target(request, candidate_id, get_message=_(
        "Penggabungan hanya bisa dilakukan dengan tombol Gabungkan di halaman ini; tidak ada yang diubah."))
    if isinstance(target, HttpResponse):
        return target
    candidate = target
    back = redirect("registry:duplicate_detail", candidate_id=candidate.pk)
    people = {str(candidate.person_a_id): candidate.person_a, str(candidate.person_b_id): candidate.person_b}
    keep = people.get(request.POST.get("keep", "").strip())
    if keep is None:
        messages.error(request, _("Pilih data yang dipertahankan: salah satu dari dua orang di halaman ini. "
                                  "Tidak ada yang diubah."))
        return back
    other = candidate.person_b if keep.pk == candidate.person_a_id else candidate.person_a
    comment = request.POST.get("comment", "")
    if request.POST.get("confirmed") != "1":
        plan = person_merge_plan(actor=request.user, candidate=candidate, keep=keep)
        return render(request, "registry/duplicate_merge_confirm.html", {
            "nav": "duplicates", "candidate": candidate, "plan": plan, "kept": keep, "other": other,
            "filled": [str(_FILL_LABELS.get(name, name)) for name in plan.filled], "comment": comment[:500]})
    try:
        kept = person_merge(actor=request.user, candidate=candidate, keep=keep, comment=comment)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, str(exc.message))
        return back
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except NotFound:
        raise Http404 from None
    messages.success(request, _("%(other)s digabung ke %(kept)s. Data yang digabung tidak tampil lagi di daftar; "
                                "riwayatnya tetap tercatat. Penggabungan bisa diurungkan dari halaman pasangan ini "
                                "selama %(days)s hari.") % {"other": other.full_name, "kept": kept.full_name,
                                                           "days": merge_undo_days()})
    return redirect("registry:duplicate_list")


def _merge_or_404(request: AuthenticatedHttpRequest, merge_id: int) -> PersonMerge:
    try:
        return merge_get(actor=request.user, merge_id=merge_id)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except NotFound:
        raise Http404 from None


@capability_required("duplicates.merge")
def merge_undo(request: AuthenticatedHttpRequest, merge_id: int) -> HttpResponse:
    """GET: what the undo restores and whether it may run; POST: undo the merge."""
    merge = _merge_or_404(request, merge_id)
    if request.method == "POST":
        try:
            person_merge_undo(actor=request.user, merge=merge)
        except (Conflict, ValidationFailed) as exc:
            messages.error(request, str(exc.message))
            return redirect("registry:merge_undo", merge_id=merge.pk)
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Penggabungan diurungkan: %(merged)s tampil lagi sebagai data tersendiri, "
                                    "dengan semua yang pindah saat digabung.") % {"merged": merge.merged.full_name})
        if merge.candidate_id:
            return redirect("registry:duplicate_detail", candidate_id=merge.candidate_id)
        return redirect("registry:person_detail", person_id=merge.merged_id)
    moves = [(str(_move_label(m)), len(m.get("ids") or m.get("deleted") or [])) for m in merge.moves or []]
    return render(request, "registry/merge_undo_confirm.html", {
        "nav": "duplicates", "merge": merge, "status": merge_undo_status(merge), "moves": moves,
        "days": merge_undo_days()})


def _move_label(move: dict[str, Any]) -> str:
    from django.apps import apps

    try:
        name = str(apps.get_model(move["model"])._meta.verbose_name_plural)
    except (LookupError, ValueError, KeyError):
        name = str(move.get("model", ""))
    if "deleted" in move:
        return _("%(what)s (dikembalikan)") % {"what": name}
    return name


def merge_undo_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel | None:
    """On the kept person's page: merges into this person that can still be undone."""
    if not can_decide_duplicates(request.user):
        return None
    merges = merges_undoable_for(actor=request.user, person=person)
    if not merges:
        return None
    return Panel("registry/_merge_undo_panel.html", {"merges": merges, "days": merge_undo_days()})


@capability_required("duplicates.merge")
def duplicate_dismiss(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    target = _decision_target(request, candidate_id, get_message=_(
        "Tandai bukan duplikat dengan tombol di halaman ini; tidak ada yang diubah."))
    if isinstance(target, HttpResponse):
        return target
    try:
        candidate = duplicate_dismiss_service(actor=request.user, candidate=target)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    if candidate.status != DuplicateCandidate.Status.DISMISSED:  # decided by someone else meanwhile
        messages.error(request, _already_decided(candidate))
        return redirect("registry:duplicate_detail", candidate_id=candidate.pk)
    messages.success(request, _("%(a)s dan %(b)s ditandai bukan duplikat. Pasangan ini tidak akan diusulkan lagi.")
                     % {"a": target.person_a.full_name, "b": target.person_b.full_name})
    return redirect("registry:duplicate_list")


@capability_required("duplicates.scan")
def duplicate_scan(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        messages.warning(request, _("Pemindaian ulang hanya bisa dimulai dengan tombol Pindai ulang; "
                                    "tidak ada yang diubah."))
        return redirect("registry:duplicate_list")
    try:
        job = dedup_scan_queue(actor=request.user)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    if job.status == Job.Status.QUEUED and job.created_by_id == request.user.pk and not job.started_at:
        job_start(job, dedup_scan_job_run)
    messages.info(request, _("Pemindaian berjalan di latar belakang; halaman ini menunjukkan hasilnya bila selesai."))
    return redirect("registry:duplicate_list")
