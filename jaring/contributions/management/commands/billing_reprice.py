from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.services import dues_reprice
from jaring.core.commands import JaringCommand, cli_month


class Command(JaringCommand):
    help = ("Price the dues from --from on again with the parameters in force now (a new discount): open dues "
            "take the new amount, paid dues that now cost less credit the difference to later months.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="from_period", required=True, help="YYYY-MM: the first month")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = dues_reprice(actor=cli_actor(options["as_user"]),
                              from_period=cli_month(options["from_period"], "--from"))
        if options["json"]:
            self.emit_json(result.as_dict())
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in result.as_dict().items()))
