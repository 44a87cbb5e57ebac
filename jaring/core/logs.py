"""Structured logs: one JSON object a line (``JARING_LOG_FORMAT=json``) and an access line per request.

Each line carries ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, inside a
request, ``request_id`` (the one audit events carry), ``user_id`` (a number: never a username, a NIK
or a name), ``method``, ``path`` (without the query string, which may hold a searched name or NIK),
and on the access line ``status`` and ``duration_ms``. Nothing here imports Django's settings, so
gunicorn's master can format its own lines with it before Django starts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from jaring.core.context import current_request

ACCESS_LOGGER = "jaring.access"
access_logger = logging.getLogger(ACCESS_LOGGER)

# The request being answered, for lines logged while it runs (user id, method, path).
_request: ContextVar[Any] = ContextVar("jaring_log_request", default=None)

# Attributes a record may carry (``extra=``) that go into the line as they are.
FIELDS = ("user_id", "method", "path", "status", "duration_ms")


def request_user_id(request: Any) -> int | None:
    """The id of the request's user when it is already known; never loads it (no query)."""
    user = getattr(request, "__dict__", {}).get("user")
    if user is None:
        return None
    from django.utils.functional import empty

    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject: only once evaluated
    if wrapped is None or wrapped is empty:
        return None
    pk = getattr(wrapped, "pk", None)
    return pk if isinstance(pk, int) else None


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the request's id and user id when logged inside a request."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request.get().request_id
        if request_id:
            line["request_id"] = request_id
        request = _request.get()
        if request is not None:
            line["user_id"] = request_user_id(request)
            line["method"] = request.method
            line["path"] = request.path
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class AccessLogMiddleware:
    """Gives every response its ``X-Request-ID`` and, when ``jaring.access`` logs INFO (the JSON
    format), writes one line per request: method, path, status, duration, user id, request id.

    Sits right after ``RequestContextMiddleware``, which makes the request id; static files
    (WhiteNoise) and bodies refused before that have no line."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request_id = current_request.get().request_id
        if not access_logger.isEnabledFor(logging.INFO):
            response = self.get_response(request)
            if request_id:
                response.headers.setdefault("X-Request-ID", request_id)
            return response
        token = _request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if request_id:
            response.headers.setdefault("X-Request-ID", request_id)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        access_logger.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": request_id, "user_id": request_user_id(request), "method": request.method,
            "path": request.path, "status": response.status_code, "duration_ms": duration_ms})
        return response


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dictionary: plain text (the default) or JSON lines with an access line."""
    if log_format not in ("text", "json"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"JARING_LOG_FORMAT must be 'text' or 'json', not {log_format!r}.")
    handler: dict[str, Any] = {"class": "logging.StreamHandler"}
    if log_format == "json":
        handler["formatter"] = "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "jaring.core.logs.JsonFormatter"}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {ACCESS_LOGGER: {"handlers": ["console"], "propagate": False,
                                    "level": "INFO" if log_format == "json" else "WARNING"}},
    }
