"""Re-install the append-only triggers of core_auditevent (issue 9).

On SQLite, 0003's AddField rebuilt the table (new table, copy, drop, rename) and the triggers that
0002 had installed were dropped with the old table: databases migrated since then accepted UPDATE and
DELETE of audit events. On PostgreSQL this adds the statement trigger that refuses TRUNCATE.
Idempotent: where the triggers survived, nothing changes. Any later migration that alters
core_auditevent must end with the same operation (see jaring/core/db.py).
"""

from django.db import migrations

from jaring.core.db import audit_triggers_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_channel")]
    operations = [audit_triggers_operation()]
