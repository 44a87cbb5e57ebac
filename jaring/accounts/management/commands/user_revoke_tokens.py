from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, target
from jaring.accounts.user_admin import user_revoke_tokens
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Revoke every live API token of a user (a lost laptop, a leaver): "
            "jaring user revoke-tokens USERNAME [--json] [--actor ADMIN].")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_of(options)
        user = target(options, actor)
        revoked = user_revoke_tokens(actor=actor, user=user)
        if options["json"]:
            self.emit_json({"username": user.username, "revoked": revoked})
            return
        self.stdout.write(f"revoked {revoked} token(s) of {user.username}")
