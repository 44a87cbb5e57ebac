from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from jaring.core.context import RequestInfo, current_request


class RequestContextMiddleware:
    """Records the client IP and a request id for audit events; refuses oversized bodies (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        upload = (request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
                  and not request.path.startswith("/api/"))
        limit = settings.JARING_MAX_UPLOAD_BYTES if upload else settings.JARING_MAX_BODY_BYTES
        try:
            too_big = int(length) > limit
        except ValueError:
            too_big = False
        if too_big:
            body = {"error": {"code": "too_large", "message": _(
                "Kiriman terlalu besar (batas %(limit)s byte).") % {"limit": limit}}}
            return JsonResponse(body, status=413)
        channel = "api" if request.path.startswith("/api/") else "web"
        info = RequestInfo(ip=request.META.get("REMOTE_ADDR"), request_id=str(uuid.uuid4()),
                           channel=channel)
        token = current_request.set(info)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose otherwise (the language cookie set by the switch).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
    Sorong are set to English: the office's language comes first here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
