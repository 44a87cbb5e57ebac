"""Ship the Kota Sorong region tree (current 96.71 and legacy 92.71 codes)."""

import csv
from pathlib import Path

from django.db import migrations

from jaring.regions.names import name_key

CSV = Path(__file__).resolve().parent.parent / "data" / "regions_kota_sorong.csv"


def load(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    with CSV.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["code"].count("."))
    by_code = {r.code: r for r in Region.objects.all()}
    for row in rows:
        if row["code"] in by_code:
            continue
        by_code[row["code"]] = Region.objects.create(
            code=row["code"], legacy_code=row["legacy_code"], level=row["level"], name=row["name"],
            name_key=name_key(row["name"]), parent=by_code.get(row["parent_code"]))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
