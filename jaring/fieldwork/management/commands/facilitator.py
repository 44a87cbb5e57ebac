"""``jaring facilitator link`` — link a user to their own person record (their home page then shows
their own protection)."""

from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor, user_by_username
from jaring.core.commands import JaringCommand
from jaring.fieldwork.services import field_profile_link
from jaring.membership.selectors import person_by_nik_or_404


class Command(JaringCommand):
    help = "Link a user to their person record: jaring facilitator link --user USERNAME (--nik NIK | --unlink)"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        link = sub.add_parser("link", help="link (or unlink) a user and their own person record")
        link.add_argument("--user", required=True)
        who = link.add_mutually_exclusive_group(required=True)
        who.add_argument("--nik")
        who.add_argument("--unlink", action="store_true")
        link.add_argument("--as", dest="as_user")
        link.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        user = user_by_username(options["user"])
        person = None if options["unlink"] else person_by_nik_or_404(actor=actor, nik=options["nik"])
        profile = field_profile_link(actor=actor, user=user, person=person)
        data = {"user": user.username, "person": profile.person_id}
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(f"{user.username} → person {profile.person_id or '-'}")
