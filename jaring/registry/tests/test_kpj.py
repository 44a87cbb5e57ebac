"""The KPJ belongs to the person (DOMAIN §2.1, decision 0033): 11 digits, one person per KPJ (the
service and the database), never overwritten by a different one unless the office asks, kept by a merge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from conftest import REMU
from jaring.core.errors import Conflict, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.registry.identity import IDENTIFIER_RULES, KPJ_RULES, kpj_clean, kpj_findings
from jaring.registry.models import DuplicateCandidate, Person
from jaring.registry.services import dedup_scan, person_assign_kpj, person_merge

BORN = dt.date(1979, 5, 4)
BAD = {"2601000000": "kpj_length", "260100000011": "kpj_length", "2601000000A": "kpj_not_digits",
       "KPJ26010001": "kpj_not_digits", "2.6E+10": "kpj_float", "": "kpj_required", " - ": "kpj_required"}


def test_the_kpj_rule_is_eleven_digits_in_the_one_table_of_identifier_rules():
    assert IDENTIFIER_RULES["kpj"] is KPJ_RULES
    assert kpj_findings("26010000001") == [] and kpj_findings(" 2601-000.0001 ") == []
    assert kpj_clean(" 2601-000.0001 ") == "26010000001"
    for raw, code in BAD.items():
        (finding,) = kpj_findings(raw)
        assert (finding.code, finding.field, finding.is_error) == (code, "kpj", True), raw
        assert finding.message.startswith("Nomor KPJ"), finding.message  # names the field
    assert kpj_findings("2601000000")[0].message == "Nomor KPJ harus 11 digit, bukan 10 digit."


def test_assign_records_once_and_refuses_bad_formats(personas, register_person):
    operator, person = personas["operator_sorong"], register_person()
    for raw in ("2601000000", "260100000011", "2601000000A"):
        with pytest.raises(ValidationFailed) as bad:
            person_assign_kpj(actor=operator, person=person, kpj=raw, by="test")
        assert bad.value.code == "kpj_format" and "Nomor KPJ" in bad.value.fields["kpj"][0]
    assigned = person_assign_kpj(actor=operator, person=person, kpj="2601 0000 001", by="test")
    assert assigned.kpj == "26010000001"
    assert person_assign_kpj(actor=operator, person=person, kpj="26010000001", by="again").kpj == "26010000001"
    events = AuditEvent.objects.filter(action="person.assign_kpj", object_id=str(person.pk))
    assert [(e.before, e.after) for e in events] == [({"kpj": None}, {"kpj": "26010000001", "by": "test"})]
    with pytest.raises(PermissionDenied):
        person_assign_kpj(actor=personas["auditor"], person=register_person(full_name="Lain"), kpj="26010000002",
                          by="test")


def test_a_second_person_with_the_same_kpj_is_refused_by_service_and_database(personas, register_person):
    operator = personas["operator_sorong"]
    first, second = register_person(full_name="Pertama"), register_person(full_name="Kedua")
    person_assign_kpj(actor=operator, person=first, kpj="26010000001", by="test")
    with pytest.raises(Conflict) as taken:
        person_assign_kpj(actor=operator, person=second, kpj="2601-0000001", by="test")
    assert taken.value.code == "kpj_taken" and taken.value.extra["existing_id"] == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=second.pk).update(kpj="26010000001")
    assert Person.objects.get(pk=second.pk).kpj is None


def test_a_different_kpj_never_overwrites_unless_the_office_asks_with_a_reason(personas, register_person):
    operator, person = personas["operator_sorong"], register_person()
    person_assign_kpj(actor=operator, person=person, kpj="26010000001", by="test")
    with pytest.raises(Conflict) as differs:
        person_assign_kpj(actor=operator, person=person, kpj="26010000009", by="bpjstk.kpj_file")
    assert differs.value.code == "kpj_differs" and differs.value.extra == {"recorded_kpj": "26010000001"}
    with pytest.raises(PermissionDenied):  # a facilitator may record a KPJ, not replace one
        person_assign_kpj(actor=personas["facilitator_remu"], person=person, kpj="26010000009", by="office",
                          replace=True, reason="surat BPJSTK")
    with pytest.raises(ValidationFailed):
        person_assign_kpj(actor=operator, person=person, kpj="26010000009", by="office", replace=True, reason=" ")
    assert Person.objects.get(pk=person.pk).kpj == "26010000001"
    replaced = person_assign_kpj(actor=operator, person=person, kpj="26010000009", by="office", replace=True,
                                 reason="Surat BPJSTK 12/2026")
    assert replaced.kpj == "26010000009"
    event = AuditEvent.objects.filter(action="person.assign_kpj", object_id=str(person.pk)).order_by("id").last()
    assert (event.before, event.after) == ({"kpj": "26010000001"},
                                           {"kpj": "26010000009", "by": "office", "reason": "Surat BPJSTK 12/2026"})


def test_outside_the_area_is_not_found_and_the_holder_is_not_named(personas, register_person):
    from conftest import KLAWASI
    from jaring.core.errors import NotFound

    elsewhere = register_person(full_name="Di Klawasi", kelurahan=KLAWASI)
    with pytest.raises(NotFound):
        person_assign_kpj(actor=personas["facilitator_remu"], person=elsewhere, kpj="26010000001", by="test")
    person_assign_kpj(actor=personas["operator_sorong"], person=elsewhere, kpj="26010000001", by="test")
    with pytest.raises(Conflict) as taken:
        person_assign_kpj(actor=personas["facilitator_remu"], person=register_person(), kpj="26010000001", by="test")
    assert taken.value.code == "kpj_taken" and "existing_id" not in taken.value.extra


@pytest.fixture
def twins(register_person):  # type: ignore[no-untyped-def]
    first = register_person(full_name="Soekarni Wanma", sex="F", birth_date=BORN, nik="9271014405790001", phone="")
    second = register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=BORN, nik="9271014405790002",
                             phone="081298765432", kelurahan=REMU)
    return first, second


def test_merge_refuses_two_different_kpjs(personas, twins):
    operator = personas["operator_sorong"]
    first, second = twins
    person_assign_kpj(actor=operator, person=first, kpj="26010000001", by="test")
    person_assign_kpj(actor=operator, person=second, kpj="26010000002", by="test")
    dedup_scan(actor=operator)
    with pytest.raises(Conflict) as differs:
        person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=first)
    assert differs.value.code == "kpj_differs" and "26010000002" in str(differs.value.message)
    assert dict(Person.objects.values_list("pk", "kpj")) == {first.pk: "26010000001", second.pk: "26010000002"}
    assert Person.objects.filter(merged_into__isnull=False).count() == 0
    assert DuplicateCandidate.objects.get().status == "open"


def test_merge_gives_the_kept_person_the_other_ones_kpj(personas, twins):
    operator = personas["operator_sorong"]
    first, second = twins
    person_assign_kpj(actor=operator, person=second, kpj="26010000002", by="test")
    dedup_scan(actor=operator)
    kept = person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=first)
    assert kept.kpj == "26010000002"
    assert dict(Person.objects.values_list("pk", "kpj")) == {first.pk: "26010000002", second.pk: None}
    assert AuditEvent.objects.get(action="person.merge").after["kpj"] == "26010000002"
