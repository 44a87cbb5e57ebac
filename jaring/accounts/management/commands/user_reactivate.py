from __future__ import annotations

from jaring.accounts.management.commands.user_deactivate import Command as Deactivate


class Command(Deactivate):
    help = ("Reactivate a user: they may log in again. jaring user reactivate USERNAME [--json] [--actor ADMIN]. "
            "Their role and areas must lie within the actor's own.")

    active = True
