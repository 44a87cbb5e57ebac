"""Registry import screens: upload a file, watch its check run (htmx polling), read the figures and
confirm the import (or cancel it), get its report. An upload always runs first as a check (a dry run,
``registry.import_checks``); only "Impor sekarang" (``confirmed=1``) imports it (decision 0044)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jaring.accounts.capabilities import capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core.confirm import Confirmation, Figure, is_confirmed, posted_comment
from jaring.core.downloads import report_download
from jaring.core.errors import JaringError, NotFound
from jaring.core.forms import clean_upload
from jaring.core.jobs import confirm_deadline, job_progress, job_request_cancel, job_start
from jaring.core.models import Job
from jaring.core.sandbox import Limits
from jaring.registry.import_checks import (
    check_blockers,
    confirmed_import,
    import_check_confirm,
    import_check_create,
    import_check_discard,
    is_check,
    is_discarded,
    may_confirm,
)
from jaring.registry.import_selectors import import_job_get, import_jobs
from jaring.registry.importing import import_job_run, profile_names, template_workbook

PROFILE_LABELS = {
    "auto": gettext_lazy("Otomatis (kenali dari judul kolom)"),
    "jaring": gettext_lazy("Templat Jaring"),
    "dtsen": gettext_lazy("Ekstrak DTSEN"),
    "p3ke": gettext_lazy("Ekstrak P3KE"),
    "dtks": gettext_lazy("Ekstrak DTKS"),
    "kobo": gettext_lazy("Ekspor KoboToolbox (XLSX)"),
    "odk": gettext_lazy("Ekspor ODK Central (JSON)"),
}
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".json")
STAGES = {"read": gettext_lazy("Membaca berkas"), "validate": gettext_lazy("Memeriksa baris"),
          "match": gettext_lazy("Mencocokkan dengan registri"), "write": gettext_lazy("Menyimpan")}


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Berkas (CSV, XLSX atau JSON)"))
    profile = forms.ChoiceField(label=gettext_lazy("Jenis berkas"), initial="auto")
    sheet = forms.CharField(label=gettext_lazy("Lembar Excel (kosongkan untuk lembar pertama)"), required=False,
                            max_length=100)
    overwrite = forms.BooleanField(
        label=gettext_lazy("Timpa HP, tempat lahir, pekerjaan dan keluarga orang yang sudah terdaftar dengan "
                           "isi berkas (biasanya hanya kolom kosong yang diisi)"), required=False)
    extract_date = forms.DateField(
        label=gettext_lazy("Tanggal data ekstrak"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Untuk ekstrak DTSEN, P3KE atau DTKS tanpa kolom tanggal data: desilnya disimpan "
                               "dengan sumber dan tanggal ini."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        profile = self.fields["profile"]
        assert isinstance(profile, forms.ChoiceField)
        profile.choices = [(name, PROFILE_LABELS.get(name, name)) for name in profile_names()]

    def clean_file(self) -> Any:
        return clean_upload(self.cleaned_data["file"], SUFFIXES)


def _job_or_404(request: AuthenticatedHttpRequest, job_id: int) -> Job:
    try:
        return import_job_get(actor=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None


def _save_upload(upload: Any) -> tuple[Path, str]:
    """The upload holds NIKs in clear: owner-only from its first byte, in an owner-only folder.
    Returns the file and its SHA-256 (a confirmation imports only the very file checked)."""
    folder = Path(settings.JARING_HOME) / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
                digest.update(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, digest.hexdigest()


def _run_check(job: Job) -> None:
    """A check keeps its file for the confirmation only when it succeeded (else nothing to confirm)."""
    try:
        import_job_run(job)
    finally:
        job.refresh_from_db()
        if job.status != Job.Status.SUCCEEDED:
            Path(job.params["path"]).unlink(missing_ok=True)


def _run_and_discard_upload(job: Job) -> None:
    """The uploaded file is deleted as soon as its import has run, whatever the outcome (a
    refused file, a cancel, a worker killed by a limit); what a killed server leaves behind goes
    with ``jobs.purge_expired_files``."""
    try:
        import_job_run(job)
    finally:
        Path(job.params["path"]).unlink(missing_ok=True)


@capability_required({"GET": "imports.read", "*": "registry.import"})
def import_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path, sha256 = _save_upload(upload)
        try:
            job = import_check_create(actor=request.user, path=path, sha256=sha256,
                                      profile=form.cleaned_data["profile"], file_name=upload.name,
                                      sheet=form.cleaned_data["sheet"].strip(),
                                      overwrite=form.cleaned_data["overwrite"],
                                      extract_date=form.cleaned_data["extract_date"])
        except JaringError as exc:
            path.unlink(missing_ok=True)
            form.add_error(None, str(exc.message))
        else:
            job_start(job, _run_check)
            return redirect("registry:import_detail", job_id=job.pk)
    page = Paginator(import_jobs(actor=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "registry/import_start.html", {
        "form": form, "page": page, "nav": "import", "max_mb": Limits.from_settings().max_bytes // 2**20})


def _report_path(job: Job) -> Path | None:
    report = (job.result or {}).get("report")
    return Path(report) if report else None


def _figures(result: dict[str, Any]) -> list[Figure]:
    def n(key: str) -> str:
        return intcomma(int(result.get(key) or 0))

    figures = [Figure(_("Orang baru"), n("imported"), strong=True), Figure(_("Diperbarui"), n("updated")),
               Figure(_("Duplikat (tidak ditambah)"), n("duplicates")),
               Figure(_("Ditolak"), n("rejected"), warning=bool(result.get("rejected"))),
               Figure(_("Baris di berkas"), n("rows"))]
    if result.get("deciles_recorded"):
        figures.append(Figure(_("Desil keluarga dicatat"), n("deciles_recorded")))
    if result.get("profile"):
        figures.append(Figure(_("Jenis berkas"), str(PROFILE_LABELS.get(result["profile"], result["profile"]))))
    if result.get("ignored_columns"):
        figures.append(Figure(_("Kolom tidak dipakai"), ", ".join(map(str, result["ignored_columns"]))))
    return figures


def _check_context(request: AuthenticatedHttpRequest, job: Job) -> dict[str, Any]:
    """A finished check's confirmation (figures, "Impor sekarang", "Batalkan"), or where it went."""
    if not is_check(job) or job.status != Job.Status.SUCCEEDED:
        return {}
    done = confirmed_import(job)
    if done is not None:
        return {"check_import": done}
    if is_discarded(job):
        return {"check_discarded": True}
    blockers = check_blockers(job)
    if not may_confirm(request.user, job):
        blockers = blockers or [_("Hanya pengunggah berkas atau admin yang boleh mengimpornya.")]
    confirm = Confirmation(
        title=_("Impor berkas ini?"), action_url=reverse("registry:import_confirm", kwargs={"job_id": job.pk}),
        submit_label=_("Impor sekarang"), cancel_url=reverse("registry:import_start"),
        figures=_figures(job.result or {}), blockers=blockers, comment=posted_comment(request),
        intro=_("Pemeriksaan selesai; belum ada yang disimpan. Jika angkanya benar, impor berkas yang sama."),
        notes=[_("Berkas disimpan sampai %(when)s untuk impor ini, lalu dihapus.")
               % {"when": formats.date_format(timezone.localtime(confirm_deadline(job)), "j M Y H:i")}])
    return {"confirm": confirm, "may_discard": not blockers}


def _progress_context(request: AuthenticatedHttpRequest, job: Job) -> dict[str, Any]:
    progress = job_progress(job)
    report = _report_path(job)
    return {"job": job, "progress": progress, "stage": STAGES.get(progress.get("stage", ""), ""),
            "active": job.status in (Job.Status.QUEUED, Job.Status.RUNNING), "result": job.result or {},
            "report_expired": report is not None and not report.is_file(),
            "retention_days": settings.JARING_REPORT_RETENTION_DAYS, **_check_context(request, job)}


@capability_required("imports.read")
def import_detail(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "registry/import_detail.html", {**_progress_context(request, job), "nav": "import"})


@capability_required("imports.read")
def import_progress(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The htmx fragment polled every second while the job runs; when it stops polling, the
    summary replaces it."""
    job = _job_or_404(request, job_id)
    return render(request, "registry/_import_progress.html", _progress_context(request, job))


@capability_required("registry.import")
@require_POST
def import_cancel(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if job_request_cancel(actor=request.user, job=job):
        messages.info(request, _("Permintaan batal dikirim. Tidak ada yang disimpan dari impor ini."))
    else:
        messages.warning(request, _("Impor ini sudah selesai; tidak bisa dibatalkan lagi."))
    return redirect("registry:import_detail", job_id=job.pk)


@capability_required("registry.import")
@require_POST
def import_confirm(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """"Impor sekarang" after a check: only a POST with ``confirmed=1`` queues the import of the checked file."""
    check = _job_or_404(request, job_id)
    if not is_confirmed(request):
        return redirect("registry:import_detail", job_id=check.pk)
    try:
        job = import_check_confirm(actor=request.user, check=check, comment=posted_comment(request))
    except JaringError as exc:
        messages.error(request, str(exc.message))
        return redirect("registry:import_detail", job_id=check.pk)
    job_start(job, _run_and_discard_upload)
    return redirect("registry:import_detail", job_id=job.pk)


@capability_required("registry.import")
@require_POST
def import_discard(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """"Batalkan" a check: its file is deleted now; nothing was imported."""
    check = _job_or_404(request, job_id)
    try:
        discarded = import_check_discard(actor=request.user, check=check)
    except JaringError as exc:
        messages.error(request, str(exc.message))
        return redirect("registry:import_detail", job_id=check.pk)
    if discarded:
        messages.info(request, _("Impor dibatalkan; berkasnya dihapus. Tidak ada yang disimpan."))
    return redirect("registry:import_detail", job_id=check.pk)


@capability_required("imports.read")
@personal_data("import.report", object_type="core.job", id_kwarg="job_id")
def import_report(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse | FileResponse:
    job = _job_or_404(request, job_id)
    return report_download(
        request, _report_path(job), filename=f"laporan-impor-{job.pk}.xlsx",
        expired=_("Laporan impor ini sudah kedaluwarsa dan dihapus (laporan disimpan %(days)s hari). Impor ulang "
                  "berkasnya (diperiksa dulu, tidak disimpan sebelum dikonfirmasi) untuk laporan baru.")
        % {"days": settings.JARING_REPORT_RETENTION_DAYS},
        back=reverse("registry:import_detail", kwargs={"job_id": job.pk}), action="registry.import.report",
        object_id=str(job.pk), after={"file": job.params.get("file", "")})


@capability_required("registry.import")
def import_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    response = HttpResponse(template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="templat-impor-jaring.xlsx"'
    return response
