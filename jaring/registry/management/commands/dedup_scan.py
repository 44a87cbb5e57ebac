from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.registry.services import dedup_scan


class Command(JaringCommand):
    help = "Find likely duplicate persons and put them in the review queue (dismissed pairs stay dismissed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threshold", type=float)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = dedup_scan(actor=cli_actor(options["as_user"]), threshold=options["threshold"])
        if options["json"]:
            self.emit_json(result)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
