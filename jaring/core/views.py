"""Site-wide views that belong to no domain app."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` for clients that ask the site root for it. Pages link the hashed, long-cached
    ``favicon.svg`` and ``favicon.ico`` of the static build (base.html), so browsers rarely come here."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
