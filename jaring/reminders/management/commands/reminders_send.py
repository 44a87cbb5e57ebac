from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand, cli_date
from jaring.reminders.services import check_senders, reminders_deliver, reminders_send


class Command(JaringCommand):
    help = ("Queue and send the payment reminders of a day: jaring reminders send --as-of YYYY-MM-DD "
            "[--dry-run] [--queue-only] [--json] [--as USER]. Prints {due_soon, overdue, queued, skipped}.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", required=True, help="the day (YYYY-MM-DD), normally today")
        parser.add_argument("--dry-run", action="store_true", help="count only; write and send nothing")
        parser.add_argument("--queue-only", action="store_true", help="queue the messages, send them later "
                                                                      "(jaring reminders deliver)")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = cli_date(options["as_of"], "as-of")
        actor = cli_actor(options["as_user"])
        deliver = not options["dry_run"] and not options["queue_only"]
        if deliver:
            check_senders()  # a misconfigured gateway is refused before anything is queued
        summary = reminders_send(actor=actor, as_of=as_of, dry_run=options["dry_run"])
        delivered = reminders_deliver(actor=actor) if deliver else None
        if options["json"]:
            self.emit_json(summary.as_dict())
            return
        skipped = ", ".join(f"{reason}={n}" for reason, n in summary.skipped.items() if n) or "-"
        prefix = "dry run: " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{as_of}: due_soon={summary.due_soon} overdue={summary.overdue} "
                          f"queued={summary.queued} skipped: {skipped}")
        if delivered is not None:
            self.stdout.write(f"delivery: sent={delivered.sent} failed={delivered.failed} stale={delivered.stale}")
