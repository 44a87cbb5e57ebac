from __future__ import annotations

from typing import Any

from jaring.accounts.management.user_cli import UserCommand, local_time
from jaring.accounts.user_info import user_as_dict


def show_lines(data: dict[str, Any]) -> list[str]:
    areas = ", ".join(f"{a['code']} {a['name']}" for a in data["areas"]) or "- (the whole tenant region for an "\
        "office role)"
    return [
        f"{data['username']} — {data['name']} (id {data['id']})",
        f"  role:              {data['role']} ({data['role_label']})",
        f"  areas:             {areas}",
        f"  phone:             {data['phone'] or '-'}",
        f"  email:             {data['email'] or '-'}",
        f"  active:            {'yes' if data['is_active'] else 'no'}",
        f"  last login:        {local_time(data['last_login'])}",
        f"  failed logins:     {data['failed_logins_recent']} in {data['failed_logins_days']} days"
        + (f" (last {local_time(data['last_failed_login'])})" if data["last_failed_login"] else ""),
        f"  locked until:      {local_time(data['locked_until'])}",
        f"  live API tokens:   {data['active_tokens']}",
        f"  second factor:     {'yes' if data['has_second_factor'] else 'no'}",
        f"  must change pass.: {'yes' if data['must_change_password'] else 'no'}",
    ]


class Command(UserCommand):
    help = "Show a user the actor manages: jaring user show USERNAME [--json] [--actor ADMIN]."

    def handle(self, *args: Any, **options: Any) -> None:
        data = user_as_dict(self.actor_and_user(options)[1])
        if options["json"]:
            self.emit_json(data)
            return
        for line in show_lines(data):
            self.stdout.write(line)
