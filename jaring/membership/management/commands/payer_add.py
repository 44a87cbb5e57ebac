from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.models import FundingSource
from jaring.membership.services import payer_create


class Command(JaringCommand):
    help = ("Add a payer (wadah): jaring payer add --code CODE --name NAME --kind KIND [--funding-source SOURCE] "
            "[--wadah SG] [--region CODE]")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True)
        parser.add_argument("--funding-source", dest="funding_source",
                            help=f"whose money: {', '.join(FundingSource.values)} (default: the kind's usual one)")
        parser.add_argument("--wadah", default="")
        parser.add_argument("--region")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        payer = payer_create(actor=cli_actor(options["as_user"]), code=options["code"], name=options["name"],
                             kind=options["kind"], wadah_code=options["wadah"], region_code=options["region"],
                             funding_source=options["funding_source"])
        if options["json"]:
            self.emit_json({"id": payer.pk, "code": payer.code, "kind": payer.kind,
                            "funding_source": payer.funding_source})
        else:
            self.stdout.write(payer.code)
