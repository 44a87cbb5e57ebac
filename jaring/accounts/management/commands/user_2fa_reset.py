from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, target
from jaring.accounts.services import user_by_username, user_totp_reset
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Remove USERNAME's two-factor devices and backup codes (a lost phone): "
            "jaring user 2fa-reset USERNAME [--actor ADMIN]. They set up a new device at their next login. "
            "With --actor, only a user within that admin's region.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["actor"]:
            actor = actor_of(options)
            user = target(options, actor)
        else:  # the installation itself: any account (the last admin's lost phone)
            actor, user = None, user_by_username(options["username"])
        removed = user_totp_reset(actor=actor, user=user)
        self.stdout.write(f"2fa reset for {user.username} ({removed} device(s) removed)")
