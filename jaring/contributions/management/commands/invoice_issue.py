from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.selectors import invoice_as_dict
from jaring.contributions.services import INVOICE_BLOCKS, invoice_issue
from jaring.core.commands import JaringCommand, cli_month
from jaring.membership.selectors import payer_for


class Command(JaringCommand):
    help = ("Issue a collective payer's invoice for a month or a block of months (3 = a quarter, 6 = a "
            "semester, 12 = a year, starting at its first month); months not billed yet are billed first.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--payer", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM: the first month")
        parser.add_argument("--months", type=int, default=1, choices=INVOICE_BLOCKS)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        invoice = invoice_issue(actor=actor, payer=payer_for(actor=actor, code=options["payer"], manage=True),
                                period=cli_month(options["period"], "--period"), months=options["months"])
        data = invoice_as_dict(invoice)
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
