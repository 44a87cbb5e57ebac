"""Database-level guards: audit events are append-only in the database itself, not only in Python.

- **SQLite**: triggers ``core_auditevent_no_update`` and ``core_auditevent_no_delete`` abort any
  UPDATE or DELETE on ``core_auditevent``.
- **PostgreSQL**: a row trigger ``core_auditevent_no_change`` refuses UPDATE and DELETE, a statement
  trigger ``core_auditevent_no_truncate`` refuses TRUNCATE. Triggers stop the application's SQL, not
  the table's owner (who may disable or drop them): in production Jaring connects as a role that does
  not own the table and has only SELECT and INSERT on it (``grant_app_role`` below, ``jaring db
  grant-app-role``, docs/operations/postgresql.md).

**Any migration that alters ``core_auditevent`` must end with** ``audit_triggers_operation()``
(it re-runs ``install_audit_triggers``). On SQLite Django's schema editor applies most AddField,
AlterField, RemoveField and RenameField operations by rebuilding the table — create a new table,
copy the rows, drop the old one, rename — and the triggers are dropped with the old table. That is
how migration 0003 silently made the audit table writable again until 0004 re-installed them
(issue 9). A test (tests/security/test_audit_tamper.py) walks core's migrations and fails if an
operation on ``auditevent`` comes after the last one that installs the triggers; another migrates a
fresh database without any fixture and tries to tamper with it.

The installation is idempotent (``IF NOT EXISTS`` / ``OR REPLACE``): running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import migrations

TABLE = "core_auditevent"

#: The triggers a migrated database must have on ``core_auditevent``, per database vendor.
TRIGGERS = {
    "sqlite": ("core_auditevent_no_delete", "core_auditevent_no_update"),
    "postgresql": ("core_auditevent_no_change", "core_auditevent_no_truncate"),
}

_INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
        """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    ],
    "postgresql": [
        # One function for both triggers: it refuses whatever fired it (TG_OP names the statement).
        """CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP; END;
           $$ LANGUAGE plpgsql;""",
        """CREATE OR REPLACE TRIGGER core_auditevent_no_change BEFORE UPDATE OR DELETE ON core_auditevent
           FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();""",
        # Row triggers do not fire on TRUNCATE: a statement trigger refuses it.
        """CREATE OR REPLACE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
           FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();""",
    ],
}
_REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS core_auditevent_no_update;",
               "DROP TRIGGER IF EXISTS core_auditevent_no_delete;"],
    "postgresql": ["DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent;",
                   "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;"],
}


def install_audit_triggers(connection: Any) -> None:
    """Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit events in the database itself."""
    with connection.cursor() as cursor:
        for sql in _INSTALL.get(connection.vendor, []):
            cursor.execute(sql)


def remove_audit_triggers(connection: Any) -> None:
    """Only for migrating backwards and for the test suite's flush between transactional tests."""
    with connection.cursor() as cursor:
        for sql in _REMOVE.get(connection.vendor, []):
            cursor.execute(sql)


def installed_audit_triggers(connection: Any) -> list[str]:
    """Names of the triggers on ``core_auditevent`` as the database reports them, sorted."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                           [TABLE])
        else:
            return []
        return sorted(row[0] for row in cursor.fetchall())


def reinstall_audit_triggers(apps: Any, schema_editor: Any) -> None:
    """The code of ``audit_triggers_operation`` (a module-level function, so migrations can name it)."""
    install_audit_triggers(schema_editor.connection)


def audit_triggers_operation() -> migrations.RunPython:
    """The operation that must follow any operation on ``core_auditevent`` in a migration.

    Reversing it does nothing: the triggers belong to migration 0002, whose reverse removes them.
    """
    return migrations.RunPython(reinstall_audit_triggers, migrations.RunPython.noop)


# --- PostgreSQL: the application's role ---------------------------------------------------------

@dataclass(frozen=True)
class GrantPlan:
    role: str
    schema: str
    owner: str
    statements: list[str]
    #: The role may still create tables in the schema through PUBLIC (PostgreSQL 14 and older grant
    #: CREATE on ``public`` to everyone): harmless to the audit table, but see postgresql.md.
    can_create: bool = False


def app_role_statements(*, role: str, schema: str, database: str, quote: Any) -> list[str]:
    """GRANT and REVOKE statements that let ``role`` run Jaring without owning anything.

    Every table: SELECT, INSERT, UPDATE, DELETE; the audit table: SELECT and INSERT only; sequences:
    USAGE and SELECT; the same for tables and sequences the current role creates later (default
    privileges). Nothing else: no TRUNCATE, REFERENCES or TRIGGER, no CREATE in the schema; ALTER and
    DROP belong to the owner alone. ``quote`` quotes an identifier.
    """
    r, s, audit = quote(role), quote(schema), f"{quote(schema)}.{quote(TABLE)}"
    return [
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        # Start from nothing, so a right granted by hand earlier (TRUNCATE, TRIGGER…) does not survive.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE UPDATE, DELETE ON {audit} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


def grant_app_role(*, actor: Any, role: str, dry_run: bool = False) -> GrantPlan:
    """Give ``role`` the rights Jaring needs on the current schema and no more; run as the owner of
    the tables after every ``migrate`` (docs/operations/postgresql.md). One transaction, audited.

    Refused when the role does not exist, is a superuser, or owns the audit table or is a member of
    its owner (each of these could disable or drop the triggers), and when the current user is not
    the owner (default privileges follow the role that creates the tables).
    """
    from django.db import connection, transaction
    from django.utils.translation import gettext as _
    from psycopg import sql

    from jaring.core.audit import audit_log
    from jaring.core.errors import Conflict, NotFound, ValidationFailed

    if connection.vendor != "postgresql":
        raise ValidationFailed(_("Perintah ini hanya untuk PostgreSQL: SQLite tidak mengenal peran (role)."))
    connection.ensure_connection()

    def quote(name: str) -> str:
        return sql.Identifier(name).as_string(connection.connection)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), current_database(), current_user")
        schema, database, me = cursor.fetchone()
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise NotFound(_("Peran %(role)s tidak ada. Buat dulu: CREATE ROLE %(role)s LOGIN PASSWORD '…';")
                           % {"role": role})
        if found[0]:
            raise Conflict(_("Peran %(role)s adalah superuser: peran itu dapat mematikan trigger audit.")
                           % {"role": role})
        cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass",
                       [f"{quote(schema)}.{quote(TABLE)}"])
        owner = cursor.fetchone()[0]
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        if cursor.fetchone()[0]:
            raise Conflict(_("Peran %(role)s memiliki tabel audit atau anggota pemiliknya (%(owner)s): aplikasi "
                             "harus terhubung dengan peran yang bukan pemilik tabel audit.")
                           % {"role": role, "owner": owner})
        if owner != me:
            raise Conflict(_("Jalankan sebagai pemilik tabel (%(owner)s), bukan %(me)s: hak untuk tabel baru "
                             "mengikuti peran yang membuatnya.") % {"owner": owner, "me": me})
        plan = GrantPlan(role=role, schema=schema, owner=owner,
                         statements=app_role_statements(role=role, schema=schema, database=database, quote=quote))
        if not dry_run:
            for statement in plan.statements:
                cursor.execute(statement)
            cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
            plan = replace(plan, can_create=bool(cursor.fetchone()[0]))
            audit_log(actor=actor, action="db.app_role_granted", object_type="database_role", object_id=role,
                      after={"schema": schema, "owner": owner, "statements": len(plan.statements)})
    return plan
