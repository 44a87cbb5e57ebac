"""Database-level guards, shared by the migration that installs them and by the test suite."""

from __future__ import annotations

from typing import Any

_INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
        """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
        "DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent;",
        """CREATE TRIGGER core_auditevent_no_change BEFORE UPDATE OR DELETE ON core_auditevent
           FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();""",
    ],
}
_REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS core_auditevent_no_update;",
               "DROP TRIGGER IF EXISTS core_auditevent_no_delete;"],
    "postgresql": ["DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent;"],
}


def install_audit_triggers(connection: Any) -> None:
    """Refuse UPDATE and DELETE on audit events in the database itself."""
    with connection.cursor() as cursor:
        for sql in _INSTALL.get(connection.vendor, []):
            cursor.execute(sql)


def remove_audit_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _REMOVE.get(connection.vendor, []):
            cursor.execute(sql)
