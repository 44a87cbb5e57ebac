"""Invoices for a block of months paid whole or in part; credit entries say why they exist."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q


def one_month_blocks(apps, schema_editor):
    Invoice = apps.get_model("contributions", "Invoice")
    Invoice.objects.update(period_to=F("period"))
    Invoice.objects.filter(status="paid").update(paid_idr=F("total_idr"))


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="creditentry",
            name="reason",
            field=models.CharField(
                choices=[("payment", "Sisa pembayaran"), ("applied", "Dipakai untuk iuran"),
                         ("repricing", "Selisih harga (diskon berlaku)"), ("refund", "Dikembalikan bersama klaim"),
                         ("refunded", "Sudah dikembalikan")],
                default="payment", max_length=10, verbose_name="alasan"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="period_to",
            field=models.DateField(null=True, verbose_name="sampai bulan"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="paid_idr",
            field=models.BigIntegerField(default=0, verbose_name="sudah dibayar (Rp)"),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="status",
            field=models.CharField(choices=[("open", "Belum dibayar"), ("partial", "Dibayar sebagian"),
                                            ("paid", "Lunas")], default="open", max_length=7),
        ),
        migrations.RunPython(one_month_blocks, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invoice",
            name="period_to",
            field=models.DateField(verbose_name="sampai bulan"),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(condition=Q(period_to__gte=F("period")), name="invoice_block_ordered"),
        ),
        migrations.CreateModel(
            name="InvoicePayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount_idr", models.BigIntegerField(verbose_name="jumlah (Rp)")),
                ("paid_on", models.DateField(verbose_name="tanggal bayar")),
                ("reference", models.CharField(max_length=100, verbose_name="referensi (SP2D)")),
                ("dues_paid", models.PositiveIntegerField(default=0)),
                ("applied_idr", models.BigIntegerField(default=0)),
                ("unapplied_idr", models.BigIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("created_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+", to=settings.AUTH_USER_MODEL)),
                ("invoice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="payments",
                                              to="contributions.invoice")),
            ],
            options={"ordering": ["-paid_on", "-id"]},
        ),
        migrations.AddConstraint(
            model_name="invoicepayment",
            constraint=models.CheckConstraint(condition=Q(amount_idr__gt=0), name="invoice_payment_positive"),
        ),
        migrations.AddConstraint(
            model_name="invoicepayment",
            constraint=models.UniqueConstraint(fields=("invoice", "reference"), name="one_invoice_payment_per_reference"),
        ),
    ]
