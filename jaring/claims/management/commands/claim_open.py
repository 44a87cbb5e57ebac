from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.claims.management.commands.claim_show import add_common, emit_claim
from jaring.claims.models import Claim
from jaring.claims.services import claim_open
from jaring.core.commands import JaringCommand, cli_date
from jaring.membership.selectors import person_by_nik_or_404


class Command(JaringCommand):
    help = ("Open a claim: jaring claim open --nik NIK --type jkk|jkm|scholarship --event-date YYYY-MM-DD "
            "[--place TEXT] [--chronology TEXT] [--outcome OUTCOME [--outcome-date YYYY-MM-DD]] [--reported-by WHO]")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--type", required=True, choices=Claim.Type.values)
        parser.add_argument("--event-date", required=True)
        parser.add_argument("--place", default="")
        parser.add_argument("--chronology", default="")
        parser.add_argument("--outcome", choices=Claim.Outcome.values, default="")
        parser.add_argument("--outcome-date")
        parser.add_argument("--reported-by", choices=Claim.ReportedBy.values)
        add_common(parser, with_id=False)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        person = person_by_nik_or_404(actor=actor, nik=options["nik"])
        claim = claim_open(
            actor=actor, person=person, type=options["type"], event_date=cli_date(options["event_date"], "event-date"),
            event_place=options["place"], chronology=options["chronology"], reported_by=options["reported_by"],
            outcome=options["outcome"],
            outcome_date=cli_date(options["outcome_date"], "outcome-date") if options["outcome_date"] else None)
        emit_claim(self, claim, options)
