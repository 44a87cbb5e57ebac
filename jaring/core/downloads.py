"""Downloading a job's XLSX report: audited, never cached, and an expired one said so on the job's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect

from jaring.core.audit import audit_log


def report_download(request: Any, report: Path | None, *, filename: str, expired: str, back: str,
                    action: str, object_id: str, after: dict[str, Any]) -> HttpResponse | FileResponse:
    """``report`` as an attachment with an audit event ``action``; 404 when the job has none; when it
    was deleted after ``JARING_REPORT_RETENTION_DAYS``, the ``expired`` message on the page ``back``."""
    if report is None:
        raise Http404
    if not report.is_file():
        messages.warning(request, expired)
        return redirect(back)
    audit_log(actor=request.user, action=action, object_type="core.job", object_id=object_id, after=after)
    response = FileResponse(report.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
