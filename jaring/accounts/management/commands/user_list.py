from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import actor_of, add_actor_argument, local_time
from jaring.accounts.models import Role
from jaring.accounts.user_admin import users_for
from jaring.accounts.user_info import user_as_dict
from jaring.core.commands import JaringCommand

COLUMNS = [("username", "USERNAME"), ("name", "NAME"), ("role", "ROLE"), ("areas", "AREAS"), ("active", "ACTIVE"),
           ("last_login", "LAST LOGIN"), ("failed", "FAILED"), ("locked", "LOCKED")]


def _row(data: dict[str, Any]) -> dict[str, str]:
    return {"username": data["username"], "name": data["name"], "role": data["role"],
            "areas": ",".join(a["code"] for a in data["areas"]) or "-",
            "active": "yes" if data["is_active"] else "no",
            "last_login": local_time(data["last_login"]),
            "failed": str(data["failed_logins_recent"]),
            "locked": local_time(data["locked_until"])}


class Command(JaringCommand):
    help = ("List the users the actor manages: jaring user list [--role ROLE] [--query TEXT] [--active | --inactive] "
            "[--json] [--actor ADMIN]. FAILED counts failed password logins in the last 30 days.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--role", choices=Role.values, default="")
        parser.add_argument("--query", "-q", default="", help="Part of the username or the name")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", action="store_const", const=True, dest="active", default=None)
        state.add_argument("--inactive", action="store_const", const=False, dest="active")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        users = users_for(actor_of(options), query=options["query"], role=options["role"], active=options["active"])
        rows = [user_as_dict(user) for user in users]
        if options["json"]:
            self.emit_json(rows)
            return
        table = [_row(row) for row in rows]
        widths = {key: max([len(title), *(len(r[key]) for r in table)]) for key, title in COLUMNS}
        self.stdout.write("  ".join(title.ljust(widths[key]) for key, title in COLUMNS).rstrip())
        for r in table:
            self.stdout.write("  ".join(r[key].ljust(widths[key]) for key, _title in COLUMNS).rstrip())
