from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.regions.services import regions_load_csv


class Command(JaringCommand):
    help = "Load or update regions from a CSV: code, legacy_code, level, name, parent_code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = regions_load_csv(path=options["file"], actor=cli_actor(None))
        summary = {"rows": result.rows, "created": result.created, "updated": result.updated,
                   "unchanged": result.unchanged}
        if options["json"]:
            self.emit_json(summary)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in summary.items()))
