from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import UserCommand
from jaring.accounts.user_admin import user_revoke_tokens


class Command(UserCommand):
    help = ("Revoke every live API token of a user (a lost laptop, a leaver): "
            "jaring user revoke-tokens USERNAME [--json] [--actor ADMIN].")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, user = self.actor_and_user(options)
        revoked = user_revoke_tokens(actor=actor, user=user)
        if options["json"]:
            self.emit_json({"username": user.username, "revoked": revoked})
            return
        self.stdout.write(f"revoked {revoked} token(s) of {user.username}")
