"""The ``jaring`` command: one obvious entry point, a thin front on management commands.

``jaring seed-demo`` runs ``seed_demo``; ``jaring user add`` runs ``user_add``; anything else is
handed to Django as it is (``jaring migrate``, ``jaring createsuperuser``…).
"""

from __future__ import annotations

import os
import sys

GROUPS = {"user", "person", "regions", "simulate", "payer", "membership", "billing", "payment", "invoice",
          "bpjstk", "import", "dedup", "reports", "db", "claim"}


def resolve(argv: list[str]) -> tuple[str, list[str]]:
    """``["user", "add", "x"]`` → ``("user_add", ["x"])``; ``["seed-demo"]`` → ``("seed_demo", [])``."""
    if argv[0] in GROUPS and len(argv) > 1 and not argv[1].startswith("-"):
        return f"{argv[0]}_{argv[1]}".replace("-", "_"), argv[2:]
    return argv[0].replace("-", "_"), argv[1:]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.umask(0o077)  # every file the command writes (database, exports, backups) is owner-only
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(__doc__ or "")
        sys.stdout.write(
            "\nCommands: demo, serve, migrate, seed-demo, user add|list|show|set|deactivate|reactivate|reset-password|"
            "revoke-tokens|unlock|2fa-reset|token, person add, person verify-nik, "
            "regions load, worker, backup, restore, db grant-app-role, build-static, claim …, reports claims, "
            "reminders send|deliver|list, visit record, outreach create|attendee|report, facilitator link, "
            "and every Django management command.\n")
        return
    name, rest = resolve(argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jaring", name, *rest])


if __name__ == "__main__":
    main()
