"""The name search's word table and vocabulary (registry.name_words), filled for existing persons.

The (word, person) indexes, all words and middle words only, are created here rather than in
the model, after the fill: PostgreSQL indexes
``word COLLATE "C"`` so that a prefix is a byte range on any database collation (as 0004 does for
the name keys); SQLite compares bytes already. The fill is set-based, in id batches.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {"person_name_word": "", "person_name_word_middle": " WHERE middle"}


def forwards(apps, schema_editor):
    from jaring.registry.name_words import name_words_fill

    name_words_fill()
    word = '(word COLLATE "C")' if schema_editor.connection.vendor == "postgresql" else "word"
    for name, where in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON registry_personnameword ({word}, person_id){where}")


def backwards(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_person_merge'),
    ]

    operations = [
        migrations.CreateModel(
            name='NameWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=150, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name='PersonNameWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=150)),
                ('middle', models.BooleanField(default=False)),
                ('person', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                             related_name='+', to='registry.person')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('person', 'word'), name='person_name_word_unique')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
