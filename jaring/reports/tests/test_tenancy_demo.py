"""The province demo (decision 0048): Kota Sorong and a synthetic regency under one province root."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jaring.testing import run_jaring

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def test_the_province_demo_seeds_a_labelled_synthetic_regency_beside_kota_sorong(settings: Any) -> None:
    from jaring.accounts.models import User
    from jaring.contributions.models import Due
    from jaring.demo import DEMO_REGENCY, seed_demo, seed_demo_province
    from jaring.membership.selectors import payers_visible
    from jaring.regions.models import Region
    from jaring.registry.models import Person
    from jaring.registry.selectors import person_queryset
    from jaring.reports.selectors import dashboard

    settings.JARING_TENANT_REGION = "96"
    seed_demo(persons=400, seed=5, today=TODAY)
    result = seed_demo_province(persons=120, seed=5, today=TODAY)
    assert result["created"] and result["memberships"] > 0
    # Every invented region says so in its name; no real-looking code is made up beside Kota Sorong's.
    invented = Region.objects.filter(code__startswith=DEMO_REGENCY)
    assert invented.count() == 9 and all("(demo)" in r.name for r in invented)

    regency = Person.objects.filter(kelurahan__code__startswith=DEMO_REGENCY + ".")
    assert regency.count() >= 120
    dues = Due.objects.filter(person__in=regency).exclude(status="void")
    assert dues.exists() and set(dues.values_list("payer__code", flat=True)) == {"APBD-CONTOH"}

    boss, city, other = (User.objects.get(username=u) for u in ("admin.provinsi", "admin", "admin.contoh"))
    assert person_queryset(actor=boss).count() == Person.objects.filter(merged_into__isnull=True).count()
    assert not person_queryset(actor=city).filter(kelurahan__code__startswith=DEMO_REGENCY + ".").exists()
    assert not person_queryset(actor=other).filter(kelurahan__code__startswith="96.71.").exists()
    assert "APBD-CONTOH" not in set(payers_visible(actor=city).values_list("code", flat=True))

    figures = dashboard(actor=boss, period=dt.date(2026, 10, 1))
    by_city = {r.key: r for r in figures.by_area}
    assert set(by_city) == {"96.71", DEMO_REGENCY}
    assert by_city[DEMO_REGENCY].members > 0 and by_city["96.71"].members > 0
    assert figures.totals.members == sum(r.members for r in by_city.values())

    again = seed_demo_province(persons=120, seed=5, today=TODAY)
    assert again == {"created": False} and Person.objects.filter(
        kelurahan__code__startswith=DEMO_REGENCY + ".").count() == regency.count()


def test_seed_demo_province_says_the_regency_is_synthetic(capsys: Any, settings: Any) -> None:
    settings.JARING_TENANT_REGION = "96"
    code, out, _err = run_jaring(capsys, "seed-demo", "--persons", "300", "--province")
    assert code == 0
    assert "Kabupaten Contoh (demo)" in out and "SYNTHETIC" in out and "admin.provinsi" in out
