from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.services import claim_submit
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "Record the claim handed to BPJSTK: jaring claim submit ID --bpjstk-number N [--date YYYY-MM-DD]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--bpjstk-number", required=True)
        parser.add_argument("--date")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim = claim_submit(actor=actor, claim=claim, bpjstk_number=options["bpjstk_number"],
                             submitted_on=cli_date(options["date"], "date") if options["date"] else None)
        emit_claim(self, claim, options)
