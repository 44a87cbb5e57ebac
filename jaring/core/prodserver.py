"""``jaring serve --workers N``: Jaring under gunicorn, N worker processes of threads (docs/deploy.md).

One waitress process (``jaring serve`` without ``--workers``) uses one core: Python runs one thread at
a time. gunicorn forks N processes that each take requests with their own threads, so a PostgreSQL
deployment uses every core. SQLite allows one writer at a time: one worker.

gunicorn does not buffer requests: it belongs behind a reverse proxy (nginx, Caddy) that receives the
client's whole request, limits bodies and terminates TLS. The application still refuses a declared
body above its limits, and a chunked one, before reading it (``core.middleware.body_refusal``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def workers_problem(workers: int, vendor: str) -> str | None:
    """Why ``workers`` processes cannot serve this database, or None."""
    if workers < 1:
        return "--workers must be 1 or more."
    if vendor == "sqlite" and workers > 1:
        return ("SQLite takes one writer at a time: serve it with --workers 1 (or without --workers); "
                "set DATABASE_URL to PostgreSQL for more worker processes.")
    return None


def gunicorn_options(*, host: str, port: int, workers: int, threads: int, trusted_proxy: str = "",
                     json_logs: bool = False, timeout: int = 120) -> dict[str, Any]:
    """What ``jaring serve --workers N`` passes to gunicorn."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # Threads in each process: a request waiting on the database lets another one run.
        "worker_class": "gthread",
        "threads": threads,
        # A request running this long is stuck: its worker is replaced. Imports and scans run in
        # the background, not in a request.
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        # X-Forwarded-Proto only from the trusted proxy (gunicorn's default trusts 127.0.0.1).
        "forwarded_allow_ips": trusted_proxy or "",
        "proc_name": "jaring",
        # The access line is the application's own (core.logs, with the request id and user id).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
    }
    if json_logs:
        options["logconfig_dict"] = {
            "version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": "jaring.core.logs.JsonFormatter"}},
            "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                           "stream": "ext://sys.stderr"}},
            # gunicorn's dictionary replaces its defaults' handlers whole: the root logger needs one too.
            "root": {"handlers": ["error_console"], "level": "WARNING"},
            "loggers": {"gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False}},
        }
    return options


def client_address_from(app: WSGIApp, trusted_proxy: str) -> WSGIApp:
    """The client's address for the audit when the request comes through the trusted proxy: the
    last X-Forwarded-For entry (the one the proxy added), as waitress does for ``jaring serve``."""
    trusted = {address.strip() for address in trusted_proxy.split(",") if address.strip()}
    if not trusted:
        return app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and ("*" in trusted or environ.get("REMOTE_ADDR") in trusted):
            client = forwarded.split(",")[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
        return app(environ, start_response)

    return wrapped


def run_gunicorn(options: dict[str, Any], trusted_proxy: str = "") -> None:
    """Run gunicorn's master in this process until it is stopped (SIGTERM, Ctrl+C)."""
    from gunicorn.app.base import BaseApplication

    class Jaring(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            # In each worker after the fork: its own database connections.
            from jaring.wsgi import application

            return client_address_from(application, trusted_proxy)

    Jaring().run()
