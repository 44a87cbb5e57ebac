from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from jaring.core.context import RequestInfo, current_request


def _is_upload(request: HttpRequest) -> bool:
    """A multipart POST to one of the views that take files (``JARING_UPLOAD_URL_NAMES``)."""
    if not request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in settings.JARING_UPLOAD_URL_NAMES


def body_refusal(request: HttpRequest) -> HttpResponse | None:
    """The error for a request body that must not be read, decided before anything reads it.

    Django reads at most ``Content-Length`` bytes of ``wsgi.input`` (``WSGIRequest`` wraps it in a
    ``LimitedStream`` of that length, and reads nothing without one), so checking the declared
    length here bounds what a form, a parser or an upload handler can pull into memory or onto
    disk. waitress (``jaring serve``) also refuses bodies above ``JARING_MAX_UPLOAD_BYTES`` while
    receiving them, chunked or not.
    """
    if "HTTP_TRANSFER_ENCODING" in request.META:
        # A body framed by the transfer coding that the server passed through: Django would
        # read a Content-Length's worth (or nothing) of it. Ask for a length instead.
        return JsonResponse({"error": {"code": "length_required", "message": _(
            "Kiriman harus menyebutkan panjangnya (Content-Length).")}}, status=411)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isascii() or not length.isdigit():
        return JsonResponse({"error": {"code": "bad_request", "message": _(
            "Panjang kiriman (Content-Length) tidak sah.")}}, status=400)
    size = int(length)
    limit = settings.JARING_MAX_BODY_BYTES
    if size > limit and _is_upload(request):
        limit = settings.JARING_MAX_UPLOAD_BYTES
    if size > limit:
        return JsonResponse({"error": {"code": "too_large", "message": _(
            "Kiriman terlalu besar (batas %(limit)s byte).") % {"limit": limit}}}, status=413)
    return None


class RequestContextMiddleware:
    """Records the client IP and a request id for audit events; refuses oversized bodies (413)
    before any of the body is read (``body_refusal``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = body_refusal(request)
        if refusal is not None:
            return refusal
        channel = "api" if request.path.startswith("/api/") else "web"
        info = RequestInfo(ip=request.META.get("REMOTE_ADDR"), request_id=str(uuid.uuid4()),
                           channel=channel)
        token = current_request.set(info)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


# The session key holding a logged-in user's stored language (User.language), set at login.
LANGUAGE_SESSION_KEY = "jaring_language"


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose otherwise: the language stored on the user (put in
    the session at login), else the language cookie set by the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
    Sorong are set to English: the office's language comes first here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        # The user's stored choice, put in the session at login (accounts: remember_language); a
        # request without a session cookie has none, and its session is left untouched.
        session = getattr(request, "session", None)
        has_session = session is not None and settings.SESSION_COOKIE_NAME in request.COOKIES
        stored = session.get(LANGUAGE_SESSION_KEY, "") if has_session else ""  # type: ignore[union-attr]
        chosen = stored if stored in dict(settings.LANGUAGES) else cookie
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if stored and stored == chosen and cookie != stored and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            # The login page after a logout speaks the user's language too.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, stored, max_age=settings.LANGUAGE_COOKIE_AGE,
                                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
