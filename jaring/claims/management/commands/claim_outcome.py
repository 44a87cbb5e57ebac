from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.models import Claim
from jaring.claims.services import claim_outcome
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "Record a work accident's outcome: jaring claim outcome ID --outcome OUTCOME [--date YYYY-MM-DD]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--outcome", required=True, choices=Claim.Outcome.values)
        parser.add_argument("--date")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim = claim_outcome(actor=actor, claim=claim, outcome=options["outcome"],
                              outcome_date=cli_date(options["date"], "date") if options["date"] else None)
        emit_claim(self, claim, options)
