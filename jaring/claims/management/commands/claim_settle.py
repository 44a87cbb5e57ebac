from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.services import claim_settle
from jaring.core.commands import JaringCommand, cli_date
from jaring.core.errors import ValidationFailed


def parse_item(text: str) -> dict[str, Any]:
    code, _sep, amount = text.partition("=")
    if not code or not amount.isdigit():
        raise ValidationFailed("--item must be CODE=RUPIAH", fields={"item": [text]})
    return {"code": code, "amount_idr": int(amount)}


class Command(JaringCommand):
    help = ("Record BPJSTK's payment: jaring claim settle ID --paid-idr N --date YYYY-MM-DD "
            "[--item CODE=RUPIAH ...]")

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--paid-idr", required=True, type=int)
        parser.add_argument("--date", required=True)
        parser.add_argument("--item", action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim = claim_settle(actor=actor, claim=claim, paid_idr=options["paid_idr"],
                             paid_on=cli_date(options["date"], "date"),
                             items=[parse_item(text) for text in options["item"]])
        emit_claim(self, claim, options, full=True)
