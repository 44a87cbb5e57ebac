from __future__ import annotations

from typing import Any

from jaring.accounts.services import api_token_create, user_by_username
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Print a new API token for USERNAME (and nothing else) on stdout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_username(options["username"], active_only=True)
        self.stdout.write(api_token_create(actor=None, user=user, name=options["name"]))
