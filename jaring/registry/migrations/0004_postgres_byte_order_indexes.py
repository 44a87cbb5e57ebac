"""PostgreSQL only: indexes on the name keys in byte order (COLLATE "C").

The selectors compare and sort ``name_key COLLATE "C"`` so that a prefix search is an index
range on any database collation (see registry.selectors.with_sort_keys). SQLite compares bytes
already and uses the ordinary indexes from 0003.
"""

from django.db import migrations

INDEXES = {
    "person_nk_c": '((name_key COLLATE "C"), id)',
    "person_nkl_c": '((name_key_last COLLATE "C"), (name_key COLLATE "C"), id)',
    "person_kel_nk_c": '(kelurahan_id, (name_key COLLATE "C"), id)',
    "person_kel_nkl_c": '(kelurahan_id, (name_key_last COLLATE "C"), id)',
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON registry_person {columns}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
