"""``Idempotency-Key`` on POSTs that create people, payments or claims.

The first request with a key runs and its response is stored; a retry with the same key and
body gets the stored response (``Idempotent-Replayed: true``); the same key with another body
is refused (422); a retry while the first is still running gets 409.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from jaring.accounts.types import AuthenticatedRequest
from jaring.api.errors import error_response
from jaring.api.services import IN_PROGRESS, idempotency_claim, idempotency_release, idempotency_store
from jaring.core.errors import JaringError

HEADER = "Idempotency-Key"


def _body_hash(request: Request) -> str:
    payload = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{payload}".encode()).hexdigest()


def _error(status: int, code: str, message: str) -> Response:
    return Response({"error": {"code": code, "message": message}}, status=status)


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(view)
    def wrapper(self: Any, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(self, request, *args, **kwargs)
        if len(key) > 100:
            return _error(400, "invalid", _("Idempotency-Key terlalu panjang (maks. 100 karakter)."))
        digest = _body_hash(request)
        record, claimed = idempotency_claim(actor=request.user, key=key, method=str(request.method),
                                            path=request.path, request_hash=digest)
        if not claimed:
            if record.request_hash != digest:
                return _error(422, "idempotency_key_reused", _(
                    "Idempotency-Key ini sudah dipakai untuk permintaan lain."))
            if record.status_code == IN_PROGRESS:
                return _error(409, "in_progress", _("Permintaan yang sama masih diproses."))
            response = Response(record.response_body, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view(self, request, *args, **kwargs)
        except JaringError as exc:  # a refusal is an answer too: a retry gets the same one
            response = error_response(exc)
        except Exception:
            idempotency_release(actor=request.user, record=record)
            raise
        if response.status_code >= 500:
            idempotency_release(actor=request.user, record=record)
        else:
            idempotency_store(actor=request.user, record=record, status_code=response.status_code,
                              response_body=response.data)
        return response

    return wrapper
