from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, target
from jaring.accounts.user_admin import user_activate
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Deactivate a user: they can no longer log in, their sessions end and their tokens are refused. "
            "jaring user deactivate USERNAME [--json] [--actor ADMIN]. Refused (exit 3) for the last admin over "
            "the whole tenant region and for one's own account.")

    active = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_of(options)
        user = target(options, actor)
        changed = user_activate(actor=actor, user=user, active=self.active)
        if options["json"]:
            self.emit_json({"username": user.username, "is_active": user.is_active, "changed": changed})
            return
        state = "active" if self.active else "inactive"
        verb = "reactivated" if self.active else "deactivated"
        self.stdout.write(f"{verb} {user.username}" if changed else f"{user.username} was already {state}")
