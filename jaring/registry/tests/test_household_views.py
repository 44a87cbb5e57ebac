"""The household screens: building a household with its members, moving a person (issue 14.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from conftest import KLAWASI, REMU
from jaring.core.models import AuditEvent
from jaring.registry.models import Household, HouseholdMembershipChange, Person
from jaring.registry.services import HouseholdInput, household_create
from jaring.registry.testing import make_kk, make_nik

KK = make_kk(issued=dt.date(2019, 5, 2), serial=21)
KK_KLAWASI = make_kk(region="927103", issued=dt.date(2018, 1, 3), serial=22)


@pytest.fixture
def login(client, personas):  # type: ignore[no-untyped-def]
    def as_(username: str):  # type: ignore[no-untyped-def]
        client.force_login(personas[username])
        return client
    return as_


def _new_member(**values: Any) -> dict[str, str]:
    data = {"action": "new", "new-relationship": "head", "new-nik": make_nik(birth_date=dt.date(1980, 2, 3), sex="M",
                                                                            serial=701),
            "new-full_name": "Yakob Mobalen", "new-sex": "M", "new-birth_date": "1980-02-03",
            "new-disability": "none"}
    data.update(values)
    return data


def test_menu_and_person_page_lead_to_the_household_screens(login, register_person):
    client = login("facilitator_remu")
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    home = client.get("/").content.decode()
    assert reverse("registry:household_create") in home and "Tambah keluarga" in home
    page = client.get(person.get_absolute_url()).content.decode()
    assert reverse("registry:person_move", args=[person.pk]) in page and "Tambahkan ke keluarga" in page
    assert "Tambah keluarga" not in login("liaison").get("/").content.decode()


def test_building_a_household_with_two_members(login, register_person):
    client = login("facilitator_remu")
    wife = register_person(full_name="Martha Kambu", sex="F", kelurahan=REMU)
    created = client.post(reverse("registry:household_create"), {"kk_number": KK, "address": "Jl. Remu 1",
                                                                 "kelurahan": REMU})
    household = Household.objects.get()
    members_url = reverse("registry:household_members", args=[household.pk])
    assert created.status_code == 302 and created["Location"] == members_url
    step = client.get(members_url).content.decode()
    assert household.kk_masked in step and KK not in step and "Langkah 2 dari 2" in step
    # A new member registered on the spot.
    response = client.post(members_url, _new_member())
    assert response.status_code == 302, response.context["new_form"].errors
    head = Person.objects.get(full_name="Yakob Mobalen")
    assert (head.household, head.relationship, head.kelurahan.code) == (household, "head", REMU)
    # A registered person found by the search and added.
    found = client.get(members_url, {"q": "martha"}).content.decode()
    assert "Martha Kambu" in found and wife.nik not in found
    assert client.post(members_url, {"action": "add", "person": wife.pk, "relationship": "spouse"}).status_code == 302
    wife.refresh_from_db()
    assert wife.household == household and wife.relationship == "spouse"
    # The household page lists both with their relationship, a move link each, and the history.
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "Kepala keluarga" in page and "Istri/suami" in page
    assert reverse("registry:person_move", args=[wife.pk]) in page and "Riwayat anggota" in page
    assert page.count("Masuk ke") == 2
    assert HouseholdMembershipChange.objects.filter(to_household=household).count() == 2


def test_member_step_errors_use_the_shared_partials(login):
    client = login("facilitator_remu")
    household = household_create(actor=_operator(), data=HouseholdInput.of(kk_number=KK, kelurahan=REMU))
    members_url = reverse("registry:household_members", args=[household.pk])
    bad = client.post(members_url, _new_member(**{"new-nik": "123", "new-relationship": ""}))
    body = bad.content.decode()
    assert bad.status_code == 200 and "error-summary" in body
    assert 'id="id_new-nik_error"' in body and 'id="id_new-relationship_error"' in body
    client.post(members_url, _new_member())
    second = client.post(members_url, _new_member(**{"new-nik": make_nik(birth_date=dt.date(1980, 2, 3), sex="M",
                                                                         serial=702), "new-full_name": "Kedua"}))
    assert "sudah punya kepala keluarga" in second.content.decode()
    assert not Person.objects.filter(full_name="Kedua").exists()
    missing = client.post(members_url, {"action": "add", "person": 999999, "relationship": "child"})
    assert missing.status_code == 200 and "error-summary" in missing.content.decode()


def _operator() -> Any:
    from jaring.accounts.models import User

    return User.objects.get(username="operator_sorong")


def test_moving_a_person_by_kk(login, personas, register_person):
    operator = personas["operator_sorong"]
    first = household_create(actor=operator, data=HouseholdInput.of(kk_number=KK, kelurahan=REMU))
    household_create(actor=operator, data=HouseholdInput.of(kk_number=KK_KLAWASI, kelurahan=KLAWASI))
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU, household=first,
                             relationship="child")
    client = login("facilitator_remu")
    url = reverse("registry:person_move", args=[person.pk])
    page = client.get(url).content.decode()
    assert "Pindah keluarga" in page and first.kk_masked in page and KK not in page
    refused = client.post(url, {"kk_number": KK_KLAWASI, "relationship": "spouse"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "luar wilayah tugas Anda" in body and "error-summary" in body
    assert 'id="id_kk_number_error"' in body
    person.refresh_from_db()
    assert person.household == first
    second = household_create(actor=operator, data=HouseholdInput.of(
        kk_number=make_kk(issued=dt.date(2022, 3, 4), serial=23), kelurahan=REMU))
    moved = client.post(url, {"kk_number": second.kk_number, "relationship": "spouse", "reason": "menikah"})
    assert moved.status_code == 302 and moved["Location"] == reverse("registry:household_detail", args=[second.pk])
    person.refresh_from_db()
    assert person.household == second and person.relationship == "spouse"
    event = AuditEvent.objects.filter(action="person.set_household").latest("id")
    assert event.actor == personas["facilitator_remu"] and event.after["reason"] == "menikah"
    # The old household's page shows who left, and where to.
    old = client.get(reverse("registry:household_detail", args=[first.pk])).content.decode()
    assert "Pindah dari" in old and "Ribka Mobalen" in old and "menikah" in old


def test_move_pages_are_for_writers_in_their_area(login, register_person):
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    household = household_create(actor=_operator(), data=HouseholdInput.of(kk_number=KK, kelurahan=REMU))
    for username, status in (("liaison", 403), ("auditor", 403), ("facilitator_klawasi", 404)):
        client = login(username)
        assert client.get(reverse("registry:person_move", args=[person.pk])).status_code == status
        assert client.get(reverse("registry:household_members", args=[household.pk])).status_code == status


def test_new_household_from_a_person_offers_that_person(login, register_person):
    client = login("facilitator_remu")
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    response = client.post(f"{reverse('registry:household_create')}?orang={person.pk}",
                           {"kk_number": KK, "kelurahan": REMU})
    household = Household.objects.get()
    assert response["Location"] == f"{reverse('registry:household_members', args=[household.pk])}?orang={person.pk}"
    step = client.get(response["Location"]).content.decode()
    assert "Ribka Mobalen" in step and "Tambahkan ke keluarga ini" in step


def test_odd_parameters_never_crash(login, register_person):
    client = login("facilitator_remu")
    household = household_create(actor=_operator(), data=HouseholdInput.of(kk_number=KK, kelurahan=REMU))
    members_url = reverse("registry:household_members", args=[household.pk])
    for query in ({"orang": "abc"}, {"orang": "99999999999999999999"}, {"q": "\x00"}, {"q": "x" * 500}):
        assert client.get(members_url, query).status_code in (200, 400), query
    for data in ({"action": "add", "person": "x"}, {"action": "relationship", "person": "1", "relationship": "boss"},
                 {"action": "zzz"}):
        assert client.post(members_url, data).status_code == 200, data
    move = reverse("registry:person_move", args=[register_person(kelurahan=REMU).pk])
    assert client.post(move, {"kk_number": "3.27E+15", "relationship": "child"}).status_code == 200
    create = f"{reverse('registry:household_create')}?orang=abc"
    assert client.post(create, {"kk_number": "x"}).status_code in (200, 400)
