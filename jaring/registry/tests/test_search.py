import datetime as dt

from django.core.paginator import Paginator

from conftest import KLAWASI, REMU
from jaring.registry.selectors import PersonFilters, PersonResults, person_list, person_search


def names(rows):  # type: ignore[no-untyped-def]
    return [p.full_name for p in rows]


def test_first_name_matches_then_family_name_matches(personas, register_person):
    for i, name in enumerate(["Markus Osok", "Yohanes Markus", "Maria Malak", "Bapak Markus Kambu",
                              "Agustina Sawaki"]):
        register_person(full_name=name, birth_date=dt.date(1980, 1, 1 + i))
    actor = personas["operator_sorong"]
    results = person_search(actor=actor, filters=PersonFilters(q="mark"))
    assert names(results[0:10]) == ["Bapak Markus Kambu", "Markus Osok", "Yohanes Markus"]
    assert results.count() == 3
    assert set(names(results[0:10])) == set(names(person_list(actor=actor, filters=PersonFilters(q="mark"))))


def test_pages_run_across_both_parts(personas, register_person):
    for i in range(4):
        register_person(full_name=f"Sawaki Anak{i}", birth_date=dt.date(1990, 1, 1 + i))
        register_person(full_name=f"Ruth{i} Sawaki", birth_date=dt.date(1991, 1, 1 + i))
    results = person_search(actor=personas["operator_sorong"], filters=PersonFilters(q="sawaki"))
    pages = Paginator(results, 3)
    seen = [name for n in pages.page_range for name in names(pages.page(n).object_list)]
    assert seen == [f"Sawaki Anak{i}" for i in range(4)] + [f"Ruth{i} Sawaki" for i in range(4)]


def test_search_is_scoped_and_nik_exact(personas, register_person):
    remu = register_person(full_name="Daniel Krey", kelurahan=REMU)
    register_person(full_name="Daniel Kareth", kelurahan=KLAWASI, birth_date=dt.date(1970, 5, 5))
    assert names(person_search(actor=personas["facilitator_remu"],
                               filters=PersonFilters(q="daniel"))[0:10]) == ["Daniel Krey"]
    assert person_search(actor=personas["facilitator_klawasi"],
                         filters=PersonFilters(q=remu.nik)).count() == 0
    assert names(person_search(actor=personas["operator_sorong"],
                               filters=PersonFilters(q=remu.nik))[0:5]) == ["Daniel Krey"]


def test_count_is_capped(personas, register_person, monkeypatch):
    monkeypatch.setattr(PersonResults, "COUNT_CAP", 3)
    for i in range(5):
        register_person(full_name=f"Yakob {i}", birth_date=dt.date(1985, 2, 1 + i))
    results = person_search(actor=personas["operator_sorong"], filters=PersonFilters(q="yakob"))
    assert results.count() == 3 and results.capped
