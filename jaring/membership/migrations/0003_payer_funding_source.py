"""Whose money a payer spends (DOMAIN §2.1: the PP 50/2025 discount exclusion follows the funding
source, not the payer's name). Existing payers get the funding source of their kind: self → self,
city → APBD kota, province → APBD provinsi, village → dana kelurahan (city APBD), CSR, bank and other
→ non-state. An "other" payer spending Otsus or APBN money is corrected by the office afterwards."""

from django.db import migrations, models

FROM_KIND = {
    "self": "self",
    "government_city": "apbd_city",
    "government_province": "apbd_province",
    "village": "dana_kelurahan",
    "csr": "non_state",
    "bank": "non_state",
    "other": "non_state",
}


def set_from_kind(apps, schema_editor):
    Payer = apps.get_model("membership", "Payer")
    for kind, source in FROM_KIND.items():
        Payer.objects.filter(kind=kind).update(funding_source=source)


class Migration(migrations.Migration):

    dependencies = [
        ("membership", "0002_remove_membership_kpj"),
    ]

    operations = [
        migrations.AddField(
            model_name="payer",
            name="funding_source",
            field=models.CharField(
                choices=[("self", "Uang pekerja sendiri"), ("apbn", "APBN"), ("apbd_city", "APBD kota/kabupaten"),
                         ("apbd_province", "APBD provinsi"),
                         ("dana_kelurahan", "Dana kelurahan (APBD kota/kabupaten)"),
                         ("otsus", "Dana otonomi khusus (melalui APBD)"), ("dana_desa", "Dana desa (APBDes)"),
                         ("non_state", "Bukan dana negara (CSR, bank, zakat, gereja…)")],
                default="non_state", max_length=16, verbose_name="sumber dana"),
            preserve_default=False,
        ),
        migrations.RunPython(set_from_kind, migrations.RunPython.noop),
    ]
