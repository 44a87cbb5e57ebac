from __future__ import annotations

from typing import Any

from jaring.accounts.services import user_by_username, user_unlock
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Lift the lock that failed logins put on USERNAME: jaring user unlock USERNAME."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_username(options["username"])
        user_unlock(actor=None, user=user)
        self.stdout.write(f"unlocked {user.username}")
