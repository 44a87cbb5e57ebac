from __future__ import annotations

from typing import Any

from jaring.accounts.models import User
from jaring.accounts.services import cli_actor
from jaring.claims.models import Claim
from jaring.claims.selectors import claim_as_dict, claim_get
from jaring.core.commands import JaringCommand
from jaring.core.context import rules_lang


def add_common(parser: Any, *, with_id: bool = True) -> None:
    if with_id:
        parser.add_argument("id", type=int)
    parser.add_argument("--as", dest="as_user")
    parser.add_argument("--json", action="store_true")


def claim_for(options: dict[str, Any]) -> tuple[User, Claim]:
    actor = cli_actor(options["as_user"])
    return actor, claim_get(actor=actor, claim_id=options["id"])


def emit_claim(command: JaringCommand, claim: Claim, options: dict[str, Any], *, full: bool = False) -> None:
    data = claim_as_dict(claim, lang=rules_lang(), full=full)
    if options["json"]:
        command.emit_json(data)
        return
    command.stdout.write(f"claim {data['id']}: {data['type']} {data['status']} event={data['event_date']} "
                         f"protected={data['protected_on_event_date']} ({data['coverage_reason']}) "
                         f"estimate_idr={data['estimate_idr']}")
    for name, day in data["deadlines"].items():
        if day:
            command.stdout.write(f"  {name}: {day}")
    for item in data["checklist"]:
        mark = "x" if item["received"] else " "
        optional = "" if item["required"] else " (opsional)"
        command.stdout.write(f"  [{mark}] {item['code']}: {item['label']}{optional}")


class Command(JaringCommand):
    help = "Show a claim: jaring claim show ID [--json]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        _actor, claim = claim_for(options)
        emit_claim(self, claim, options, full=True)
