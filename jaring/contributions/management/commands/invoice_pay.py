from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.services import invoice_pay
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.core.money import format_month, parse_month
from jaring.membership.management.commands.membership_enrol import parse_date
from jaring.membership.selectors import payer_get


class Command(JaringCommand):
    help = "Mark a payer's invoice for a month paid (issuing it first if needed). Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--payer", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--reference", required=True)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_month(options["period"])
        except ValueError:
            raise ValidationFailed("period must be YYYY-MM", fields={"period": [options["period"]]}) from None
        invoice = invoice_pay(actor=cli_actor(options["as_user"]), payer=payer_get(code=options["payer"]),
                              period=period, paid_on=parse_date(options["date"], "date"),
                              reference=options["reference"])
        data = {"invoice": invoice.pk, "payer": invoice.payer.code, "period": format_month(invoice.period),
                "members": invoice.member_count, "total_idr": invoice.total_idr, "status": invoice.status,
                "reference": invoice.reference}
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
