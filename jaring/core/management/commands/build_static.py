from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Build the static files as served (hashed names, .gz and .br) into STATIC_ROOT if they changed "
            "since the last build; `jaring serve` does this itself.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Build even if nothing changed.")

    def handle(self, *args: Any, **options: Any) -> None:
        from jaring.core.staticbuild import static_build, uses_manifest

        if not uses_manifest():
            self.stdout.write("Static files are served from the source folders (tests): nothing to build.")
            return
        started = time.monotonic()
        if static_build(force=options["force"]):
            self.stdout.write(f"Static files built in {time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write("Static files are up to date.")
