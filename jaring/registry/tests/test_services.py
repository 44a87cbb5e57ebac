import datetime as dt

import pytest

from conftest import KLAWASI, REMU
from jaring.core.errors import Conflict, NeedsConfirmation, NotFound, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.registry.models import Household, Person
from jaring.registry.selectors import PersonFilters, person_get, person_list, registry_summary
from jaring.registry.services import (
    HouseholdInput,
    PersonInput,
    household_create,
    person_register,
    person_reveal_nik,
    person_update,
)
from jaring.registry.testing import make_kk, make_nik


def test_register_stores_nik_encrypted_and_audits(personas, register_person):
    person = register_person(nik="9271011403850001")
    stored = Person.objects.get(pk=person.pk)
    assert b"9271011403850001" not in bytes(stored.nik_encrypted)
    assert stored.nik == "9271011403850001"
    assert stored.nik_masked == "9271********0001"
    event = AuditEvent.objects.get(action="person.register", object_id=str(person.pk))
    assert event.after["nik"] == "9271********0001"
    assert event.actor == personas["operator_sorong"]


def test_nik_errors_block_with_field_named(personas, register_person):
    with pytest.raises(ValidationFailed) as info:
        register_person(nik="3.27E+15")
    assert "nik" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        register_person(nik="927101140385000")  # 15 digits
    assert "16 digit" in info.value.fields["nik"][0]


def test_sex_mismatch_needs_confirmation(personas, register_person):
    nik = make_nik(birth_date=dt.date(1990, 1, 5), sex="F", serial=7)
    with pytest.raises(NeedsConfirmation) as info:
        register_person(nik=nik, birth_date=dt.date(1990, 1, 5), sex="M")
    assert "sex" in info.value.fields
    person = person_register(actor=personas["operator_sorong"], confirm_warnings=True, data=PersonInput.of(
        nik=nik, full_name="Agustina Sawaki", birth_date=dt.date(1990, 1, 5), sex="M", kelurahan=REMU))
    assert person.confirmed_warnings == ["nik_sex_mismatch"]


def test_duplicate_nik_inside_and_outside_area(personas, register_person):
    person = register_person(nik="9271011403850002", kelurahan=REMU)
    with pytest.raises(Conflict) as inside:
        register_person(actor=personas["facilitator_remu"], nik="9271011403850002")
    assert inside.value.extra["existing_id"] == person.pk
    with pytest.raises(Conflict) as outside:
        register_person(actor=personas["facilitator_klawasi"], nik="9271011403850002", kelurahan=KLAWASI)
    assert "existing_id" not in outside.value.extra
    assert "Yohanes" not in str(outside.value.message)


def test_facilitator_cannot_register_outside_area(personas, register_person):
    with pytest.raises(ValidationFailed) as info:
        register_person(actor=personas["facilitator_remu"], kelurahan=KLAWASI)
    assert "kelurahan_code" in info.value.fields


def test_liaison_and_auditor_cannot_write(personas, register_person):
    for username in ("liaison", "auditor"):
        with pytest.raises(PermissionDenied):
            register_person(actor=personas[username])


def test_legacy_kelurahan_code_accepted(personas, register_person):
    person = register_person(kelurahan="92.71.01.1008")  # Remu's code before 2025
    assert person.kelurahan.code == REMU


def test_scoping_per_role(personas, register_person):
    remu = register_person(full_name="Markus Osok", kelurahan=REMU)
    klawasi = register_person(full_name="Markus Malak", kelurahan=KLAWASI)
    for username, sees in [("admin_sorong", {remu, klawasi}), ("operator_sorong", {remu, klawasi}),
                           ("liaison", {remu, klawasi}), ("auditor", {remu, klawasi}),
                           ("facilitator_remu", {remu}), ("facilitator_klawasi", {klawasi})]:
        actor = personas[username]
        assert set(person_list(actor=actor)) == sees, username
        assert set(person_list(actor=actor, filters=PersonFilters(q="markus"))) == sees, username
        assert registry_summary(actor=actor).persons == len(sees), username
    with pytest.raises(NotFound):
        person_get(actor=personas["facilitator_klawasi"], person_id=remu.pk)
    with pytest.raises(NotFound):
        person_update(actor=personas["facilitator_klawasi"], person=remu,
                      data=PersonInput.of(full_name="X"))


def test_search_ignores_titles_and_finds_family_name(personas, register_person):
    person = register_person(full_name="Yohanes Kambu")
    actor = personas["operator_sorong"]
    for q in ("yoh", "Bapak Yohanes", "KAMBU", "kam", "  yohanes   kambu "):
        assert list(person_list(actor=actor, filters=PersonFilters(q=q))) == [person], q
    assert list(person_list(actor=actor, filters=PersonFilters(q=person.nik))) == [person]
    assert list(person_list(actor=actor, filters=PersonFilters(q="zzz"))) == []


def test_filters(personas, register_person):
    actor = personas["operator_sorong"]
    old = register_person(full_name="Ibu Ruth Mayor", sex="F", birth_date=dt.date(1950, 2, 1),
                          occupation="farmer", kelurahan=KLAWASI)
    young = register_person(full_name="Daniel Krey", birth_date=dt.date(2000, 6, 1))
    assert list(person_list(actor=actor, filters=PersonFilters(sex="F"))) == [old]
    assert list(person_list(actor=actor, filters=PersonFilters(age_band="65+"))) == [old]
    assert list(person_list(actor=actor, filters=PersonFilters(age_band="18-24"))) in ([young], [])
    assert list(person_list(actor=actor, filters=PersonFilters(occupation="farmer"))) == [old]
    assert list(person_list(actor=actor, filters=PersonFilters(district="96.71.03"))) == [old]
    assert list(person_list(actor=actor, filters=PersonFilters(kelurahan=REMU))) == [young]


def test_household_kk_and_decile_filter(personas, register_person):
    actor = personas["operator_sorong"]
    kk = make_kk(issued=dt.date(2015, 5, 2), serial=3)
    household = household_create(actor=actor, data=HouseholdInput.of(
        kk_number=kk, kelurahan=REMU, welfare_decile=1, decile_source="P3KE",
        decile_date=dt.date(2024, 1, 1), pkh_beneficiary=True))
    assert b"".join([bytes(Household.objects.get().kk_encrypted)]).find(kk.encode()) == -1
    person = register_person(kk_number=kk)
    assert person.household == household
    assert list(person_list(actor=actor, filters=PersonFilters(decile=1))) == [person]
    with pytest.raises(Conflict):
        household_create(actor=actor, data=HouseholdInput.of(kk_number=kk, kelurahan=REMU))


def test_update_audits_only_changes(personas, register_person):
    person = register_person()
    person_update(actor=personas["operator_sorong"], person=person,
                  data=PersonInput.of(phone="0812 9999 0000"))
    event = AuditEvent.objects.filter(action="person.update").get()
    assert event.before == {"phone": "081234567890"}
    assert event.after == {"phone": "081299990000"}


def test_reveal_is_audited(personas, register_person):
    person = register_person(nik="9271011403850003")
    assert person_reveal_nik(actor=personas["auditor"], person=person) == "9271011403850003"
    assert AuditEvent.objects.filter(action="person.reveal_nik", actor=personas["auditor"]).count() == 1


def test_audit_events_are_append_only(personas, register_person):
    register_person()
    event = AuditEvent.objects.first()
    with pytest.raises(RuntimeError):
        event.save()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
