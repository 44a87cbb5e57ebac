from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.reminders.services import reminders_deliver

MAX_LIMIT = 1_000_000


class Command(JaringCommand):
    help = ("Send the queued reminders (and retry the failed ones that may still go): "
            "jaring reminders deliver [--limit N] [--json] [--as USER]. Prints {sent, failed, stale}.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", help="send at most this many")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = _limit(options["limit"])
        summary = reminders_deliver(actor=cli_actor(options["as_user"]), limit=limit)
        if options["json"]:
            self.emit_json(summary.as_dict())
            return
        self.stdout.write(f"sent={summary.sent} failed={summary.failed} stale={summary.stale}")


def _limit(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be a whole number from 1 to {MAX_LIMIT}", fields={"limit": [value]})
    return int(text)
