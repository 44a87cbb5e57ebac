"""Error types shared by services, the API and the CLI.

A service raises one of these with a translated message; views, the API and the CLI map them
to a form error, an HTTP status or an exit code. ``fields`` maps a field name to its messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest


class JaringError(Exception):
    code = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: Any, *, code: str | None = None,
                 fields: dict[str, list[Any]] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        body.update(self.extra)
        return body


class ValidationFailed(JaringError):
    code = "invalid"
    http_status = 400
    exit_code = 2


class NeedsConfirmation(ValidationFailed):
    """Only warnings stand in the way: the caller may confirm them and try again."""

    code = "needs_confirmation"


class Conflict(JaringError):
    code = "conflict"
    http_status = 409
    exit_code = 3


class NotFound(JaringError):
    code = "not_found"
    http_status = 404
    exit_code = 4


class PermissionDenied(JaringError):
    code = "forbidden"
    http_status = 403
    exit_code = 5


class BadParameter(ValidationFailed, BadRequest):
    """A query parameter or path identifier that is malformed (``?person=abc``, ``?year=³``).

    A ``ValidationFailed`` for the API (400 in the error shape) and Django's ``BadRequest`` for web
    views, which Django answers with the 400 page without any handling in the view.
    """

    code = "invalid_parameter"
