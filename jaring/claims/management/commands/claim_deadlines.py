from __future__ import annotations

from typing import Any

from django.utils import timezone

from jaring.accounts.services import cli_actor
from jaring.claims.management.commands.claim_show import add_common
from jaring.claims.selectors import claim_deadlines_list
from jaring.core.commands import JaringCommand, cli_date


class Command(JaringCommand):
    help = "Open claims with their next deadline, overdue first: jaring claim deadlines [--today YYYY-MM-DD] [--json]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser, with_id=False)
        parser.add_argument("--today")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        today = cli_date(options["today"], "today") if options["today"] else timezone.localdate()
        rows = [row.as_dict(today) for row in claim_deadlines_list(actor=actor, today=today)]
        if options["json"]:
            self.emit_json(rows)
            return
        for row in rows:
            flag = "OVERDUE" if row["overdue"] else f"{row['days_left']} d"
            self.stdout.write(f"{row['date']} {flag:>8} claim {row['claim']} {row['type']} {row['status']} "
                              f"{row['deadline']} — {row['person_name']} ({row['kelurahan']})")
