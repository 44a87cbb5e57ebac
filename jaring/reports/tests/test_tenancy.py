"""One deployment for a province and its cities (issue 16 point 1, decision 0048).

The deployment's root is the province (``JARING_TENANT_REGION = "96"``) with Kota Sorong (96.71)
and a synthetic second regency (96.99, "Kabupaten Contoh (demo)": not a Kemendagri code). A
province admin (area 96) sees both; a city admin (area 96.71) only Kota Sorong. The database itself
refuses a second payer for one person-month and one KPJ for two persons, whichever government's
payer and whichever city: tested by writing around the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from conftest import PASSWORD, REMU

OTHER_CITY = "96.99"
OTHER_KELURAHAN = "96.99.01.1001"
PERIOD = dt.date(2026, 1, 1)


@pytest.fixture
def province(settings: Any, personas: dict[str, Any]) -> dict[str, Any]:
    """The province as the deployment's root, a second (synthetic) regency, one admin of each."""
    from jaring.accounts.services import user_create
    from jaring.membership.services import payer_create
    from jaring.regions.services import regions_load

    settings.JARING_TENANT_REGION = "96"
    regions_load(rows=[
        {"code": OTHER_CITY, "legacy_code": "", "level": "city", "name": "Kabupaten Contoh (demo)",
         "parent_code": "96"},
        {"code": "96.99.01", "legacy_code": "", "level": "district", "name": "Distrik Contoh",
         "parent_code": OTHER_CITY},
        {"code": OTHER_KELURAHAN, "legacy_code": "", "level": "kelurahan", "name": "Kampung Contoh",
         "parent_code": "96.99.01"},
    ], source="test")
    province_admin = user_create(actor=None, username="admin_provinsi", name="Admin Provinsi", role="admin",
                                 password=PASSWORD, areas=["96"])
    other_admin = user_create(actor=None, username="admin_contoh", name="Admin Contoh", role="admin",
                              password=PASSWORD, areas=[OTHER_CITY])
    other_operator = user_create(actor=None, username="operator_contoh", name="Operator Contoh", role="operator",
                                 password=PASSWORD, areas=[OTHER_CITY])
    payers = {
        "self": payer_create(actor=province_admin, code="MANDIRI", name="Mandiri", kind="self"),
        "province": payer_create(actor=province_admin, code="APBD-PROV", name="APBD Provinsi",
                                 kind="government_province", wadah_code="SG", region_code="96"),
        "sorong": payer_create(actor=personas["admin_sorong"], code="APBD-KOTA", name="APBD Kota Sorong",
                               kind="government_city", wadah_code="SG", region_code="96.71"),
        "contoh": payer_create(actor=other_admin, code="APBD-CONTOH", name="APBD Kabupaten Contoh",
                               kind="government_city", wadah_code="SG", region_code=OTHER_CITY),
    }
    return {"province_admin": province_admin, "sorong_admin": personas["admin_sorong"],
            "other_admin": other_admin, "other_operator": other_operator, "payers": payers}


def _person(register_person: Any, actor: Any, kelurahan: str, name: str) -> Any:
    return register_person(actor=actor, kelurahan=kelurahan, full_name=name)


def _membership(person: Any, payer: Any, status: str) -> Any:
    from jaring.membership.models import Membership

    return Membership.objects.create(person=person, payer=payer, declared_income_idr=1_000_000, status=status,
                                     start_date=PERIOD, ended_on=PERIOD if status == "ended" else None)


def _due(membership: Any) -> Any:
    from jaring.contributions.models import Due

    return Due(membership=membership, person=membership.person, payer=membership.payer, period=PERIOD,
               amount_idr=16_800, base_amount_idr=16_800, due_date=dt.date(2026, 1, 15))


# --- The database's guarantees across governments and cities ----------------------------------------

def test_two_governments_cannot_bill_one_person_month_in_the_database(province: dict[str, Any],
                                                                       register_person: Any) -> None:
    """The province's and the city's payers both bill one Kota Sorong worker for January: written
    straight to the tables (no service), the second due is refused by the database."""
    from jaring.contributions.models import Due

    person = _person(register_person, province["sorong_admin"], REMU, "Yakobus Dua Pembayar")
    by_city = _membership(person, province["payers"]["sorong"], "ended")
    by_province = _membership(person, province["payers"]["province"], "active")
    _due(by_city).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _due(by_province).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Due.objects.bulk_create([_due(by_province)])
    assert Due.objects.filter(person=person, period=PERIOD).count() == 1
    # A voided month frees the person-month for the other government.
    Due.objects.filter(person=person, period=PERIOD).update(status=Due.Status.VOID)
    _due(by_province).save()
    assert Due.objects.filter(person=person, period=PERIOD).exclude(status="void").get().payer.code == "APBD-PROV"


def test_one_kpj_is_one_person_across_cities_in_the_database(province: dict[str, Any],
                                                            register_person: Any) -> None:
    from jaring.registry.models import Person

    in_sorong = _person(register_person, province["sorong_admin"], REMU, "Marthen Sorong")
    elsewhere = _person(register_person, province["other_operator"], OTHER_KELURAHAN, "Marthen Contoh")
    Person.objects.filter(pk=in_sorong.pk).update(kpj="26010000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=elsewhere.pk).update(kpj="26010000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        elsewhere.kpj = "26010000001"
        elsewhere.save(update_fields=["kpj"])


# --- Who sees what ----------------------------------------------------------------------------------

def test_province_admin_sees_both_cities_and_a_city_admin_only_its_own(province: dict[str, Any],
                                                                      register_person: Any, client: Any) -> None:
    from jaring.accounts.user_admin import users_for
    from jaring.membership.models import Payer
    from jaring.membership.selectors import payer_managed_q, payers_visible
    from jaring.registry.selectors import person_queryset

    in_sorong = _person(register_person, province["sorong_admin"], REMU, "Orang Sorong")
    elsewhere = _person(register_person, province["other_operator"], OTHER_KELURAHAN, "Orang Contoh")
    boss, sorong, other = province["province_admin"], province["sorong_admin"], province["other_admin"]

    assert set(person_queryset(actor=boss).values_list("pk", flat=True)) == {in_sorong.pk, elsewhere.pk}
    assert set(person_queryset(actor=sorong).values_list("pk", flat=True)) == {in_sorong.pk}
    assert set(person_queryset(actor=other).values_list("pk", flat=True)) == {elsewhere.pk}

    assert {"admin_contoh", "operator_contoh", "admin_sorong"} <= {u.username for u in users_for(boss)}
    assert "operator_contoh" not in {u.username for u in users_for(sorong)}
    assert "admin_provinsi" not in {u.username for u in users_for(sorong)}
    assert not {"admin_sorong", "operator_sorong", "facilitator_remu"} & {u.username for u in users_for(other)}

    assert set(payers_visible(actor=boss).values_list("code", flat=True)) == {
        "MANDIRI", "APBD-PROV", "APBD-KOTA", "APBD-CONTOH"}
    # A city's office sees the province's payer too (it pays for people of the city), but keeps only its own money.
    assert set(payers_visible(actor=sorong).values_list("code", flat=True)) == {"MANDIRI", "APBD-KOTA", "APBD-PROV"}
    assert set(payers_visible(actor=other).values_list("code", flat=True)) == {"MANDIRI", "APBD-CONTOH", "APBD-PROV"}
    assert set(Payer.objects.filter(payer_managed_q(actor=sorong)).values_list("code", flat=True)) == {
        "MANDIRI", "APBD-KOTA"}

    # The pages: what lies in another city is "not found".
    client.force_login(sorong)
    assert client.get(f"/orang/{in_sorong.pk}/").status_code == 200
    assert client.get(f"/orang/{elsewhere.pk}/").status_code == 404
    assert client.get("/wadah/APBD-CONTOH/").status_code == 404
    assert client.get("/wadah/APBD-PROV/").status_code == 404
    assert client.get(f"/pengguna/{province['other_operator'].pk}/").status_code == 404
    assert client.get("/dasbor/", {"wilayah": OTHER_CITY, "bulan": "2026-01"}).status_code == 404
    client.force_login(boss)
    assert client.get(f"/orang/{elsewhere.pk}/").status_code == 200
    assert client.get("/wadah/APBD-CONTOH/").status_code == 200
    assert client.get(f"/pengguna/{province['other_operator'].pk}/").status_code == 200
    page = client.get("/dasbor/", {"wilayah": OTHER_CITY, "bulan": "2026-01"})
    assert page.status_code == 200 and "Kabupaten Contoh (demo)" in page.content.decode()


def test_the_region_less_admin_of_a_province_deployment_sees_every_city(province: dict[str, Any]) -> None:
    from jaring.accounts.selectors import scope_for
    from jaring.accounts.services import user_create

    head = user_create(actor=None, username="kepala", name="Kepala Dinas", role="admin", password=PASSWORD,
                       areas=[])
    assert scope_for(head).codes == ["96"]
    assert scope_for(head).contains_code(OTHER_KELURAHAN) and scope_for(head).contains_code(REMU)


# --- Payers of a region pay for its people only -------------------------------------------------------

def test_a_city_payer_cannot_cover_a_person_of_another_city(province: dict[str, Any], register_person: Any) -> None:
    from jaring.core.errors import ValidationFailed
    from jaring.membership.models import Membership
    from jaring.membership.services import membership_enrol, memberships_create_drafts, payer_create

    boss, payers = province["province_admin"], province["payers"]
    elsewhere = _person(register_person, province["other_operator"], OTHER_KELURAHAN, "Petrus Contoh")
    in_sorong = _person(register_person, province["sorong_admin"], REMU, "Petrus Sorong")
    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=1)  # never backdated: the office's tomorrow
    with pytest.raises(ValidationFailed) as refused:
        membership_enrol(actor=boss, person=elsewhere, payer=payers["sorong"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=start)
    assert refused.value.code == "payer_area" and "Kota Sorong" in str(refused.value.message)
    assert not Membership.objects.filter(person=elsewhere).exists()
    # The bulk path (an allocation round) leaves them out the same way; the province's payer covers both.
    created = memberships_create_drafts(actor=boss, payer=payers["sorong"], person_ids=[elsewhere.pk, in_sorong.pk],
                                        start_date=start, declared_income_idr=1_000_000, reason="uji")
    assert set(created) == {in_sorong.pk}
    membership = membership_enrol(actor=boss, person=elsewhere, payer=payers["province"], programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=start)
    assert membership.payer.code == "APBD-PROV"
    # A city admin does not create a payer for the province, nor for another city.
    with pytest.raises(ValidationFailed):
        payer_create(actor=province["sorong_admin"], code="APBD-X", name="X", kind="government_province",
                     region_code="96")
    with pytest.raises(ValidationFailed):
        payer_create(actor=province["sorong_admin"], code="APBD-Y", name="Y", kind="government_city",
                     region_code=OTHER_CITY)


# --- The dashboard rolls up kelurahan → distrik → city → province ------------------------------------

def test_dashboard_figures_add_up_from_kelurahan_to_province(province: dict[str, Any]) -> None:
    from jaring.core.errors import NotFound
    from jaring.regions.models import Region
    from jaring.reports.models import CoverageSnapshot
    from jaring.reports.selectors import dashboard

    counts = {REMU: (5, 3), "96.71.03.1002": (4, 1), OTHER_KELURAHAN: (7, 6)}  # members, protected
    for code, (members, protected) in counts.items():
        CoverageSnapshot.objects.create(period=PERIOD, kelurahan=Region.objects.get(code=code), payer_kind="self",
                                        sex="F", members=members, protected=protected)
    boss, sorong = province["province_admin"], province["sorong_admin"]

    top = dashboard(actor=boss, period=PERIOD)
    assert top.area_level == "city"
    cities = {r.key: (r.members, r.protected) for r in top.by_area}
    assert cities == {"96.71": (9, 4), OTHER_CITY: (7, 6)}
    assert (top.totals.members, top.totals.protected) == (16, 10)

    city = dashboard(actor=boss, period=PERIOD, area="96.71")
    assert city.area_level == "district" and (city.totals.members, city.totals.protected) == (9, 4)
    assert sum(r.members for r in city.by_area) == 9
    assert [name for _code, name in city.breadcrumb] == ["Papua Barat Daya", "Kota Sorong"]
    district = dashboard(actor=boss, period=PERIOD, area="96.71.01")
    assert district.area_level == "kelurahan"
    assert {r.key: r.members for r in district.by_area if r.members} == {REMU: 5}

    own = dashboard(actor=sorong, period=PERIOD)
    assert own.area_level == "district" and (own.totals.members, own.totals.protected) == (9, 4)
    assert top.drillable and own.drillable and not district.drillable
    # A facilitator of kelurahan in two distrik sees distrik rows, but no link into a whole distrik.
    from jaring.accounts.services import user_create

    two = user_create(actor=None, username="pendamping_dua", name="Pendamping Dua", role="facilitator",
                      password=PASSWORD, areas=[REMU, "96.71.03.1002"])
    theirs = dashboard(actor=two, period=PERIOD)
    assert theirs.area_level == "district" and not theirs.drillable and theirs.totals.members == 9
    for outside in (OTHER_CITY, "96", "96.99.01.1001", "99"):
        with pytest.raises(NotFound):
            dashboard(actor=sorong, period=PERIOD, area=outside)
