"""The field app's API: the area snapshot and the session's encryption key (decision 0039).

Mounted under ``/api/v1/field/`` by ``jaring/api/urls.py``. Both are for facilitators only
(``field.offline``) and for a web session: the key lives in the server session, so a Bearer-token
client gets no key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.models import ApiToken
from jaring.accounts.types import AuthenticatedRequest
from jaring.core.errors import ValidationFailed
from jaring.offline.selectors import field_snapshot

#: Where the session keeps the field app's key: gone with the session (logout, expiry, password change).
SESSION_KEY = "jaring_offline_key"

_KEY_RESPONSE = inline_serializer("FieldKey", {
    "key": serializers.CharField(help_text="AES-256-GCM key, base64url, for what the browser stores"),
    "key_id": serializers.CharField(help_text="A short fingerprint of the key"),
    "user": serializers.IntegerField(),
    "csrf": serializers.CharField(help_text="The session's CSRF token for the field app's POSTs"),
})


def session_key(request: AuthenticatedRequest) -> str:
    """The session's field key (base64url), made on first use."""
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str) or len(key) != 43:
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        request.session[SESSION_KEY] = key
    return key


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _require_session(request: AuthenticatedRequest) -> None:
    if isinstance(request.auth, ApiToken):
        raise ValidationFailed("The field key belongs to a signed-in web session, not to an API token.",
                               code="session_required")


class FieldKey(APIView):
    """The key the field app encrypts its IndexedDB with: random, kept in the server session,
    the same for the whole session (``Cache-Control: no-store`` like every answer)."""

    capability = "field.offline"

    @extend_schema(responses={200: _KEY_RESPONSE, 400: OpenApiResponse(description="Not a web session")})
    def get(self, request: AuthenticatedRequest) -> Response:
        _require_session(request)
        key = session_key(request)
        return Response({"key": key, "key_id": key_id(key), "user": request.user.pk, "csrf": get_token(request)})


class FieldSnapshot(PersonalDataMixin, APIView):
    """The facilitator's area for offline work: masked NIKs and KKs, memberships and their
    protection, members in arrears, open claims' deadlines, and the forms' options."""

    capability = "field.offline"
    audit_action = "field.snapshot"
    audit_object_type = "registry.person"

    @extend_schema(responses={200: OpenApiResponse(description="The area snapshot (see decision 0039)")})
    def get(self, request: AuthenticatedRequest) -> Response:
        data: dict[str, Any] = field_snapshot(actor=request.user)
        return Response(data)
