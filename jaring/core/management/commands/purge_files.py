from __future__ import annotations

from typing import Any

from jaring.core.commands import JaringCommand
from jaring.core.jobs import purge_expired_files


class Command(JaringCommand):
    help = ("Delete import reports older than JARING_REPORT_RETENTION_DAYS, uploads no job needs and what "
            "killed reading workers left: jaring purge-files [--json]. Jobs also do this when they start.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = purge_expired_files()
        if options["json"]:
            self.emit_json(removed)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in removed.items()))
