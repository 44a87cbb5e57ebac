from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.services import billing_run
from jaring.core.commands import JaringCommand, cli_month


class Command(JaringCommand):
    help = "Bill one month: one due per active membership (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = billing_run(actor=cli_actor(options["as_user"]), period=cli_month(options["period"], "--period"),
                             dry_run=options["dry_run"])
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
