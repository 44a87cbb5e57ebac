from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, checked_email, checked_text, target
from jaring.accounts.models import Role, User
from jaring.accounts.user_admin import user_update
from jaring.accounts.user_info import user_as_dict
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Change a user's details, role or areas: jaring user set USERNAME [--name NAME] [--phone PHONE] "
            "[--email EMAIL] [--role ROLE] [--area CODE ... | --no-area] [--json] [--actor ADMIN]. "
            "--area replaces the areas; --no-area leaves none (the whole tenant region for an office role). "
            "Options not given stay as they are.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name")
        parser.add_argument("--phone")
        parser.add_argument("--email")
        parser.add_argument("--role", choices=Role.values)
        areas = parser.add_mutually_exclusive_group()
        areas.add_argument("--area", action="append", help="Region code (repeatable); replaces the areas")
        areas.add_argument("--no-area", action="store_true", help="Remove every area")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        name, phone = checked_text(options["name"], "name"), checked_text(options["phone"], "phone")
        email = checked_email(options["email"])
        actor = actor_of(options)
        user = target(options, actor)
        areas = [] if options["no_area"] else options["area"]
        changed = user_update(actor=actor, user=user, name=name, phone=phone, email=email, role=options["role"],
                              areas=areas)
        if options["json"]:
            self.emit_json({**user_as_dict(User.objects.get(pk=user.pk)), "changed": changed})
            return
        self.stdout.write(f"{'updated' if changed else 'unchanged'} {user.username}")
