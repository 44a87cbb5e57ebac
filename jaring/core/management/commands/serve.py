from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Jaring with waitress on $PORT (default 8000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("JARING_THREADS", "8")))

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from jaring.wsgi import application

        self.stdout.write(f"Jaring: http://{options['host']}:{options['port']}/  (Ctrl+C to stop)")
        serve(application, host=options["host"], port=options["port"], threads=options["threads"],
              ident="jaring", clear_untrusted_proxy_headers=True)
