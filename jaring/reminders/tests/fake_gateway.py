"""A local HTTP server that plays an SMS gateway or the WhatsApp Cloud API in tests (never the network)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jaring.testing import FakeHttpServer, Reply

__all__ = ["FakeGateway", "Reply"]


@dataclass
class FakeGateway(FakeHttpServer):
    reply: Reply = field(default_factory=lambda: Reply(body={"id": "gw-1"}))
