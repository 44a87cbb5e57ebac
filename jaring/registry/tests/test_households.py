"""Households built with their members, people moved between households with history (issue 14.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import KLAWASI, PASSWORD, REMU
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.registry.household_selectors import household_history, person_household_history
from jaring.registry.models import Household, HouseholdMembershipChange, Person
from jaring.registry.services import (
    HouseholdInput,
    PersonInput,
    household_create,
    household_move_person,
    household_register_member,
    person_set_household,
)
from jaring.registry.testing import make_kk, make_nik

KK_REMU = make_kk(issued=dt.date(2019, 5, 2), serial=11)
KK_REMU_2 = make_kk(issued=dt.date(2020, 7, 9), serial=12)
KK_KLAWASI = make_kk(region="927103", issued=dt.date(2018, 1, 3), serial=13)


def new_member(**values: Any) -> PersonInput:
    birth_date = values.pop("birth_date", dt.date(1988, 6, 1))
    sex = values.pop("sex", "F")
    nik = values.pop("nik", None) or make_nik(birth_date=birth_date, sex=sex, serial=values.pop("serial", 501))
    name = values.pop("full_name", "Ribka Mobalen")
    return PersonInput.of(nik=nik, full_name=name, birth_date=birth_date, sex=sex, **values)


@pytest.fixture
def households(personas: dict[str, Any]) -> dict[str, Household]:
    operator = personas["operator_sorong"]
    return {
        "remu": household_create(actor=operator, data=HouseholdInput.of(kk_number=KK_REMU, address="Jl. Remu 1",
                                                                        kelurahan=REMU)),
        "remu2": household_create(actor=operator, data=HouseholdInput.of(kk_number=KK_REMU_2, kelurahan=REMU)),
        "klawasi": household_create(actor=operator, data=HouseholdInput.of(kk_number=KK_KLAWASI, kelurahan=KLAWASI)),
    }


def test_a_household_built_with_a_new_and_a_registered_member(personas, households, register_person):
    facilitator = personas["facilitator_remu"]
    household = households["remu"]
    wife = register_person(full_name="Martha Kambu", sex="F", kelurahan=REMU)
    head = household_register_member(actor=facilitator, household=household, relationship="head",
                                     data=new_member(full_name="Yakob Mobalen", sex="M", serial=601))
    change = household_move_person(actor=facilitator, person=wife, household=household, relationship="spouse")
    members = {p.full_name: p.relationship for p in Person.objects.filter(household=household)}
    assert members == {"Yakob Mobalen": "head", "Martha Kambu": "spouse"}
    head.refresh_from_db()
    assert head.kelurahan.code == REMU and head.created_by == facilitator
    assert change.from_household is None and change.to_household == household
    assert (change.relationship_before, change.relationship_after, change.changed_by) == ("", "spouse", facilitator)
    # Both joinings are in the history, each with its audit event naming the history row.
    assert HouseholdMembershipChange.objects.filter(to_household=household).count() == 2
    events = AuditEvent.objects.filter(action="person.set_household", actor=facilitator)
    assert sorted(e.after["relationship"] for e in events) == ["head", "spouse"]
    assert all(e.after["kk"] == household.kk_masked and KK_REMU not in repr(e.after) for e in events)
    assert AuditEvent.objects.filter(action="person.register", object_id=str(head.pk)).exists()


def test_a_second_head_is_refused(personas, households, register_person):
    facilitator = personas["facilitator_remu"]
    household = households["remu"]
    household_register_member(actor=facilitator, household=household, relationship="head",
                              data=new_member(full_name="Yakob Mobalen", sex="M", serial=602))
    with pytest.raises(Conflict) as refused:
        household_register_member(actor=facilitator, household=household, relationship="head",
                                  data=new_member(serial=603))
    assert refused.value.code == "head_exists" and refused.value.fields["relationship"]
    other = register_person(full_name="Markus Osok", kelurahan=REMU)
    with pytest.raises(Conflict):
        household_move_person(actor=facilitator, person=other, household=household, relationship="head")
    assert Person.objects.filter(household=household).count() == 1
    assert not Person.objects.filter(full_name="Ribka Mobalen").exists()


def test_a_move_between_households_keeps_its_history(personas, households, register_person):
    facilitator = personas["facilitator_remu"]
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    household_move_person(actor=facilitator, person=person, household=households["remu"], relationship="child")
    moved = household_move_person(actor=facilitator, person=person, kk_number=KK_REMU_2, relationship="spouse",
                                  reason="menikah")
    person.refresh_from_db()
    assert person.household == households["remu2"] and person.relationship == "spouse"
    assert (moved.from_household, moved.to_household) == (households["remu"], households["remu2"])
    assert (moved.relationship_before, moved.relationship_after, moved.reason) == ("child", "spouse", "menikah")
    event = AuditEvent.objects.filter(action="person.set_household").latest("id")
    assert event.before["household"] == households["remu"].pk and event.after["household"] == households["remu2"].pk
    assert event.after["change"] == moved.pk and event.after["reason"] == "menikah"
    # Both households show the move; the person's own history lists both changes, newest first.
    assert [r.kind for r in household_history(actor=facilitator, household=households["remu"])] == ["moved", "joined"]
    assert [r.kind for r in household_history(actor=facilitator, household=households["remu2"])] == ["moved"]
    assert person_household_history(actor=facilitator, person=person)[0].change.pk == moved.pk
    # The same household and relationship again changes nothing; another relationship is a correction.
    assert household_move_person(actor=facilitator, person=person, household=households["remu2"],
                                 relationship="spouse") is None
    fixed = household_move_person(actor=facilitator, person=person, household=households["remu2"],
                                  relationship="head")
    assert fixed.from_household == fixed.to_household and fixed.relationship_before == "spouse"
    assert HouseholdMembershipChange.objects.filter(person=person).count() == 3


def test_a_move_to_another_kelurahan_needs_a_user_covering_both(personas, households, register_person):
    from jaring.accounts.services import user_create

    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    with pytest.raises(Conflict) as refused:
        household_move_person(actor=personas["facilitator_remu"], person=person, kk_number=KK_KLAWASI,
                              relationship="spouse")
    assert refused.value.code == "household_out_of_area"
    assert "luar wilayah tugas Anda" in refused.value.fields["kk_number"][0]
    with pytest.raises(Conflict):  # the household given directly: refused the same way
        household_move_person(actor=personas["facilitator_remu"], person=person, household=households["klawasi"],
                              relationship="spouse")
    with pytest.raises(NotFound):  # the facilitator of Klawasi does not see the person of Remu
        household_move_person(actor=personas["facilitator_klawasi"], person=person,
                              household=households["klawasi"], relationship="spouse")
    person.refresh_from_db()
    assert person.household is None and not HouseholdMembershipChange.objects.exists()
    assert not AuditEvent.objects.filter(action="person.set_household").exists()
    both = user_create(actor=None, username="facilitator_both", name="Ruth Osok", role="facilitator",
                       password=PASSWORD, areas=[REMU, KLAWASI])
    household_move_person(actor=both, person=person, kk_number=KK_KLAWASI, relationship="spouse")
    person.refresh_from_db()
    assert person.household == households["klawasi"] and person.kelurahan.code == KLAWASI
    # The person now lives in Klawasi: Remu's facilitator no longer reaches them.
    with pytest.raises(NotFound):
        household_move_person(actor=personas["facilitator_remu"], person=person, household=households["remu"],
                              relationship="child")


def test_history_hides_who_and_where_outside_the_area(personas, households, register_person):
    operator = personas["operator_sorong"]
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    household_move_person(actor=operator, person=person, household=households["remu"], relationship="child")
    household_move_person(actor=operator, person=person, household=households["klawasi"], relationship="spouse")
    rows = household_history(actor=personas["facilitator_remu"], household=households["remu"])
    assert rows[0].kind == "moved" and rows[0].person is None and rows[0].to_household is None and rows[0].to_hidden
    assert rows[0].from_household == households["remu"]
    seen = household_history(actor=operator, household=households["remu"])[0]
    assert seen.person == person and seen.to_household == households["klawasi"]


def test_unknown_kk_and_bad_input_are_refused_with_reasons(personas, households, register_person):
    facilitator = personas["facilitator_remu"]
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    with pytest.raises(ValidationFailed) as unknown:
        household_move_person(actor=facilitator, person=person, kk_number=make_kk(issued=dt.date(2021, 1, 1),
                                                                                    serial=99),
                              relationship="child")
    assert "Belum ada keluarga" in unknown.value.fields["kk_number"][0]
    with pytest.raises(ValidationFailed) as short:
        household_move_person(actor=facilitator, person=person, kk_number="12345", relationship="child")
    assert short.value.fields["kk_number"]
    with pytest.raises(ValidationFailed):
        household_move_person(actor=facilitator, person=person, household=households["remu"], relationship="boss")
    with pytest.raises(NotFound):
        household_register_member(actor=facilitator, household=households["klawasi"], relationship="child",
                                  data=new_member(serial=604))
    assert not HouseholdMembershipChange.objects.exists()


def test_person_set_household_records_the_move_too(personas, households, register_person):
    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    moved = person_set_household(actor=personas["operator_sorong"], person=person, household=households["remu"],
                                 relationship="child")
    assert moved.household == households["remu"]
    left = person_set_household(actor=personas["operator_sorong"], person=person, household=None, relationship="child")
    assert left.household is None and left.relationship == ""
    kinds = [r.kind for r in person_household_history(actor=personas["operator_sorong"], person=person)]
    assert kinds == ["left", "joined"]


def test_a_liaison_cannot_move_anyone(personas, households, register_person):
    from jaring.core.errors import PermissionDenied

    person = register_person(full_name="Ribka Mobalen", sex="F", kelurahan=REMU)
    with pytest.raises(PermissionDenied):
        household_move_person(actor=personas["liaison"], person=person, household=households["remu"],
                              relationship="child")
