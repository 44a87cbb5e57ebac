from __future__ import annotations

import getpass
import os
from typing import Any

from jaring.accounts.models import Role
from jaring.accounts.services import user_create
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed


class Command(JaringCommand):
    help = "Add a user: jaring user add USERNAME --role ROLE [--area CODE ...] [--name NAME]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", action="append", default=[], help="Region code (repeatable)")
        parser.add_argument("--name", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("JARING_PASSWORD")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise ValidationFailed("Passwords do not match.")
        user = user_create(actor=None, username=options["username"], name=options["name"],
                           role=options["role"], password=password, areas=options["area"],
                           phone=options["phone"])
        self.stdout.write(f"created {user.username} ({user.role})")
