from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import (
    actor_of,
    add_actor_argument,
    add_base_url_argument,
    credential_note,
    credentials_dict,
    target,
)
from jaring.accounts.user_admin import user_reset_password
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Reset a user's password: jaring user reset-password USERNAME [--link] [--base-url URL] [--json] "
            "[--actor ADMIN]. Prints a temporary password (the user's sessions end; they choose a new one at the "
            "next login) or, with --link, a one-time link to set one; either is shown once, on stdout alone.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--link", action="store_true", help="A one-time link instead of a temporary password")
        add_base_url_argument(parser)
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_of(options)
        user = target(options, actor)
        credentials = user_reset_password(actor=actor, user=user, method="link" if options["link"] else "temporary")
        handed = credentials_dict(credentials, options["base_url"])
        if options["json"]:
            self.emit_json({"username": user.username, **handed})
            return
        self.stdout.write(handed.get("reset_link") or handed["temporary_password"])
        credential_note(user.username, handed)
