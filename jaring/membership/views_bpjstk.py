"""BPJSTK's files on the web (decision 0035): upload a payment statement, a status file or a
rejection file and watch it run as a job, download its report, follow up the review list; and the
reactivation of a collective payer's memberships ended for arrears when its funding came late.

An upload runs the same importers as ``jaring bpjstk import-*`` (``contributions.ledger``,
``membership.exchange``), which create their own ``core.Job``. The page needs a job to show before
the importer starts, so the upload is a small job of its own (``bpjstk.upload``) that runs the
importer in the server's thread (``core.jobs.job_start``), forwards its progress and keeps its
summary and report path."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.models import User
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.contributions.ledger import REASON_TITLES, StatementResult, payment_statement_import, review_rows
from jaring.contributions.models import StatementImport
from jaring.contributions.services import statement_review_resolve
from jaring.core.confirm import comment_field
from jaring.core.downloads import report_download
from jaring.core.errors import Conflict, JaringError, ValidationFailed
from jaring.core.forms import IsoDateField, clean_upload
from jaring.core.jobs import JobCancelled, Progress, job_begin, job_finish, job_progress, job_start
from jaring.core.models import Job
from jaring.core.params import choice_param, date_param, has_control_chars
from jaring.core.sandbox import Limits
from jaring.core.services import job_create
from jaring.membership.exchange import rejections_import, status_import
from jaring.membership.models import Payer
from jaring.membership.selectors import payer_for, payers_visible
from jaring.membership.services import ReactivationResult, memberships_reactivate
from jaring.registry.import_views import STAGES

UPLOAD_JOB = "bpjstk.upload"
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
REVIEW_PAGE = 50
# What "applied" means for each file, in words.
APPLIED_LABELS = {
    StatementImport.Kind.PAYMENTS: gettext_lazy("Iuran dibayar (cocok persis)"),
    StatementImport.Kind.STATUS: gettext_lazy("Kepesertaan diakhiri karena menunggak"),
    StatementImport.Kind.REJECTIONS: gettext_lazy("Pendaftaran kembali menjadi draf"),
}
DRY_APPLIED_LABELS = {
    StatementImport.Kind.PAYMENTS: gettext_lazy("Iuran yang akan dibayar (cocok persis)"),
    StatementImport.Kind.STATUS: gettext_lazy("Kepesertaan yang akan diakhiri karena menunggak"),
    StatementImport.Kind.REJECTIONS: gettext_lazy("Pendaftaran yang akan kembali menjadi draf"),
}


# --- Upload and job -----------------------------------------------------------------------------

class PayerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ExchangeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Jenis berkas BPJSTK"), choices=StatementImport.Kind.choices,
                             initial=StatementImport.Kind.PAYMENTS, widget=forms.RadioSelect)
    file = forms.FileField(label=gettext_lazy("Berkas (CSV atau XLSX)"))
    payer = PayerChoiceField(
        label=gettext_lazy("Pembayar mandiri (hanya laporan pembayaran)"), required=False, to_field_name="code",
        queryset=Payer.objects.none(), empty_label=gettext_lazy("Semua peserta mandiri"),
        help_text=gettext_lazy("Pilih bila laporan hanya untuk satu wadah mandiri: hanya iurannya yang dibayar "
                               "dan diharapkan."))
    dry_run = forms.BooleanField(label=gettext_lazy("Periksa saja, jangan simpan"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer = self.fields["payer"]
        assert isinstance(payer, forms.ModelChoiceField)
        payer.queryset = Payer.objects.filter(kind=Payer.Kind.SELF).order_by("name")

    def clean_file(self) -> Any:
        return clean_upload(self.cleaned_data["file"], SUFFIXES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("payer") is not None and data.get("kind") != StatementImport.Kind.PAYMENTS:
            self.add_error("payer", _("Pembayar hanya dipakai untuk laporan pembayaran."))
        return data


def _safe_name(name: str) -> str:
    """The uploaded file's own name (the review list shows it), without folders or odd characters."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" ._") or "berkas"
    return f"{stem[:100]}{suffix}"


def _save_upload(upload: Any) -> Path:
    """The upload holds NIKs in clear: owner-only from its first byte, in an owner-only folder of
    its own (its name is kept: the statement record and the review list show it)."""
    folder = Path(settings.JARING_HOME) / "uploads" / f"bpjstk-{uuid.uuid4().hex}"
    folder.mkdir(mode=0o700, parents=True)
    target = folder / _safe_name(upload.name)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
    except BaseException:
        _discard(target)
        raise
    return target


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _import(kind: str, actor: User, path: Path, dry_run: bool, payer: Payer | None,
            say: Progress) -> StatementResult:
    if kind == StatementImport.Kind.PAYMENTS:
        return payment_statement_import(actor=actor, path=path, dry_run=dry_run, payer=payer, progress=say)
    if kind == StatementImport.Kind.STATUS:
        return status_import(actor=actor, path=path, dry_run=dry_run, progress=say)
    return rejections_import(actor=actor, path=path, dry_run=dry_run, progress=say)


def _run_upload(job: Job) -> None:
    """Run the uploaded file's importer (which records its own job, review list, audit event and
    report); this job keeps its summary. The clear-text upload is deleted whatever happens."""
    path = Path(job.params["path"])
    try:
        if job.created_by is None:
            job_finish(job, status=Job.Status.FAILED, message=_("Pengguna pekerjaan ini tidak ada lagi."))
            return
        say = job_begin(job)
        try:
            code = job.params.get("payer") or ""
            payer = payers_visible(actor=job.created_by).filter(code=code).first() if code else None
            if code and payer is None:
                raise ValidationFailed(_("Pembayar %(code)s tidak ditemukan.") % {"code": code})
            result = _import(job.params["kind"], job.created_by, path, bool(job.params.get("dry_run")), payer, say)
        except JobCancelled as exc:
            job_finish(job, status=Job.Status.CANCELLED, message=str(exc.message))
            return
        except JaringError as exc:  # a refused file: the importer's reason, in Indonesian
            job_finish(job, status=Job.Status.FAILED, message=str(exc.message))
            return
        except Exception:
            job_finish(job, status=Job.Status.FAILED,
                       message=_("Terjadi kesalahan tak terduga; tidak ada yang tersimpan dari berkas ini."))
            raise
        data = {k: v for k, v in result.as_dict().items() if k != "reviews"}
        job_finish(job, status=Job.Status.SUCCEEDED, result=data, done=data["rows"])
    finally:
        _discard(path)


def upload_jobs(*, actor: User) -> Any:
    """The office sees every BPJSTK upload; the branch liaison its own."""
    jobs = Job.objects.filter(kind=UPLOAD_JOB).select_related("created_by").order_by("-created_at", "-id")
    return jobs if can(actor, "imports.read_all") else jobs.filter(created_by=actor)


def _job_or_404(request: AuthenticatedHttpRequest, job_id: int) -> Job:
    job = upload_jobs(actor=request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@capability_required("bpjstk.exchange")
def bpjstk_exchange(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload one of BPJSTK's files; it runs as a job (``jaring bpjstk import-*`` on the web)."""
    form = ExchangeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        path = _save_upload(upload)
        try:
            job = job_create(actor=request.user, kind=UPLOAD_JOB, params={
                "file": upload.name[:255], "path": str(path), "kind": data["kind"], "dry_run": data["dry_run"],
                "payer": data["payer"].code if data["payer"] is not None else ""})
        except BaseException:
            _discard(path)
            raise
        job_start(job, _run_upload)
        return redirect("membership:bpjstk_job", job_id=job.pk)
    page = Paginator(upload_jobs(actor=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "membership/bpjstk_exchange.html", {
        "form": form, "page": page, "nav": "bpjstk", "kinds": dict(StatementImport.Kind.choices),
        "max_mb": Limits.from_settings().max_bytes // 2**20,
        "open_reviews": review_rows(actor=request.user).count()})


def _report_path(job: Job) -> Path | None:
    report = (job.result or {}).get("report")
    return Path(report) if report else None


def _summary_lines(job: Job) -> list[tuple[str, int, bool]]:
    """The result in words: (label, count, is a sub-line of "to review")."""
    result = job.result or {}
    kind = job.params.get("kind", "")
    labels = DRY_APPLIED_LABELS if job.params.get("dry_run") else APPLIED_LABELS
    lines: list[tuple[str, int, bool]] = [
        (_("Baris di berkas"), result.get("rows", 0), False),
        (str(labels.get(kind, _("Diterapkan"))), result.get("applied", 0), False),
        (_("Tidak berubah (sudah sesuai di Jaring)"), result.get("unchanged", 0), False),
        (_("Perlu diperiksa (tidak diterapkan)"), result.get("review", 0), False)]
    lines += [(_(REASON_TITLES.get(code, code)), count, True)
              for code, count in (result.get("review_by_reason") or {}).items()]
    if "expected_missing" in result:
        lines.append((_("Ditagih di Jaring tetapi tidak ada di laporan"), result["expected_missing"], False))
    return lines


def _progress_context(job: Job) -> dict[str, Any]:
    progress = job_progress(job)
    report = _report_path(job)
    return {"job": job, "progress": progress, "stage": STAGES.get(progress.get("stage", ""), ""),
            "active": job.status in (Job.Status.QUEUED, Job.Status.RUNNING), "result": job.result or {},
            "lines": _summary_lines(job) if job.status == Job.Status.SUCCEEDED else [],
            "kind_label": dict(StatementImport.Kind.choices).get(job.params.get("kind", ""), ""),
            "report_expired": report is not None and not report.is_file(),
            "retention_days": settings.JARING_REPORT_RETENTION_DAYS}


@capability_required("bpjstk.exchange")
def bpjstk_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "membership/bpjstk_job.html", {**_progress_context(job), "nav": "bpjstk"})


@capability_required("bpjstk.exchange")
def bpjstk_job_progress(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The htmx fragment polled every second while the job runs; then the summary replaces it."""
    job = _job_or_404(request, job_id)
    return render(request, "membership/bpjstk_job_progress.html", _progress_context(job))


@capability_required("bpjstk.exchange")
@personal_data("bpjstk.report", object_type="core.job", id_kwarg="job_id")
def bpjstk_report(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse | FileResponse:
    job = _job_or_404(request, job_id)
    return report_download(
        request, _report_path(job), filename=f"laporan-bpjstk-{job.params.get('kind', 'berkas')}-{job.pk}.xlsx",
        expired=_("Laporan ini sudah kedaluwarsa dan dihapus (laporan disimpan %(days)s hari). Unggah ulang "
                  "berkasnya dengan \"Periksa saja\" untuk laporan baru.")
        % {"days": settings.JARING_REPORT_RETENTION_DAYS},
        back=reverse("membership:bpjstk_job", kwargs={"job_id": job.pk}), action="bpjstk.report",
        object_id=str(job.pk), after={"file": job.params.get("file", ""), "kind": job.params.get("kind", ""),
                                      "statement_job": (job.result or {}).get("job")})


# --- The review list ----------------------------------------------------------------------------

class ResolveForm(forms.Form):
    rows = forms.TypedMultipleChoiceField(coerce=int, error_messages={
        "required": gettext_lazy("Pilih baris yang sudah diperiksa.")})
    note = forms.CharField(label=gettext_lazy("Hasil pemeriksaan (mis. jawaban BPJSTK)"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = self.fields["rows"]
        assert isinstance(rows, forms.TypedMultipleChoiceField)
        rows.choices = [(str(pk), str(pk)) for pk in choices]


@capability_required("bpjstk.exchange")
@personal_data("bpjstk.review.list", object_type="contributions.statementreviewrow")
def bpjstk_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The rows of BPJSTK's files that were not applied, newest first; the office marks the rows
    it followed up with the branch as resolved, with a note."""
    kind = choice_param(request, "jenis", StatementImport.Kind.values)
    reason = choice_param(request, "alasan", REASON_TITLES)
    rows = review_rows(actor=request.user, kind=kind or None)
    if reason:
        rows = rows.filter(reason_code=reason)
    rows = rows.select_related("statement", "person").order_by("-created_at", "-id")
    query = urlencode([(k, v) for k, v in (("jenis", kind), ("alasan", reason)) if v])
    form = None
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("rows") if v.isascii() and v.isdigit() and len(v) < 10]
        # Any open row the user may see (the filter only narrows what the page shows).
        visible = list(review_rows(actor=request.user).filter(pk__in=ids).values_list("pk", flat=True))
        form = ResolveForm(request.POST, choices=visible)
        if form.is_valid():
            try:
                done = statement_review_resolve(actor=request.user, row_ids=form.cleaned_data["rows"],
                                                note=form.cleaned_data["note"])
            except ValidationFailed as exc:
                form.add_error("note", str(exc.message))
            else:
                messages.success(request, _("%(n)s baris ditandai selesai.") % {
                    "n": number_format(done, force_grouping=True)})
                return redirect(reverse("membership:bpjstk_review") + (f"?{query}" if query else ""))
    page = Paginator(rows, REVIEW_PAGE).get_page(request.GET.get("page"))
    selected = {str(v) for v in form["rows"].value() or []} if form is not None else set()
    return render(request, "membership/bpjstk_review.html", {
        "nav": "bpjstk", "page": page, "rows": page.object_list, "form": form or ResolveForm(choices=[]),
        "selected": selected, "kind": kind, "reason": reason, "query": query,
        "kinds": StatementImport.Kind.choices, "reasons": [(code, _(title)) for code, title in REASON_TITLES.items()],
        "filtered": bool(kind or reason)})


# --- Reactivation -------------------------------------------------------------------------------

class ReactivateForm(forms.Form):
    ended_from = IsoDateField(required=False, widget=forms.HiddenInput)
    reference = forms.CharField(
        label=gettext_lazy("Dokumen dasar (nomor SP2D atau surat pemberi dana)"), max_length=200,
        error_messages={"required": gettext_lazy("Sebutkan dokumen dasar pengaktifan kembali (mis. nomor SP2D "
                                                 "atau surat pemberi dana).")})
    comment = comment_field()
    confirm = forms.BooleanField(
        label=gettext_lazy("Dana pembayar sudah cair; saya sudah memeriksa angka di atas dan mengaktifkan kembali "
                           "kepesertaan ini."),
        error_messages={"required": gettext_lazy("Centang konfirmasi untuk mengaktifkan kembali.")})


class _Rollback(Exception):
    def __init__(self, result: ReactivationResult):
        super().__init__()
        self.result = result


def _reactivation_preview(request: AuthenticatedHttpRequest, payer: Payer, ended_from: Any) -> ReactivationResult:
    """``memberships_reactivate`` run and rolled back: the service's own rules say what would be
    reactivated, skipped and restored."""
    try:
        with transaction.atomic():
            raise _Rollback(memberships_reactivate(actor=request.user, payer=payer, document_reference="pratinjau",
                                                   ended_on_from=ended_from))
    except _Rollback as preview:
        return preview.result


def _skipped_text(result: ReactivationResult) -> str:
    counts = Counter(str(s["text"]) for s in result.skipped)
    return "; ".join(f"{text} ({number_format(n, force_grouping=True)})" for text, n in counts.most_common())


def _reactivation_message(payer: Payer, result: ReactivationResult) -> str:
    n = len(result.reactivated)
    if n:
        text = _("%(n)s kepesertaan %(payer)s diaktifkan kembali berdasarkan %(ref)s; %(months)s bulan iuran "
                 "dibuka lagi.") % {"n": number_format(n, force_grouping=True), "payer": payer.name,
                                    "ref": result.reference,
                                    "months": number_format(len(result.restored), force_grouping=True)}
    else:
        text = _("Tidak ada kepesertaan yang diaktifkan kembali.")
    if result.skipped:
        text += " " + _("%(n)s dilewati: %(why)s.") % {"n": number_format(len(result.skipped), force_grouping=True),
                                                       "why": _skipped_text(result)}
    if result.kept_void:
        text += " " + _("%(n)s bulan tetap batal karena sudah ditagih pembayar lain.") % {
            "n": number_format(len(result.kept_void), force_grouping=True)}
    if result.restored:
        text += " " + _("Terbitkan dan bayar tagihan untuk bulan-bulan yang dibuka lagi sebelum penutupan tunggakan "
                        "berikutnya, agar kepesertaan tidak berakhir lagi.")
    return text


@capability_required("money.write")
@personal_data("payer.view", object_type="membership.payer", id_kwarg="code")
def payer_reactivate(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Perdir 22/PERDIR.02/072022's route when a collective payer's funding came late: what would
    be reactivated (the service run and rolled back), then reactivation with the document and an
    explicit confirmation."""
    if has_control_chars(code):
        raise Http404
    payer = payer_for(actor=request.user, code=code, manage=True)  # another government's: 404
    if payer.is_self:  # a self-payer re-enrols with the same KPJ; nothing to reactivate
        raise Http404
    posted = request.method == "POST"
    form = ReactivateForm(request.POST if posted else None)
    ended_from = date_param(request, "sejak") if not posted else None
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            result = memberships_reactivate(actor=request.user, payer=payer, document_reference=data["reference"],
                                            ended_on_from=data["ended_from"], comment=data["comment"])
        except (ValidationFailed, Conflict) as exc:
            form.add_error("reference" if "reference" in exc.fields else None, str(exc.message))
        else:
            (messages.success if result.reactivated else messages.info)(request, _reactivation_message(payer, result))
            return redirect("membership:payer_detail", code=payer.code)
    if posted:
        ended_from = form.cleaned_data.get("ended_from")
    else:
        form = ReactivateForm(initial={"ended_from": ended_from})
    preview, problem = None, ""
    try:
        preview = _reactivation_preview(request, payer, ended_from)
    except (ValidationFailed, Conflict) as exc:
        problem = str(exc.message)
    skipped = Counter(str(s["text"]) for s in preview.skipped).most_common() if preview else []
    return render(request, "membership/payer_reactivate.html", {
        "nav": "payers", "payer": payer, "form": form, "ended_from": ended_from, "preview": preview,
        "problem": problem, "skipped": skipped,
        "ended_count": len(preview.reactivated) + len(preview.skipped) if preview else 0,
        "ended_from_text": date_format(ended_from, "j F Y") if ended_from else ""})
