from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.services import claim_document_received
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "Mark a checklist document received: jaring claim document ID --code CODE --received YYYY-MM-DD"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--code", required=True)
        parser.add_argument("--received", required=True)
        parser.add_argument("--note", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim = claim_document_received(actor=actor, claim=claim, code=options["code"],
                                        received_on=cli_date(options["received"], "received"), note=options["note"])
        emit_claim(self, claim, options)
