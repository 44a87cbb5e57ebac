from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.services import claim_reject
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Record BPJSTK's rejection: jaring claim reject ID --reason TEXT"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        emit_claim(self, claim_reject(actor=actor, claim=claim, reason=options["reason"]), options)
