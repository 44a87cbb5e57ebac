from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.models import ClaimHeir
from jaring.claims.services import claim_heir_add
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Add an heir: jaring claim heir ID --name NAME --relationship REL [--nik NIK] [--phone PHONE]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument("--relationship", required=True, choices=ClaimHeir.Relationship.values)
        parser.add_argument("--nik", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        claim_heir_add(actor=actor, claim=claim, name=options["name"], relationship=options["relationship"],
                       nik=options["nik"], phone=options["phone"])
        emit_claim(self, claim, options, full=True)
