from __future__ import annotations

import datetime as dt
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.membership.selectors import payer_for, person_by_nik_or_404
from jaring.membership.services import membership_enrol


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field} must be YYYY-MM-DD", fields={field: [value]}) from None


class Command(JaringCommand):
    help = "Enrol a person with a payer; with --kpj the membership is active at once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--payer", required=True, help="payer code")
        parser.add_argument("--programs", default="JKK,JKM")
        parser.add_argument("--income", required=True, type=int)
        parser.add_argument("--start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--kpj")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        person = person_by_nik_or_404(actor=actor, nik=options["nik"])
        membership = membership_enrol(actor=actor, person=person, payer=payer_for(actor=actor, code=options["payer"]),
                                      programs=options["programs"], declared_income_idr=options["income"],
                                      start_date=parse_date(options["start"], "start"), kpj=options["kpj"])
        if options["json"]:
            self.emit_json({"id": membership.pk, "status": membership.status, "kpj": membership.kpj})
        else:
            self.stdout.write(str(membership.pk))
