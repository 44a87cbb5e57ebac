"""Test helpers shared by the apps' tests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def run_jaring(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """``jaring ARGV…`` run in this process as the console script runs it: the group and command
    resolved (``jaring invoice pay`` → ``invoice_pay``), refusals caught as the exit code. Returns
    (exit code, stdout, stderr); pytest's ``capsys`` collects the output."""
    from django.core.management import call_command

    from jaring.cli import resolve

    name, rest = resolve(list(argv))
    code = 0
    try:
        call_command(name, *rest)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeHttpServer:
    """A local HTTP server for adapters' tests (never the network): answers each POST with
    ``reply`` (or the next of ``replies``) and keeps what it was sent."""

    reply: Reply = field(default_factory=Reply)
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "json": json.loads(raw or b"null")})
                reply = gateway.replies.pop(0) if gateway.replies else gateway.reply
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
