from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, target
from jaring.accounts.services import user_by_username, user_unlock
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Lift the lock that failed logins put on USERNAME: jaring user unlock USERNAME [--actor ADMIN]. "
            "With --actor, only a user within that admin's region.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["actor"]:
            actor = actor_of(options)
            user = target(options, actor)
        else:  # the installation itself: any account (a locked-out admin, a superuser)
            actor, user = None, user_by_username(options["username"])
        user_unlock(actor=actor, user=user)
        self.stdout.write(f"unlocked {user.username}")
