"""Indexes for the trail viewer's keyset paging (jaring.core.trail), then the append-only triggers
re-installed, as every migration that alters core_auditevent must end (see jaring/core/db.py)."""

from django.conf import settings
from django.db import migrations, models

from jaring.core.db import audit_triggers_operation


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_audit_triggers_reinstall'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['at', 'id'], name='audit_at_id'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor_label', 'at', 'id'], name='audit_actor_at'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action', 'at', 'id'], name='audit_action_at'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['object_type', 'object_id', 'at', 'id'], name='audit_object_at'),
        ),
        audit_triggers_operation(),
    ]
