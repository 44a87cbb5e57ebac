"""BPJSTK's rejection file sends a registration back to draft with its reason (decision 0035)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('membership', '0003_payer_funding_source'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='rejected_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ditolak BPJSTK pada'),
        ),
        migrations.AddField(
            model_name='membership',
            name='rejection_reason',
            field=models.CharField(blank=True, max_length=500, verbose_name='alasan ditolak BPJSTK'),
        ),
    ]
