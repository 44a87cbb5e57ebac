import datetime as dt

import pytest

from conftest import REMU
from jaring.core.errors import Conflict
from jaring.core.models import AuditEvent
from jaring.registry.dedup import Row, candidates
from jaring.registry.models import DuplicateCandidate, Person
from jaring.registry.names import match_name, phonetic_key
from jaring.registry.selectors import PersonFilters, duplicate_queue, person_list
from jaring.registry.services import dedup_scan, duplicate_dismiss, person_merge

BORN = dt.date(1979, 5, 4)


def test_names_normalise_old_spellings_and_titles():
    assert match_name("Ny. Soekarni") == match_name("Sukarni")
    assert match_name("Djoko Tjandra") == match_name("Joko Candra")
    assert match_name("Hj. Siti Aisyah") == match_name("Siti Aisyah")
    assert match_name("Yohanness Kallami") == match_name("Yohanes Kalami")
    assert phonetic_key("Sukarni Wanma").split()[0] == phonetic_key("Soekarni").split()[0]


def test_candidates_find_variants_and_skip_strangers():
    rows = [Row(1, "Ibu Soekarni Wanma", BORN, "F", None), Row(2, "Sukarni Wanma", BORN, "F", None),
            Row(3, "Yohanes Kalami", BORN, "M", 9), Row(4, "Yohanis Kalami", dt.date(1979, 4, 5), "M", 9),
            Row(5, "Markus Osok", BORN, "M", None), Row(6, "Sukarni Wanma", BORN, "M", None)]
    found = {(c.a, c.b): c for c in candidates(rows)}
    assert (1, 2) in found and (3, 4) in found
    assert "tanggal dan bulan lahir tertukar" in found[(3, 4)].reasons
    assert (2, 5) not in found and (1, 5) not in found
    assert (2, 6) not in found  # same name, other sex: not the same person


@pytest.fixture
def twins(register_person):  # type: ignore[no-untyped-def]
    first = register_person(full_name="Soekarni Wanma", sex="F", birth_date=BORN, nik="9271014405790001",
                            phone="")
    second = register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=BORN, nik="9271014405790002",
                             phone="081298765432", kelurahan=REMU)
    return first, second


def test_scan_merge_and_dismiss(personas, twins):
    operator = personas["operator_sorong"]
    first, second = twins
    assert dedup_scan(actor=operator)["candidates"] == 1
    candidate = duplicate_queue(actor=operator).get()
    merged = person_merge(actor=operator, candidate=candidate, keep=first)
    assert merged.phone == "081298765432"  # an empty field filled from the duplicate
    second.refresh_from_db()
    assert second.merged_into == first
    assert list(person_list(actor=operator, filters=PersonFilters(q="wanma"))) == [first]
    assert AuditEvent.objects.filter(action="person.merge", object_id=str(first.pk)).exists()
    with pytest.raises(Conflict):
        person_merge(actor=operator, candidate=candidate, keep=first)
    assert dedup_scan(actor=operator)["candidates"] == 0


def test_dismissed_pair_never_comes_back(personas, twins):
    operator = personas["operator_sorong"]
    dedup_scan(actor=operator)
    duplicate_dismiss(actor=operator, candidate=DuplicateCandidate.objects.get())
    assert dedup_scan(actor=operator)["candidates"] == 0
    assert DuplicateCandidate.objects.get().status == "dismissed"


def test_merge_moves_memberships(personas, twins):
    from jaring.membership.services import membership_enrol, payer_create

    operator = personas["operator_sorong"]
    first, second = twins
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    membership = membership_enrol(actor=operator, person=second, payer=payer, programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="7")
    dedup_scan(actor=operator)
    person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=first)
    membership.refresh_from_db()
    assert membership.person == first
    assert Person.objects.filter(merged_into__isnull=True).count() == 1
