from __future__ import annotations

from typing import Any

from jaring.accounts.models import User
from jaring.accounts.services import api_token_create
from jaring.core.commands import JaringCommand
from jaring.core.errors import NotFound


class Command(JaringCommand):
    help = "Print a new API token for USERNAME (and nothing else) on stdout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise NotFound(f"no active user {options['username']!r}")
        self.stdout.write(api_token_create(actor=None, user=user, name=options["name"]))
