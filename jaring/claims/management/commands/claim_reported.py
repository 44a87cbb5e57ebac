from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.services import claim_report_made
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = ("Record that a report was made to BPJSTK: jaring claim reported ID --stage 1|2 --date YYYY-MM-DD "
            "(stage 1: the event; stage 2: recovery, disability or death)")

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--stage", required=True, type=int, choices=(1, 2))
        parser.add_argument("--date", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim = claim_report_made(actor=actor, claim=claim, stage=options["stage"],
                                  reported_on=cli_date(options["date"], "--date"))
        emit_claim(self, claim, options)
