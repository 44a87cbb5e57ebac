from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import NotFound
from jaring.membership.management.commands.membership_enrol import parse_date
from jaring.membership.models import Membership
from jaring.membership.selectors import membership_current, person_by_nik_or_404
from jaring.membership.services import membership_end


class Command(JaringCommand):
    help = "End a person's membership: jaring membership end --nik NIK --reason REASON --date YYYY-MM-DD"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--reason", required=True, choices=Membership.EndReason.values)
        parser.add_argument("--date", required=True)
        parser.add_argument("--comment", default="", help="kept in the audit event (at most 500 characters)")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        membership = membership_current(actor=actor, person=person_by_nik_or_404(actor=actor, nik=options["nik"]))
        if membership is None:
            raise NotFound("this person has no membership")
        membership = membership_end(actor=actor, membership=membership, reason=options["reason"],
                                    ended_on=parse_date(options["date"], "date"), comment=options["comment"])
        data = {"id": membership.pk, "status": membership.status, "end_reason": membership.end_reason,
                "ended_on": membership.ended_on.isoformat() if membership.ended_on else None}
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()))
