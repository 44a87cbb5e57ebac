"""BPJSTK's files mirrored: each imported file and the review list of rows not applied (decision 0035)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contributions', '0002_invoice_blocks_credit_reasons'),
        ('core', '0004_audit_triggers_reinstall'),
        ('membership', '0004_membership_rejection'),
        ('registry', '0006_person_kpj'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StatementImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('payments', 'Laporan pembayaran iuran'), ('status', 'Status kepesertaan'), ('rejections', 'Pendaftaran ditolak')], max_length=12, verbose_name='jenis berkas')),
                ('file_name', models.CharField(max_length=255, verbose_name='nama berkas')),
                ('sha256', models.CharField(max_length=64)),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='baris')),
                ('applied', models.PositiveIntegerField(default=0, verbose_name='diterapkan')),
                ('unchanged', models.PositiveIntegerField(default=0, verbose_name='tidak berubah')),
                ('review', models.PositiveIntegerField(default=0, verbose_name='perlu diperiksa')),
                ('invalid', models.PositiveIntegerField(default=0, verbose_name='tidak sah')),
                ('summary', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.job')),
            ],
            options={
                'verbose_name': 'impor berkas BPJSTK',
                'verbose_name_plural': 'impor berkas BPJSTK',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='StatementReviewRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('payments', 'Laporan pembayaran iuran'), ('status', 'Status kepesertaan'), ('rejections', 'Pendaftaran ditolak')], max_length=12, verbose_name='jenis berkas')),
                ('row_number', models.PositiveIntegerField(verbose_name='baris')),
                ('key', models.CharField(max_length=64)),
                ('kpj', models.CharField(blank=True, max_length=20, verbose_name='KPJ')),
                ('nik_masked', models.CharField(blank=True, max_length=20, verbose_name='NIK (disamarkan)')),
                ('period', models.DateField(blank=True, null=True, verbose_name='bulan')),
                ('amount_idr', models.BigIntegerField(blank=True, null=True, verbose_name='jumlah (Rp)')),
                ('paid_on', models.DateField(blank=True, null=True, verbose_name='tanggal')),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('reason_code', models.CharField(max_length=24, verbose_name='kode alasan')),
                ('reason_text', models.CharField(max_length=500, verbose_name='alasan')),
                ('status', models.CharField(choices=[('open', 'Perlu diperiksa'), ('resolved', 'Selesai')], default='open', max_length=8)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('resolution', models.CharField(blank=True, max_length=500, verbose_name='penyelesaian')),
                ('membership', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='membership.membership')),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person')),
                ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('statement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_rows', to='contributions.statementimport')),
            ],
            options={
                'verbose_name': 'baris BPJSTK untuk diperiksa',
                'verbose_name_plural': 'baris BPJSTK untuk diperiksa',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddConstraint(
            model_name='statementimport',
            constraint=models.UniqueConstraint(fields=('kind', 'sha256'), name='one_statement_import_per_file'),
        ),
        migrations.AddIndex(
            model_name='statementreviewrow',
            index=models.Index(fields=['status', 'kind'], name='review_row_status_kind'),
        ),
        migrations.AddConstraint(
            model_name='statementreviewrow',
            constraint=models.UniqueConstraint(fields=('kind', 'key', 'reason_code'), name='one_review_row_per_reason'),
        ),
    ]
