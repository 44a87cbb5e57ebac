from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def waitress_options(*, host: str, port: int, threads: int, trusted_proxy: str = "") -> dict[str, Any]:
    """What ``jaring serve`` passes to waitress.

    waitress receives each whole request before the application sees it (to memory up to 512 KB,
    then a temporary file); ``max_request_body_size`` makes it refuse a body above the upload limit
    while receiving it, whether it declares a Content-Length or comes chunked. The application's
    own, smaller limits then apply before the body is read (``core.middleware.body_refusal``).
    """
    options: dict[str, Any] = {
        "host": host, "port": port, "threads": threads, "ident": "jaring",
        # waitress refuses a Content-Length >= this, so + 1 lets exactly the limit through.
        "max_request_body_size": settings.JARING_MAX_UPLOAD_BYTES + 1,
        # X-Forwarded-* from anyone but the trusted proxy is dropped, so a client cannot claim
        # HTTPS or another address.
        "clear_untrusted_proxy_headers": True,
    }
    if trusted_proxy:
        # A reverse proxy that terminates TLS: its X-Forwarded-Proto makes the request https (for
        # SECURE_SSL_REDIRECT and secure cookies) and X-Forwarded-For gives the audit the client's IP.
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"})
    return options


class Command(BaseCommand):
    help = "Serve Jaring with waitress on $PORT (default 8000), building the static files first if they changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("JARING_THREADS", "8")))
        parser.add_argument("--trusted-proxy", default=os.environ.get("JARING_TRUSTED_PROXY", ""),
                            help="IP address of a reverse proxy whose X-Forwarded-Proto/-For headers to trust "
                                 "(or '*' when only the proxy can reach this port).")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("JARING_WORKERS", "0")),
                            help="Serve with gunicorn and this many worker processes (PostgreSQL: 2 x cores + 1; "
                                 "SQLite: 1). Without it, one waitress process. See docs/deploy.md.")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from jaring.core.staticbuild import static_build

        if options["workers"]:
            from django.db import connection

            from jaring.core.prodserver import workers_problem

            problem = workers_problem(options["workers"], connection.vendor)
            if problem:
                raise CommandError(problem)

        # Before the application exists: WhiteNoise lists STATIC_ROOT once, when it starts.
        started = time.monotonic()
        if static_build():
            self.stdout.write(f"Static files built (hashed, gzip and brotli) in {time.monotonic() - started:.1f} s.")

        if options["workers"]:
            self._gunicorn(options)
            return

        from jaring.core.tasks_queue import start_embedded
        from jaring.wsgi import application

        # Background jobs without a second process (decision 0047): the database backend's worker
        # loop in threads of this server; none when a broker is set (run `jaring worker` then).
        embedded = start_embedded()
        if embedded is not None:
            self.stdout.write(f"Background jobs: {len(embedded.workers)} worker thread(s) in this server.")
        else:
            self.stdout.write("Background jobs: run by `jaring worker` (JARING_EMBEDDED_WORKERS=0 or a broker is set).")
        self.stdout.write(f"Jaring: http://{options['host']}:{options['port']}/  (Ctrl+C to stop)")
        serve(application, **waitress_options(host=options["host"], port=options["port"],
                                              threads=options["threads"], trusted_proxy=options["trusted_proxy"]))

    def _gunicorn(self, options: dict[str, Any]) -> None:
        from django.db import connections

        from jaring.core.prodserver import gunicorn_options, run_gunicorn

        connections.close_all()  # nothing open across gunicorn's fork
        self.stdout.write(f"Jaring: http://{options['host']}:{options['port']}/  gunicorn, {options['workers']} "
                          f"worker(s) x {options['threads']} threads  (Ctrl+C to stop)")
        self.stdout.flush()
        run_gunicorn(gunicorn_options(host=options["host"], port=options["port"], workers=options["workers"],
                                      threads=options["threads"], trusted_proxy=options["trusted_proxy"],
                                      json_logs=settings.JARING_LOG_FORMAT == "json"),
                     trusted_proxy=options["trusted_proxy"])
