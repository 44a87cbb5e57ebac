from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from jaring.core.commands import JaringCommand
from jaring.core.db import grant_app_role


class Command(JaringCommand):
    help = ("PostgreSQL: give ROLE what the Jaring application needs on the current schema and no more: "
            "SELECT/INSERT/UPDATE/DELETE on every table except the audit table (SELECT and INSERT only), "
            "sequences, the same for future tables; no TRUNCATE, no ALTER. Run as the owner of the tables "
            "after every `jaring migrate`: jaring db grant-app-role ROLE. See docs/operations/postgresql.md.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="the role the application connects as (not the owner of the tables)")
        parser.add_argument("--dry-run", action="store_true", help="print the statements, change nothing")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # Checked first (refusals write nothing), then done as the CLI actor, which lives in accounts,
        # above core, and is reached through a setting (decision 0026).
        plan = grant_app_role(actor=None, role=options["role"], dry_run=True)
        if not options["dry_run"]:
            actor = import_string(settings.JARING_CLI_ACTOR)(options["as_user"])
            plan = grant_app_role(actor=actor, role=options["role"])
        if options["json"]:
            self.emit_json({"role": plan.role, "schema": plan.schema, "owner": plan.owner,
                            "statements": plan.statements, "executed": not options["dry_run"],
                            "can_create": plan.can_create})
            return
        for statement in plan.statements:
            self.stdout.write(f"{statement};")
        if not options["dry_run"]:
            self.stderr.write(f"{plan.role}: rights granted on schema {plan.schema} (owner {plan.owner}). "
                              "Run this again after every migrate.")
            if plan.can_create:
                self.stderr.write(f"warning: {plan.role} may still CREATE in schema {plan.schema} through PUBLIC: "
                                  f"REVOKE CREATE ON SCHEMA {plan.schema} FROM PUBLIC (see "
                                  "docs/operations/postgresql.md).")
