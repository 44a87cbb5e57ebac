from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from jaring.accounts.models import ApiToken
from jaring.accounts.services import api_token_touch, hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``; tokens are looked up by their SHA-256."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != "bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Header Authorization tidak sah."))
        token = (ApiToken.objects.select_related("user")
                 .filter(key_hash=hash_token(parts[1]), revoked_at__isnull=True).first())
        now = timezone.now()
        # A locked account (too many failed logins) or a deactivated one loses its tokens too;
        # one message for every refusal, so a token holder learns nothing about the account.
        if (token is None or not token.user.is_active
                or (token.user.locked_until is not None and token.user.locked_until > now)):
            raise exceptions.AuthenticationFailed(_("Token tidak sah atau sudah dicabut."))
        api_token_touch(actor=token.user, token=token, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "jaring.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
