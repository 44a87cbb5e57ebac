from __future__ import annotations

from typing import Any

from django.utils import timezone

from jaring.accounts.services import cli_actor
from jaring.claims.management.commands.claim_show import add_common
from jaring.claims.services import claims_lapse
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "Mark open claims whose right has lapsed: jaring claim lapse [--today YYYY-MM-DD] [--json]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser, with_id=False)
        parser.add_argument("--today")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        today = cli_date(options["today"], "today") if options["today"] else timezone.localdate()
        lapsed = claims_lapse(actor=actor, today=today)
        if options["json"]:
            self.emit_json({"lapsed": lapsed})
        else:
            self.stdout.write(f"lapsed={len(lapsed)}")
