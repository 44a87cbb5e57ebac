"""Billing run at scale: ``size`` active memberships → one month's dues, then a re-run.

Baseline (the floor): one bare ``INSERT … SELECT`` of the same rows with a constant amount,
no rules, no checks — what the database alone needs to write them.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.harness import django_home, emit, progress

PERIOD = dt.date(2026, 6, 1)


def build(size: int) -> None:
    """Persons (identifiers are placeholders: billing never reads them) and active memberships."""
    from django.db import connection, transaction
    from django.utils import timezone

    from jaring.membership.models import FUNDING_FROM_KIND, Payer
    from jaring.regions.models import Region

    kelurahan = list(Region.objects.filter(level="kelurahan").values_list("id", flat=True))
    city = Payer.objects.create(code="APBD-KOTA", name="APBD Kota", kind="government_city", wadah_code="SG",
                                funding_source=FUNDING_FROM_KIND["government_city"])
    own = Payer.objects.create(code="MANDIRI", name="Mandiri", kind="self", funding_source=FUNDING_FROM_KIND["self"])
    now = timezone.now()
    sql = ("INSERT INTO registry_person (nik_encrypted, nik_index, full_name, name_key, name_key_last, birth_place,"
           " birth_date, sex, relationship, kelurahan_id, phone, transport_sector, disability, consent_basis,"
           " data_source, confirmed_warnings, created_at, updated_at) VALUES"
           " (%s, %s, %s, %s, %s, '', %s, 'M', '', %s, '', %s, 'none', '', 'P3KE', '[]', %s, %s)")
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for i in range(size):
            batch.append((os.urandom(8), f"{i:064x}", f"Pekerja {i}", f"pekerja {i}", f"{i} pekerja",
                          dt.date(1980, 1, 1), kelurahan[i % len(kelurahan)], i % 5 == 0, now, now))
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch.clear()
                progress(f"persons: {i + 1:,}")
        if batch:
            cursor.executemany(sql, batch)
        # Two in three are paid by the city, the rest pay themselves; a fifth are in transport.
        cursor.execute(
            "INSERT INTO membership_membership (person_id, payer_id, has_jht, declared_income_idr, sector,"
            " status, start_date, end_reason, created_at) SELECT p.id, CASE WHEN p.id %% 3 = 0 THEN %s ELSE %s END,"
            " p.id %% 10 = 0, 1000000, CASE WHEN p.transport_sector THEN 'transport' ELSE 'other' END,"
            " 'active', %s, '', %s FROM registry_person p", [own.pk, city.pk, dt.date(2025, 1, 1), now])
        cursor.execute("ANALYZE")


def floor_seconds() -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO contributions_due (membership_id, person_id, payer_id, period, amount_idr, base_amount_idr,"
            " discount_code, due_date, status, created_at) SELECT m.id, m.person_id, m.payer_id, %s, 16800, 16800,"
            " '', %s, 'open', %s FROM membership_membership m WHERE m.status = 'active'",
            [PERIOD, PERIOD.replace(day=15), timezone.now()])
        seconds = time.perf_counter() - started
        cursor.execute("DELETE FROM contributions_due")
    return seconds


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url):
        from django.db import connection

        from jaring.accounts.services import system_user
        from jaring.contributions.models import Due
        from jaring.contributions.services import billing_run

        started = time.perf_counter()
        build(size)
        emit("billing.build", size, time.perf_counter() - started, rows=size, database=connection.vendor)
        floor = floor_seconds()
        actor = system_user()
        first = billing_run(actor=actor, period=PERIOD)
        assert first.created == size, first
        emit("billing.run", size, first.seconds, rows=size, baseline_seconds=floor, database=connection.vendor,
             baseline="bare INSERT … SELECT of the same rows (floor)", total_idr=first.total_idr,
             distinct_amounts=Due.objects.values("amount_idr").distinct().count())
        again = billing_run(actor=actor, period=PERIOD)
        assert again.created == 0 and again.already_billed == size, again
        emit("billing.rerun", size, again.seconds, baseline_seconds=floor, database=connection.vendor,
             baseline="bare INSERT … SELECT of the same rows (floor)")
