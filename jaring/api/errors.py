"""One error shape for the whole API: ``{"error": {"code", "message", "fields"}}``.

DRF's exceptions go through :func:`exception_handler`; an unexpected exception becomes a 500 in the
same shape with the request id (the traceback goes to the log, never to the client); responses
made outside DRF under ``/api/`` (an unknown URL, a 413, Django's 400/404/500 pages) are rewritten
by :class:`ApiErrorMiddleware`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler
from rest_framework.views import set_rollback

from jaring.core.context import current_request
from jaring.core.errors import JaringError

logger = logging.getLogger("jaring.api")
API_PREFIX = "/api/"

_CODES = {
    400: "invalid", 500: "server_error", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 429: "throttled",
}


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _flatten(value).items():
                    out[f"{key}.{sub}"] = messages
            else:
                out[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {"non_field_errors": [str(v) for v in (detail if isinstance(detail, list) else [detail])]}


def error_response(exc: JaringError) -> Response:
    return Response({"error": exc.as_dict()}, status=exc.http_status)


def server_error_body() -> dict[str, Any]:
    return {"error": {"code": "server_error", "request_id": current_request.get().request_id, "message": _(
        "Terjadi kesalahan di server. Sebutkan nomor permintaan ini kepada admin.")}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, JaringError):
        set_rollback()
        return error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Tidak ditemukan."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.error("API error in %s (request %s)", type(view).__name__ if view else "?",
                     current_request.get().request_id, exc_info=exc)
        set_rollback()
        return Response(server_error_body(), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code = _CODES.get(response.status_code, "error")
    body: dict[str, Any] = {"code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = _("Data tidak sah; periksa kolom yang disebut.")
        body["fields"] = _flatten(exc.detail)
    else:
        detail = getattr(exc, "detail", "")
        body["message"] = str(detail) if not isinstance(detail, (dict, list)) else str(exc)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    response.data = {"error": body}
    return response


class ApiErrorMiddleware:
    """Under ``/api/``, every error response is JSON in the API's error shape.

    DRF views already answer so; this catches what happens outside them: an unknown URL (404), a
    method on a path Django alone handles, an exception in middleware, Django's 400 and 500 pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json") and _has_shape(response):
            return response
        status_code = response.status_code
        if status_code >= 500:
            body = server_error_body()
        else:
            code = _CODES.get(status_code, "error")
            message = {404: _("Tidak ditemukan."), 405: _("Metode tidak diizinkan."),
                       400: _("Permintaan tidak sah."), 403: _("Tidak diizinkan.")}.get(
                status_code, _("Permintaan tidak dapat diproses."))
            body = {"error": {"code": code, "message": message}}
        replaced = JsonResponse(body, status=status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                replaced[header] = response[header]
        return replaced


def _has_shape(response: HttpResponse) -> bool:
    if getattr(response, "streaming", False):
        return True
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]
