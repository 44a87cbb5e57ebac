"""A candidate pool written set-based, for tests and the benchmark (never for real data).

Households of four: a head, a spouse and a grown child who work, and a young child. Identifiers
are placeholders (targeting never reads them). Attributes vary deterministically with the row
number, so a run is repeatable.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

from django.db import connection
from django.utils import timezone

from jaring.core.bulk import bulk_insert
from jaring.regions.models import Region
from jaring.registry.models import Occupation

WORKER_OCCUPATIONS = ("market_trader", "ojek_driver", "fisher", "farmer", "day_labourer", "vegetable_seller",
                      "port_labourer", "parking_attendant")


def _mix(n: int) -> int:
    return (n * 2654435761) % 4294967296


def build_candidates(households: int, *, deciles: int = 4, region_prefix: str = "96.71.", on: dt.date,
                     tag: str = "T", progress: Callable[[int], None] | None = None) -> int:
    """Insert ``households`` × 4 persons (3 of working age with an occupation); returns persons.
    Deciles run 1..``deciles``; ages are counted on ``on``."""
    kelurahan = list(Region.objects.filter(level=Region.Level.KELURAHAN, code__startswith=region_prefix)
                     .order_by("code").values_list("id", flat=True))
    occupations = dict(Occupation.objects.filter(code__in=WORKER_OCCUPATIONS).values_list("code", "id"))
    jobs = [(occupations[c], c in ("ojek_driver",)) for c in WORKER_OCCUPATIONS]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM registry_household")
        first_household = cursor.fetchone()[0] + 1

    def household_rows():  # type: ignore[no-untyped-def]
        for h in range(households):
            mix = _mix(h + 1)
            decile = 1 + mix % deciles
            yield (first_household + h, f"{tag} {h}", kelurahan[h % len(kelurahan)], decile, "P3KE", on,
                   decile <= 2 and mix % 3 == 0, "P3KE", now, now)

    bulk_insert("registry_household", ["id", "address", "kelurahan_id", "welfare_decile", "decile_source",
                                       "decile_date", "pkh_beneficiary", "data_source", "created_at", "updated_at"],
                household_rows())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('registry_household', 'id'),"
                           " (SELECT MAX(id) FROM registry_household))")

    def person_rows():  # type: ignore[no-untyped-def]
        for h in range(households):
            mix = _mix(h + 7)
            household_id = first_household + h
            place = kelurahan[h % len(kelurahan)]
            head_age = 25 + mix % 38
            members = [("head", "F" if mix % 5 == 0 else "M", head_age, True),
                       ("spouse", "M" if mix % 5 == 0 else "F", max(18, head_age - 3), True),
                       ("child", "M" if mix % 2 else "F", 19 + mix % 5, True),
                       ("child", "F" if mix % 2 else "M", 3 + mix % 10, False)]
            for k, (relationship, sex, age, works) in enumerate(members):
                n = h * 4 + k
                job, transport = jobs[_mix(n + 3) % len(jobs)] if works else (None, False)
                born = dt.date(on.year - age, 1 + n % 12, 1 + n % 28)
                yield (os.urandom(8), f"{tag}{n:063x}"[-64:], f"Calon {tag} {n}", f"calon {n}", f"{n} calon", "",
                       born, sex, household_id, relationship, place, "", job, transport,
                       1_000_000 if works else None, "physical" if _mix(n + 11) % 40 == 0 else "none",
                       "public_task", "P3KE", "[]", now, now)

    count = bulk_insert("registry_person", [
        "nik_encrypted", "nik_index", "full_name", "name_key", "name_key_last", "birth_place", "birth_date", "sex",
        "household_id", "relationship", "kelurahan_id", "phone", "occupation_id", "transport_sector",
        "declared_income_idr", "disability", "consent_basis", "data_source", "confirmed_warnings", "created_at",
        "updated_at"], person_rows(), progress=progress)
    return count
