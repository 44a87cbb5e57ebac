from __future__ import annotations

import getpass
import os
from typing import Any

from jaring.accounts.management.user_cli import (
    add_actor_argument,
    add_base_url_argument,
    checked_email,
    checked_text,
    credential_note,
    credentials_dict,
)
from jaring.accounts.models import Role
from jaring.accounts.services import cli_actor
from jaring.accounts.user_admin import user_add
from jaring.accounts.user_info import user_as_dict
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed


class Command(JaringCommand):
    help = ("Add a user: jaring user add USERNAME --role ROLE [--area CODE ...] [--name NAME] [--phone PHONE] "
            "[--email EMAIL] [--link | --temporary] [--actor ADMIN]. The password comes from JARING_PASSWORD or "
            "a prompt; --link prints a one-time link to set it instead, --temporary a temporary password "
            "(changed at the first login). Without --actor the installation itself adds the user, with no limit "
            "(the first admin); with --actor the admin's region and role bound the new user.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", action="append", default=[], help="Region code (repeatable)")
        parser.add_argument("--name", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--email", default="")
        given = parser.add_mutually_exclusive_group()
        given.add_argument("--link", action="store_true", help="Print a one-time link to set the password")
        given.add_argument("--temporary", action="store_true",
                           help="Print a temporary password, to be changed at the first login")
        add_actor_argument(parser)
        add_base_url_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # Without --actor: the installation (no admin may exist yet), as before; audited as "system".
        actor = cli_actor(options["actor"]) if options["actor"] else None
        name, phone = checked_text(options["name"], "name") or "", checked_text(options["phone"], "phone") or ""
        email = checked_email(options["email"]) or ""
        password = None
        if not (options["link"] or options["temporary"]):
            password = os.environ.get("JARING_PASSWORD")
            if password is None:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise ValidationFailed("Passwords do not match.")
        user, credentials = user_add(actor=actor, username=options["username"], name=name,
                                     role=options["role"], areas=options["area"], phone=phone,
                                     email=email, password=password,
                                     credentials="link" if options["link"] else "temporary")
        handed = credentials_dict(credentials, options["base_url"])
        if options["json"]:
            self.emit_json({**user_as_dict(user), **handed})
            return
        self.stdout.write(f"created {user.username} ({user.role})")
        for value in handed.values():
            if isinstance(value, str):
                self.stdout.write(value)
        credential_note(user.username, handed)
