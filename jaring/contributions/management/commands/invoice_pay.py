from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.selectors import invoice_as_dict
from jaring.contributions.services import invoice_pay
from jaring.core.commands import JaringCommand, cli_date, cli_month
from jaring.membership.selectors import payer_for


class Command(JaringCommand):
    help = ("Record a payment of a payer's invoice that starts in --period (a monthly one is issued first when "
            "none exists): all that is outstanding, or --amount (whole dues, oldest month first). Idempotent "
            "per reference.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--payer", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM: the invoice's first month")
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--reference", required=True, help="the SP2D or transfer reference")
        parser.add_argument("--amount", type=int, help="rupiah paid, if not the whole outstanding amount")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        invoice = invoice_pay(actor=actor, payer=payer_for(actor=actor, code=options["payer"], manage=True),
                              period=cli_month(options["period"], "--period"),
                              paid_on=cli_date(options["date"], "--date"), reference=options["reference"],
                              amount_idr=options["amount"])
        data = invoice_as_dict(invoice)
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
