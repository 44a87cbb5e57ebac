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
