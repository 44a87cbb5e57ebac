from __future__ import annotations

from typing import Any

from jaring.accounts.models import User
from jaring.accounts.services import user_unlock
from jaring.core.commands import JaringCommand
from jaring.core.errors import NotFound


class Command(JaringCommand):
    help = "Lift the lock that failed logins put on USERNAME: jaring user unlock USERNAME."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise NotFound(f"no user {options['username']!r}")
        user_unlock(actor=None, user=user)
        self.stdout.write(f"unlocked {user.username}")
