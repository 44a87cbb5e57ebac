"""The HTTP side of a claim document's scans, shared by the pages and the API: receiving one
(kept in memory and bounded, never written to disk in clear) and serving one (inline, never
sniffed, never cached, in a document that may run nothing). ``claims.services`` decides what a
scan may be (``claim_scan_add``) and who may open it (``claim_scan_open``, audited)."""

from __future__ import annotations

from io import BytesIO
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header

from jaring.claims.models import ClaimScan

FIELD = "file"  # the multipart field of the scan, on the page and in the API

# What a scan is served with. An image: a sandboxed document that loads nothing but itself. A PDF:
# no sandbox and the browser's viewer allowed to embed this same URL (a sandboxed or object-src
# 'none' PDF shows blank in Chromium); a PDF's own scripts run in the viewer, never in the page.
IMAGE_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"
PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'none'"
SERVED = {"image/jpeg": ("jpg", IMAGE_CSP), "image/png": ("png", IMAGE_CSP), "application/pdf": ("pdf", PDF_CSP)}


class ScanUploadHandler(FileUploadHandler):
    """The one upload handler of a scan request: the ``file`` field kept in memory up to one byte
    past ``JARING_CLAIM_SCAN_MAX_BYTES`` (so the service refuses a larger one by its size, which is
    kept), the rest of it read and dropped; any other file skipped. Nothing reaches a temporary
    file, so a scan is never on disk in clear, and a request holds at most one scan in memory."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = int(settings.JARING_CLAIM_SCAN_MAX_BYTES)
        self.taken = False
        self.buffer = BytesIO()

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        if field_name != FIELD or self.taken:
            raise SkipFile
        super().new_file(field_name, *args, **kwargs)
        self.taken = True
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.limit + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(file=self.buffer, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=file_size, charset=self.charset,
                                    content_type_extra=self.content_type_extra)


def bound_upload(request: Any) -> None:
    """Before anything reads the body: this request's files go through ``ScanUploadHandler``."""
    request.upload_handlers = [ScanUploadHandler(request)]


def upload_bytes(upload: Any) -> bytes:
    """The bytes of an uploaded scan, at most one past the limit (see ``ScanUploadHandler``)."""
    return bytes(upload.read(int(settings.JARING_CLAIM_SCAN_MAX_BYTES) + 1))


def scan_response(scan: ClaimScan, data: bytes) -> HttpResponse:
    """The scan's clear bytes for the browser: inline for a JPEG, PNG or PDF (the types the service
    lets in), as a download of unknown type for anything else."""
    served = SERVED.get(scan.content_type)
    extension, policy = served if served else ("bin", "default-src 'none'; sandbox")
    name = f"{PurePath(scan.filename).stem or scan.document.code}.{extension}"
    response = HttpResponse(data, content_type=scan.content_type if served else "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(served is None, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = policy
    return response


def scan_as_dict(scan: ClaimScan) -> dict[str, Any]:
    """A scan's description (never its bytes) for the API and the CLI."""
    return {"id": scan.pk, "claim": scan.document.claim_id, "code": scan.document.code, "filename": scan.filename,
            "content_type": scan.content_type, "size": scan.size, "sha256": scan.sha256,
            "uploaded_by": scan.uploaded_by.username if scan.uploaded_by else None,
            "uploaded_at": scan.uploaded_at.isoformat(),
            "url": reverse("api-claim-scan", kwargs={"scan_id": scan.pk})}


def scans_of(claim: Any) -> list[ClaimScan]:
    """The scans of a claim already read through an area-scoped selector, without their bytes."""
    return list(ClaimScan.objects.filter(document__claim=claim).select_related("document", "uploaded_by")
                .defer("data_encrypted").order_by("document_id", "id"))
