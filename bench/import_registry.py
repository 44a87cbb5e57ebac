"""Registry import at scale: a generated file of ``size`` rows, end to end, in its own process.

Beside it: (a) the per-row way — the registration service called once per row — on a 20,000-row
slice, scaled up to the full size; (b) the floor — the already-prepared person rows written again
with the raw bulk loader (``executemany`` on SQLite, ``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import django_home, emit, progress

SLICE = 20_000
RELATION = {"head": "Kepala Keluarga", "spouse": "Istri", "child": "Anak"}


def write_file(path: Path, size: int) -> int:
    from jaring.demo import demo_kelurahan
    from jaring.registry.demo_data import generate_city

    city = generate_city(seed=11, persons=size, kelurahan=demo_kelurahan(), today=dt.date(2026, 11, 24))
    names = {k.code: k.name for k in demo_kelurahan()}
    households = {h.key: h for h in city.households}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["NIK", "Nama Lengkap", "Tempat Lahir", "Tgl Lahir", "Jenis Kelamin", "No KK",
                         "Hubungan", "Kelurahan/Desa", "Alamat", "Pekerjaan", "Desil", "No HP"])
        for p in city.persons[:size]:
            h = households[p.household_key]
            writer.writerow([p.nik, p.full_name, p.birth_place, p.birth_date.strftime("%d/%m/%Y"),
                             "P" if p.sex == "F" else "L", h.kk_number,
                             RELATION.get(p.relationship, "Lainnya"),
                             names[p.kelurahan_code], h.address, p.occupation or "", h.welfare_decile or "", p.phone])
    return min(size, len(city.persons))


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url) as home:
        from django.db import connection, transaction

        from jaring.accounts.services import system_user
        from jaring.core.bulk import bulk_insert
        from jaring.registry.importing import PERSON_COLUMNS
        from jaring.registry.models import Person
        from jaring.registry.services import PersonInput, person_register

        path = Path(home) / "registry.csv"
        started = time.perf_counter()
        rows = write_file(path, size)
        progress(f"file of {rows:,} rows written in {time.perf_counter() - started:.0f} s")
        connection.close()

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jaring.settings"}
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-m", "jaring.cli", "import", "registry", str(path), "--json"],
                                 env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(process.stderr[-3000:])
        summary = json.loads(process.stdout.strip().splitlines()[-1])
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        # (b) the floor: the same prepared person rows, written again by the raw bulk loader.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(PERSON_COLUMNS)} FROM registry_person")
            prepared = cursor.fetchall()
        with transaction.atomic():
            Person.objects.all().delete()
            floor_started = time.perf_counter()
            bulk_insert("registry_person", PERSON_COLUMNS, prepared)
            floor = time.perf_counter() - floor_started
            transaction.set_rollback(True)

        # (a) the per-row way, on a slice, scaled to the full size.
        with transaction.atomic():
            Person.objects.all().delete()
            actor = system_user()
            import polars as pl

            frame = pl.read_csv(path, separator=";", infer_schema=False, n_rows=SLICE)
            slice_started = time.perf_counter()
            for r in frame.iter_rows(named=True):
                born = dt.datetime.strptime(r["Tgl Lahir"], "%d/%m/%Y").date()  # noqa: DTZ007
                person_register(actor=actor, confirm_warnings=True, data=PersonInput.of(
                    nik=r["NIK"], full_name=r["Nama Lengkap"], birth_date=born,
                    sex="F" if r["Jenis Kelamin"] == "P" else "M", kelurahan=r["Kelurahan/Desa"],
                    kk_number=r["No KK"], phone=r["No HP"] or None, occupation=r["Pekerjaan"] or None,
                    birth_place=r["Tempat Lahir"]))
            per_row = (time.perf_counter() - slice_started) * rows / min(SLICE, rows)
            transaction.set_rollback(True)

        emit("import.registry", rows, seconds, rows=rows, baseline_seconds=per_row, database=connection.vendor,
             baseline=f"per-row service import of {min(SLICE, rows):,} rows, scaled",
             import_peak_rss_mb=round(child_rss, 1),
             summary=summary, floor_seconds=round(floor, 3), floor="raw bulk insert of the prepared person rows")
