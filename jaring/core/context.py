"""Who and where a request comes from, for audit events written deep inside services."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None = None
    request_id: str = ""
    channel: str = "web"  # web, api, cli, task


_CLI = RequestInfo(channel="cli")
current_request: ContextVar[RequestInfo] = ContextVar("current_request", default=_CLI)


def rules_lang() -> str:
    """The rules engine's language code (``id`` or ``en``) for the active Django language."""
    from django.utils.translation import get_language

    return "en" if (get_language() or "id").startswith("en") else "id"
