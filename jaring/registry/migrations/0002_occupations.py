"""The occupation catalogue of vulnerable workers (DOMAIN §1). Editable later in the admin."""

from django.db import migrations

# code, Indonesian name, English name, transport sector (PP 50/2025), high risk (targeting)
OCCUPATIONS = [
    ("market_trader", "Pedagang pasar", "Market trader", False, False),
    ("mama_papua_trader", "Pedagang Mama-Mama Papua", "Mama-Mama Papua trader", False, False),
    ("vegetable_seller", "Penjual sayur", "Vegetable seller", False, False),
    ("betel_nut_seller", "Penjual pinang", "Betel-nut seller", False, False),
    ("ojek_driver", "Tukang ojek", "Ojek (motorbike taxi) driver", True, True),
    ("online_ojek_driver", "Ojek online", "Online ojek driver", True, True),
    ("driver", "Sopir/pengemudi", "Driver", True, True),
    ("courier", "Kurir", "Courier", True, True),
    ("speedboat_operator", "Motoris speedboat/longboat", "Speedboat operator", True, True),
    ("fisher", "Nelayan", "Fisher", False, True),
    ("farmer", "Petani/pekebun", "Farmer", False, False),
    ("day_labourer", "Buruh harian lepas", "Day labourer", False, True),
    ("port_labourer", "Buruh pelabuhan", "Port labourer", False, True),
    ("construction_worker", "Tukang bangunan", "Construction worker", False, True),
    ("parking_attendant", "Juru parkir", "Parking attendant", False, False),
    ("honorary_staff", "Tenaga honorer", "Honorary staff", False, False),
    ("religious_worker", "Pekerja keagamaan (majelis, guru sekolah minggu, marbot)",
     "Religious worker", False, False),
    ("craftsperson", "Pengrajin", "Craftsperson", False, False),
    ("household_worker", "Pekerja rumah tangga", "Household worker", False, False),
    ("other", "Lainnya", "Other", False, False),
]


def load(apps, schema_editor):
    Occupation = apps.get_model("registry", "Occupation")
    for order, (code, name, name_en, transport, risk) in enumerate(OCCUPATIONS, start=1):
        Occupation.objects.update_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "transport_sector": transport, "high_risk": risk,
            "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
