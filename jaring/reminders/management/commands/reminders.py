from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command

from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed

ACTIONS = ("send", "deliver", "list")


class Command(JaringCommand):
    help = ("Payment reminders: jaring reminders send|deliver|list … "
            "(see jaring reminders_send --help, reminders_deliver --help, reminders_list --help).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", help=" | ".join(ACTIONS))
        parser.add_argument("rest", nargs=argparse.REMAINDER)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action not in ACTIONS:
            raise ValidationFailed(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}",
                                   fields={"action": [action]})
        call_command(f"reminders_{action}", *options["rest"], stdout=self.stdout._out, stderr=self.stderr._out)
