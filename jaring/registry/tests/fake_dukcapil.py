"""A local HTTP server that plays Dukcapil's NIK verification service in tests (never the network)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jaring.testing import FakeHttpServer, Reply

__all__ = ["FakeDukcapil", "Reply"]


@dataclass
class FakeDukcapil(FakeHttpServer):
    reply: Reply = field(default_factory=lambda: Reply(body={"status": "verified"}))
