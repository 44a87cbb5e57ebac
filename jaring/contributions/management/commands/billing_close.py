from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.services import billing_close
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "End every active membership more than the allowed months in arrears as of a date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = billing_close(actor=cli_actor(options["as_user"]), as_of=cli_date(options["as_of"], "--as-of"),
                               dry_run=options["dry_run"])
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
