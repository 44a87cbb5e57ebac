from __future__ import annotations

from typing import Any

from jaring.accounts.models import User
from jaring.accounts.services import user_totp_reset
from jaring.core.commands import JaringCommand
from jaring.core.errors import NotFound


class Command(JaringCommand):
    help = ("Remove USERNAME's two-factor devices and backup codes (a lost phone): "
            "jaring user 2fa-reset USERNAME. They set up a new device at their next login.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise NotFound(f"no user {options['username']!r}")
        removed = user_totp_reset(actor=None, user=user)
        self.stdout.write(f"2fa reset for {user.username} ({removed} device(s) removed)")
