from __future__ import annotations

from typing import Any

from jaring.accounts.services import user_by_username, user_totp_reset
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Remove USERNAME's two-factor devices and backup codes (a lost phone): "
            "jaring user 2fa-reset USERNAME. They set up a new device at their next login.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_username(options["username"])
        removed = user_totp_reset(actor=None, user=user)
        self.stdout.write(f"2fa reset for {user.username} ({removed} device(s) removed)")
