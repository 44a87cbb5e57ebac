"""Claims screens (issue 11): the list of claims with their next deadline, the field report from a
person's page (mobile first), and the claim page with its deadlines, checklist and the office's
steps. Every write is a ``claims.services`` call; its refusals show on the form that was sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.home import HomeCard
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.claims.forms import (
    ChildForm,
    ClaimReportForm,
    DocumentReceivedForm,
    HeirForm,
    OutcomeForm,
    RejectForm,
    ReportMadeForm,
    ScanUploadForm,
    SettleForm,
    SubmitForm,
)
from jaring.claims.models import Claim, ClaimChild, ClaimDocument, ClaimHeir, ClaimScan
from jaring.claims.packet import claim_packet_pdf
from jaring.claims.scan_http import bound_upload, scan_response, scans_of, upload_bytes
from jaring.claims.selectors import (
    DEADLINE_LABELS,
    ClaimDeadline,
    checklist_labels,
    claim_as_dict,
    claim_deadlines_list,
    claim_get,
    claim_queryset,
    deadlines_of,
    next_deadline,
)
from jaring.claims.services import (
    REPORTER_OF_ROLE,
    claim_child_add,
    claim_document_received,
    claim_heir_add,
    claim_open,
    claim_outcome,
    claim_reject,
    claim_report_made,
    claim_scan_add,
    claim_scan_delete,
    claim_scan_open,
    claim_settle,
    claim_submit,
)
from jaring.core.context import rules_lang
from jaring.core.crypto import cipher
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.forms import show_refusal
from jaring.core.params import choice_param
from jaring.core.trail import history_for
from jaring.registry.identity import mask_identifier
from jaring.registry.panels import Panel
from jaring.registry.views import person_or_404

CLAIMS_PAGE = 50






def _claim_or_404(request: AuthenticatedHttpRequest, claim_id: int) -> Claim:
    try:
        return claim_get(actor=request.user, claim_id=claim_id)
    except NotFound:
        raise Http404 from None


# --- Person page panel and home card -------------------------------------------------------------

def claims_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel | None:
    if not can(request.user, "claims.read"):
        return None
    claims = list(claim_queryset(actor=request.user).filter(person=person).order_by("-event_date", "-id")[:10])
    return Panel("claims/_person_panel.html", {"claims": claims})


def claims_home_card(request: AuthenticatedHttpRequest) -> HomeCard | None:
    """The open claims' next deadlines, for the people who must act (``claims.write``)."""
    if not can(request.user, "claims.write"):
        return None
    rows = claim_deadlines_list(actor=request.user)
    if not rows:
        return None
    return HomeCard("claims/_home_card.html", {"rows": rows[:5], "total": len(rows),
                                               "overdue": sum(r.overdue for r in rows),
                                               "labels": DEADLINE_LABELS})


# --- List ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    deadline: ClaimDeadline | None

    @property
    def deadline_label(self) -> str:
        return str(DEADLINE_LABELS[self.deadline.kind]) if self.deadline else ""


@capability_required("claims.read")
@personal_data("claim.list", object_type="claims.claim")
def claim_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open claims first, by their next deadline (overdue first); then the closed ones, latest first."""
    today = timezone.localdate()
    status = choice_param(request, "status", tuple(Claim.Status.values), default="")
    claim_type = choice_param(request, "jenis", tuple(Claim.Type.values), default="")
    claims = claim_queryset(actor=request.user).select_related("person__kelurahan")
    if status:
        claims = claims.filter(status=status)
    if claim_type:
        claims = claims.filter(type=claim_type)
    open_rows = [ClaimRow(c, next_deadline(c, today)) for c in claims.filter(status__in=Claim.OPEN_STATUSES)]
    open_rows.sort(key=lambda r: (r.deadline is None, not (r.deadline and r.deadline.overdue),
                                  r.deadline.date if r.deadline else today, r.claim.pk))
    closed = [ClaimRow(c, None) for c in claims.exclude(status__in=Claim.OPEN_STATUSES).order_by("-event_date", "-id")]
    rows = open_rows + closed
    page = Paginator(rows, CLAIMS_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "claims/claim_list.html", {
        "nav": "claims", "page": page, "rows": page.object_list, "total": len(rows), "today": today,
        "status": status, "claim_type": claim_type, "statuses": Claim.Status.choices, "types": Claim.Type.choices,
        "query": query.urlencode(), "filtered": bool(status or claim_type)})


# --- Report ----------------------------------------------------------------------------------------

@capability_required("claims.write")
@personal_data("claim.report_form", object_type="registry.person", id_kwarg="person_id")
def claim_report(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Report an accident or a death from the person's page; the claim page follows."""
    person = person_or_404(request, person_id)
    initial = {"event_date": timezone.localdate(),
               "reported_by": REPORTER_OF_ROLE.get(str(request.user.role), Claim.ReportedBy.OPERATOR)}
    posted = request.method == "POST"
    form = ClaimReportForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_open(actor=request.user, person=person, type=data["type"], event_date=data["event_date"],
                               event_place=data["event_place"], chronology=data["chronology"],
                               reported_by=data["reported_by"])
        except NotFound:
            raise Http404 from None
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Kejadian dilaporkan; klaim nomor %(id)s dibuka.") % {"id": claim.pk})
            return redirect("claims:claim_detail", claim_id=claim.pk)
    return render(request, "claims/report_form.html", {"nav": "persons", "person": person, "form": form})


# --- Claim page and its steps ---------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentRow:
    document: ClaimDocument
    label: str
    form: DocumentReceivedForm | None
    scans: list[ClaimScan] = field(default_factory=list)
    upload: ScanUploadForm | None = None


@dataclass(frozen=True)
class HeirRow:
    heir: ClaimHeir
    nik_masked: str


def _document_form(document: ClaimDocument, data: Any = None) -> DocumentReceivedForm:
    # One form per checklist item on the page: the prefix keeps their field ids apart.
    return DocumentReceivedForm(data, prefix=f"d{document.pk}", initial={"received_on": timezone.localdate()})


def _scan_form(document: ClaimDocument, data: Any = None, files: Any = None) -> ScanUploadForm:
    # The field keeps its name ("file", which the upload handler takes); only its id is per item.
    return ScanUploadForm(data, files, auto_id=f"id_s{document.pk}_%s")


def _report_stages(claim: Claim) -> tuple[int, ...]:
    """Stage I always; stage II once the outcome's day is known (its deadline runs from there)."""
    return (1, 2) if claim.outcome_date is not None else (1,)


def _takes_heirs(claim: Claim) -> bool:
    return claim.type == Claim.Type.JKM or claim.outcome == Claim.Outcome.DEATH


@dataclass(frozen=True)
class ChildRow:
    child: ClaimChild
    taken: bool


def _takes_children(claim: Claim) -> bool:
    """A JKM death, or a work accident that killed or totally disabled: the scholarship's cases
    (``claims.services.claim_child_add`` has the last word)."""
    return claim.type == Claim.Type.JKM or claim.outcome in (Claim.Outcome.DEATH, Claim.Outcome.TOTAL_DISABILITY)


def _scholarship(claim: Claim) -> tuple[list[ChildRow], dict[str, Any]]:
    """The children named for the scholarship, in the scholarship's order, each with whether it is
    paid, and the decision's reasons and notes (``claim_as_dict``)."""
    if claim.type == Claim.Type.SCHOLARSHIP:
        return [], {}
    data = claim_as_dict(claim, lang=rules_lang(), full=True)
    children = {c.pk: c for c in claim.children.all()}
    rows = [ChildRow(children[row["id"]], row["taken"]) for row in data.get("children", []) if row["id"] in children]
    return rows, data.get("scholarship") or {}


def _heir_rows(claim: Claim) -> list[HeirRow]:
    return [HeirRow(h, mask_identifier(cipher().decrypt(h.nik_encrypted, kind="nik")) if h.nik_encrypted else "")
            for h in claim.heirs.all()]


def _claim_page(request: AuthenticatedHttpRequest, claim: Claim, *, bound: dict[str, Any] | None = None,
                status: int = 200) -> HttpResponse:
    """The claim page; after a refused step, with that step's form, its errors and its values."""
    bound = bound or {}
    today = timezone.localdate()
    can_write = can(request.user, "claims.write")
    office = _office(request)
    deadlines = deadlines_of(claim)
    following = next_deadline(claim, today)
    made = {"stage1_report": claim.stage1_reported_on, "stage2_report": claim.stage2_reported_on}
    deadline_rows = [(DEADLINE_LABELS[kind], day, following is not None and following.overdue
                      and following.kind == kind, made.get(kind))
                     for kind, day in (("stage1_report", deadlines.stage1_report),
                                       ("stage2_report", deadlines.stage2_report),
                                       ("lapses_on", deadlines.lapses_on), ("payment_due", deadlines.payment_due),
                                       ("scholarship_reapply", deadlines.scholarship_reapply))
                     if day is not None]
    labels = checklist_labels(claim.type)
    documents_open = can_write and claim.status in Claim.NOT_SUBMITTED
    scans: dict[int, list[ClaimScan]] = {}
    for scan in scans_of(claim):
        scans.setdefault(scan.document_id, []).append(scan)
    documents = [DocumentRow(d, labels.get(d.code, d.code),
                             bound.get(f"document{d.pk}") or (_document_form(d) if documents_open
                                                              and d.received_on is None else None),
                             scans.get(d.pk, []), bound.get(f"scan{d.pk}") or (_scan_form(d) if can_write else None))
                 for d in claim.documents.all()]
    is_open = claim.status in Claim.OPEN_STATUSES
    forms_: dict[str, forms.Form | None] = {"submit_form": None, "settle_form": None, "reject_form": None,
                                            "outcome_form": None, "report_form": None, "heir_form": None,
                                            "child_form": None}
    if can_write and is_open and claim.type == Claim.Type.JKK:
        forms_["outcome_form"] = bound.get("outcome") or OutcomeForm(initial={
            "outcome": claim.outcome, "outcome_date": claim.outcome_date or today})
    if can_write and is_open:
        stages = _report_stages(claim)
        pending = [n for n in stages if made[f"stage{n}_report"] is None]
        forms_["report_form"] = bound.get("report") or ReportMadeForm(stages=stages, initial={
            "stage": pending[0] if pending else stages[-1], "reported_on": today})
    if can_write and is_open and _takes_heirs(claim):
        forms_["heir_form"] = bound.get("heir") or HeirForm(prefix="heir")
    takes_children = _takes_children(claim)
    if can_write and takes_children and claim.status not in (Claim.Status.REJECTED, Claim.Status.LAPSED):
        forms_["child_form"] = bound.get("child") or ChildForm(prefix="child")
    children, scholarship = _scholarship(claim) if takes_children else ([], {})
    if office and claim.status == Claim.Status.DOCUMENTS_COMPLETE:
        forms_["submit_form"] = bound.get("submit") or SubmitForm(initial={"submitted_on": today})
    if office and claim.status == Claim.Status.SUBMITTED:
        forms_["settle_form"] = bound.get("settle") or SettleForm(initial={"paid_on": today})
        forms_["reject_form"] = bound.get("reject") or RejectForm()
    # A refused step shows again with its values and errors, even where the page would not offer it.
    forms_.update({f"{key}_form": form for key, form in bound.items() if f"{key}_form" in forms_})
    return render(request, "claims/claim_detail.html", {
        "nav": "claims", "claim": claim, "person": claim.person, "deadline_rows": deadline_rows,
        "next_deadline": following, "next_label": DEADLINE_LABELS[following.kind] if following else "",
        "documents": documents, "heirs": _heir_rows(claim), "payments": claim.payments.all(), "today": today,
        "can_write": can_write, "children": children, "scholarship": scholarship,
        "history": history_for(request, "claims.claim", [claim.pk], allowed=can(request.user, "history.read")),
        **forms_}, status=status)


@capability_required("claims.read")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_detail(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, _claim_or_404(request, claim_id))


@capability_required("claims.read")
@personal_data("claim.packet", object_type="claims.claim", id_kwarg="claim_id")
def claim_packet(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """The claim's A4 packet (PDF) to take to the BPJSTK branch; area-scoped like the claim page."""
    claim = _claim_or_404(request, claim_id)
    response = HttpResponse(claim_packet_pdf(claim, lang=rules_lang()), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="klaim-{claim.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _step(request: AuthenticatedHttpRequest, claim: Claim, form: forms.Form, key: str, act: Any,
          done: str | Callable[[dict[str, Any]], str], aliases: dict[str, str] | None = None) -> HttpResponse:
    """Run one step: the form's values to the service; success → the claim page (PRG), refusal → the
    page again with this form, its values and the refusal on its field."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc, aliases)
        else:
            messages.success(request, done(form.cleaned_data) if callable(done) else done)
            return redirect("claims:claim_detail", claim_id=claim.pk)
    return _claim_page(request, claim, bound={key: form})


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_document(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)
    if request.method != "POST":
        return redirect("claims:claim_detail", claim_id=claim.pk)
    raw = str(request.POST.get("document", ""))
    document = claim.documents.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if document is None:
        messages.error(request, _("Dokumen tidak ada dalam daftar klaim ini."))
        return redirect("claims:claim_detail", claim_id=claim.pk)
    form = _document_form(document, request.POST)
    return _step(request, claim, form, f"document{document.pk}",
                 lambda d: claim_document_received(actor=request.user, claim=claim, code=document.code,
                                                   received_on=d["received_on"]),
                 _("Dokumen dicatat diterima."), {"received": "received_on"})


def _office(request: AuthenticatedHttpRequest) -> bool:
    """Submitting, settling and rejecting are the office's (``claims.office``); a facilitator reports
    and collects documents only."""
    return can(request.user, "claims.office")


def _office_step(request: AuthenticatedHttpRequest, claim_id: int) -> Claim | HttpResponse:
    claim = _claim_or_404(request, claim_id)
    if request.method != "POST" or not _office(request):
        return redirect("claims:claim_detail", claim_id=claim.pk)
    return claim


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_submit_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    claim = _office_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, SubmitForm(request.POST), "submit",
                 lambda d: claim_submit(actor=request.user, claim=claim, bpjstk_number=d["bpjstk_number"],
                                        submitted_on=d["submitted_on"]),
                 _("Klaim dicatat sudah diajukan ke BPJSTK."))


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_settle_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    claim = _office_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, SettleForm(request.POST), "settle",
                 lambda d: claim_settle(actor=request.user, claim=claim, paid_idr=d["paid_idr"],
                                        paid_on=d["paid_on"]),
                 _("Pembayaran klaim dicatat."), {"date": "paid_on"})


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_reject_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    claim = _office_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, RejectForm(request.POST), "reject",
                 lambda d: claim_reject(actor=request.user, claim=claim, reason=d["reason"]),
                 _("Penolakan klaim dicatat."))


# --- The field's steps: outcome, reports made, heirs ------------------------------------------------

def _writer_step(request: AuthenticatedHttpRequest, claim_id: int) -> Claim | HttpResponse:
    claim = _claim_or_404(request, claim_id)
    if request.method != "POST":
        return redirect("claims:claim_detail", claim_id=claim.pk)
    return claim


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_outcome_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """A work accident's outcome (recovery, disability, death) and its day; the estimate follows."""
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, OutcomeForm(request.POST), "outcome",
                 lambda d: claim_outcome(actor=request.user, claim=claim, outcome=d["outcome"],
                                         outcome_date=d["outcome_date"]),
                 _("Akibat kecelakaan dicatat; perkiraan manfaat dihitung ulang."))


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_reported_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """The stage-I or stage-II report was made to BPJSTK on a day: that deadline is no longer due."""
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, ReportMadeForm(request.POST, stages=_report_stages(claim)), "report",
                 lambda d: claim_report_made(actor=request.user, claim=claim, stage=d["stage"],
                                             reported_on=d["reported_on"]),
                 lambda d: _("Laporan tahap %(stage)s ke BPJSTK dicatat.") % {"stage": "I" if d["stage"] == 1
                                                                             else "II"})


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_heir_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """An heir of a death, ranked by the regulation's order; the NIK, when given, stored encrypted."""
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, HeirForm(request.POST, prefix="heir"), "heir",
                 lambda d: claim_heir_add(actor=request.user, claim=claim, name=d["name"],
                                          relationship=d["relationship"], nik=d["nik"], phone=d["phone"]),
                 lambda d: _("Ahli waris %(name)s ditambahkan.") % {"name": " ".join(d["name"].split())})


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_child_view(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """A child named for the scholarship of a death or a total disability."""
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    return _step(request, claim, ChildForm(request.POST, prefix="child"), "child",
                 lambda d: claim_child_add(actor=request.user, claim=claim, name=d["name"],
                                           birth_date=d["birth_date"], level=d["level"], chosen=d["chosen"]),
                 lambda d: _("Anak %(name)s dicatat untuk beasiswa.") % {"name": " ".join(d["name"].split())})


# --- Scans ------------------------------------------------------------------------------------------

def _posted_document(request: AuthenticatedHttpRequest, claim: Claim) -> ClaimDocument | None:
    raw = str(request.POST.get("document", ""))
    return claim.documents.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None


def _scan_of_claim(claim: Claim, scan_id: int) -> None:
    """404 unless the scan is one of this claim's (already read in the user's area)."""
    if not ClaimScan.objects.filter(pk=scan_id, document__claim=claim).exists():
        raise Http404


@csrf_exempt
@capability_required("claims.write")
def claim_scan_upload(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """A photo or PDF of a checklist item. Its upload handler is set before anything reads the body
    (the scan stays in memory, bounded, never in a temporary file); the CSRF check, which reads the
    body, follows in ``_scan_upload``."""
    if request.method == "POST":
        bound_upload(request)
    return _scan_upload(request, claim_id)


@csrf_protect
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def _scan_upload(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    document = _posted_document(request, claim)
    if document is None:
        messages.error(request, _("Dokumen tidak ada dalam daftar klaim ini."))
        return redirect("claims:claim_detail", claim_id=claim.pk)
    code = document.code
    return _step(request, claim, _scan_form(document, request.POST, request.FILES), f"scan{document.pk}",
                 lambda d: claim_scan_add(actor=request.user, claim=claim, code=code, filename=d["file"].name,
                                          data=upload_bytes(d["file"])),
                 _("Pindaian disimpan."))


@capability_required("claims.read")
def claim_scan_view(request: AuthenticatedHttpRequest, claim_id: int, scan_id: int) -> HttpResponse:
    """The scan itself, inline (``scan_http.scan_response``); each opening is audited by the service,
    whoever opens it."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    claim = _claim_or_404(request, claim_id)
    _scan_of_claim(claim, scan_id)
    scan, data = claim_scan_open(actor=request.user, scan_id=scan_id)
    return scan_response(scan, data)


@capability_required("claims.write")
@personal_data("claim.view", object_type="claims.claim", id_kwarg="claim_id")
def claim_scan_delete_view(request: AuthenticatedHttpRequest, claim_id: int, scan_id: int) -> HttpResponse:
    """Remove a scan uploaded by mistake (audited)."""
    claim = _writer_step(request, claim_id)
    if isinstance(claim, HttpResponse):
        return claim
    _scan_of_claim(claim, scan_id)
    claim_scan_delete(actor=request.user, scan_id=scan_id)
    messages.success(request, _("Pindaian dihapus."))
    return redirect("claims:claim_detail", claim_id=claim.pk)
