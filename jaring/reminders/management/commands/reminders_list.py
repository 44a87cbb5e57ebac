from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.reminders.management.commands.reminders_deliver import _limit
from jaring.reminders.models import ReminderMessage
from jaring.reminders.selectors import message_as_dict, reminder_messages

DEFAULT_LIMIT = 100


class Command(JaringCommand):
    help = ("The reminders' outbox, newest first: jaring reminders list [--status queued|sent|failed|skipped] "
            "[--kind due_soon|overdue] [--limit N] [--json] [--as USER].")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--status", choices=ReminderMessage.Status.values)
        parser.add_argument("--kind", choices=ReminderMessage.Kind.values)
        parser.add_argument("--limit", help=f"at most this many (default {DEFAULT_LIMIT})")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = _limit(options["limit"]) or DEFAULT_LIMIT
        messages = reminder_messages(actor=cli_actor(options["as_user"]), status=options["status"],
                                     kind=options["kind"])
        total = messages.count()
        rows = [message_as_dict(m) for m in messages[:limit]]
        if options["json"]:
            self.emit_json({"count": total, "results": rows})
            return
        for row in rows:
            self.stdout.write(f"{row['id']} {row['status']} {row['kind']} {row['channel']} {row['to']} "
                              f"attempts={row['attempts']} {row['last_error']}".rstrip())
        self.stdout.write(f"{len(rows)} of {total}")
