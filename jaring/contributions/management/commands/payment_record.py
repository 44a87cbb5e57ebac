from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.models import Payment
from jaring.contributions.services import payment_record
from jaring.core.commands import JaringCommand, cli_date
from jaring.core.errors import Conflict
from jaring.membership.selectors import membership_current, person_by_nik_or_404


class Command(JaringCommand):
    help = "Record a self-payer's payment; prints the months it paid."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--amount", required=True, type=int)
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--reference", default="")
        parser.add_argument("--channel", default=Payment.Channel.OTHER, choices=Payment.Channel.values)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        person = person_by_nik_or_404(actor=actor, nik=options["nik"])
        membership = membership_current(actor=actor, person=person)
        if membership is None:
            raise Conflict("this person has no membership; enrol them first", code="no_membership")
        result = payment_record(actor=actor, membership=membership, amount_idr=options["amount"],
                                paid_on=cli_date(options["date"], "--date"), channel=options["channel"],
                                reference=options["reference"])
        if options["json"]:
            self.emit_json(result.as_dict())
        else:
            data = result.as_dict()
            self.stdout.write(f"paid: {' '.join(data['paid_periods']) or '-'}; credit: {data['credit_idr']}")
