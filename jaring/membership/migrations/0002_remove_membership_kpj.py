"""The KPJ moved to the person (registry 0006 copied it to ``Person.kpj``; decision 0033)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("membership", "0001_initial"),
        ("registry", "0006_person_kpj"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="membership",
            name="kpj",
        ),
    ]
