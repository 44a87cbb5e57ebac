"""A policy may require a decile's source and a greatest age (DOMAIN §3, Inpres 8/2025): a stale P3KE
decile must not count like a fresh DTSEN one."""

import datetime as dt

import pytest

from jaring.core.errors import ValidationFailed
from jaring.core.parameters import current_parameters
from jaring.registry.models import Household
from jaring.targeting.engine import Query, population, rule_counts
from jaring.targeting.services import policy_revise


def decile_matches(city, policy) -> int:  # type: ignore[no-untyped-def]
    pop = population(actor=city["admin_sorong"], payer=city["payer"])
    query = Query(policy, start=city["start"], params=current_parameters(), pop=pop)
    return next(r.matches for r in rule_counts(query) if r.code == "decile")


def test_source_and_age_of_the_decile(city, pool):  # type: ignore[no-untyped-def]
    persons = pool(10)  # every household: a P3KE decile 1–4 dated on the start month
    policy = city["policy"]
    assert decile_matches(city, policy) == persons
    dtsen_only = policy_revise(actor=city["admin_sorong"], policy=policy, decile_sources=["DTSEN"])
    assert (dtsen_only.version, dtsen_only.decile_sources) == (2, ["DTSEN"])
    assert decile_matches(city, dtsen_only) == 0
    # Two households get a DTSEN decile from 400 days before the start month.
    old = city["start"] - dt.timedelta(days=400)
    two = list(Household.objects.order_by("id").values_list("id", flat=True)[:2])
    Household.objects.filter(id__in=two).update(decile_source="DTSEN", decile_date=old)
    assert decile_matches(city, dtsen_only) == 8
    fresh = policy_revise(actor=city["admin_sorong"], policy=dtsen_only, decile_max_age_days=180)
    assert decile_matches(city, fresh) == 0  # too old
    year = policy_revise(actor=city["admin_sorong"], policy=fresh, decile_max_age_days=400)
    assert decile_matches(city, year) == 8
    any_source = policy_revise(actor=city["admin_sorong"], policy=year, decile_sources=[])
    assert decile_matches(city, any_source) == persons  # the P3KE deciles are dated on the start month


@pytest.mark.parametrize("changes", [{"decile_sources": ["BPS"]}, {"decile_sources": "DTSEN"},
                                     {"decile_max_age_days": 0}, {"decile_max_age_days": 99999},
                                     {"decile_max_age_days": "90"}])
def test_bad_decile_requirements_are_refused(city, changes):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        policy_revise(actor=city["admin_sorong"], policy=city["policy"], **changes)
    assert set(info.value.fields) == set(changes)


def test_admin_sets_the_decile_requirement_on_the_policy_form(client, city):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from jaring.targeting.models import EligibilityPolicy

    client.force_login(city["admin_sorong"])
    url = reverse("targeting:policy_edit", args=[city["policy"].pk])
    data = {"name": "Inpres 4/2022", "basis": "", "max_decile": "4", "min_age": "18", "max_age": "64",
            "decile_sources": ["DTSEN"], "decile_max_age_days": "120"}
    assert client.post(url, data).status_code == 302
    current = EligibilityPolicy.objects.get(code="inpres", is_current=True)
    assert (current.version, current.decile_sources, current.decile_max_age_days) == (2, ["DTSEN"], 120)
    page = client.get(reverse("targeting:policy_detail", args=[current.pk])).content.decode()
    assert "DTSEN" in page and "120 hari" in page
    bad = client.post(reverse("targeting:policy_edit", args=[current.pk]), {**data, "decile_max_age_days": "0"})
    assert bad.status_code == 200 and bad.context["form"].errors["decile_max_age_days"]


def test_api_sets_and_shows_the_decile_requirement(api_client_for, city):  # type: ignore[no-untyped-def]
    admin = api_client_for("admin_sorong")
    created = admin.post("/api/v1/targeting/policies/", {"code": "dtsen", "name": "DTSEN segar",
                                                         "decile_sources": ["DTSEN"], "decile_max_age_days": 120},
                         format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["decile_sources"], created.json()["decile_max_age_days"]) == (["DTSEN"], 120)
    bad = admin.post("/api/v1/targeting/policies/", {"code": "x", "name": "X", "decile_sources": ["BPS"]},
                     format="json")
    assert bad.status_code == 400 and "decile_sources" in bad.json()["error"]["fields"]
