from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import UserCommand
from jaring.accounts.user_admin import user_activate


class Command(UserCommand):
    help = ("Deactivate a user: they can no longer log in, their sessions end and their tokens are refused. "
            "jaring user deactivate USERNAME [--json] [--actor ADMIN]. Refused (exit 3) for the last admin over "
            "the whole tenant region and for one's own account.")

    active = False

    def handle(self, *args: Any, **options: Any) -> None:
        actor, user = self.actor_and_user(options)
        changed = user_activate(actor=actor, user=user, active=self.active)
        if options["json"]:
            self.emit_json({"username": user.username, "is_active": user.is_active, "changed": changed})
            return
        state = "active" if self.active else "inactive"
        verb = "reactivated" if self.active else "deactivated"
        self.stdout.write(f"{verb} {user.username}" if changed else f"{user.username} was already {state}")
