import datetime as dt

import pytest
from django.core.paginator import Paginator

from conftest import KLAWASI, REMU
from jaring.registry.importing import import_registry
from jaring.registry.models import NameWord, Person, PersonNameWord
from jaring.registry.name_words import name_words_fill
from jaring.registry.names import person_name_key
from jaring.registry.selectors import PersonFilters, PersonResults, duplicate_queue, person_list, person_search
from jaring.registry.services import PersonInput, dedup_scan, person_merge, person_update

IMPORT_HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa;Pekerjaan;Desil;No HP\n"


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


# --- Words in any order, a prefix per word, typos (issue 14.6) --------------------------------------

def find(actor, q):  # type: ignore[no-untyped-def]
    return names(person_search(actor=actor, filters=PersonFilters(q=q))[0:50])


@pytest.fixture
def family(register_person):  # type: ignore[no-untyped-def]
    people = {}
    for i, name in enumerate(["Agustina Sawaki", "Agustinus Kambu", "Maria Agustina Rumbiak", "Yohanes Sawaki",
                              "La Ode Hasan Sawaki"]):
        people[name] = register_person(full_name=name, birth_date=dt.date(1980, 1, 1 + i))
    return people


@pytest.mark.parametrize("q", ["Agus Sawaki", "sawaki agus", "SAWAKI  AGUSTINA", "saw ag", "Ibu Agustina Sawaki",
                               "  agustina,sawaki "])
def test_every_word_a_prefix_in_any_order(personas, family, q):
    assert find(personas["operator_sorong"], q) == ["Agustina Sawaki"]


def test_a_middle_word_matches_and_the_parts_do_not_repeat(personas, family):
    operator = personas["operator_sorong"]
    # Full-name prefix first, then family-name prefix, then any other word: each person once.
    assert find(operator, "agus") == ["Agustina Sawaki", "Agustinus Kambu", "Maria Agustina Rumbiak"]
    assert find(operator, "ode sawaki") == ["La Ode Hasan Sawaki"]
    assert find(operator, "hasan") == ["La Ode Hasan Sawaki"]
    assert find(operator, "sawaki") == ["Agustina Sawaki", "La Ode Hasan Sawaki", "Yohanes Sawaki"]
    results = person_search(actor=operator, filters=PersonFilters(q="sawaki"))
    assert results.count() == 3 and not results.approximate
    assert set(names(person_list(actor=operator, filters=PersonFilters(q="sawaki ode")))) == {"La Ode Hasan Sawaki"}
    assert find(operator, "agus rumbiak maria") == ["Maria Agustina Rumbiak"]
    assert find(operator, "agus kambu sawaki") == []  # every word must match
    assert find(operator, "agus agustina") == ["Agustina Sawaki", "Maria Agustina Rumbiak"]
    assert find(operator, "ma agustina") == ["Maria Agustina Rumbiak"]
    assert find(operator, "ode la sawaki") == find(operator, "la hasan sawaki") == ["La Ode Hasan Sawaki"]
    assert find(operator, "sawaki la") == ["La Ode Hasan Sawaki"]


@pytest.mark.parametrize("q, expected", [
    ("Agustna Sawki", ["Agustina Sawaki"]),
    ("sawkai agustina", ["Agustina Sawaki"]),  # two neighbours swapped: one typo
    ("Rumbiek", ["Maria Agustina Rumbiak"]),
    ("agustinnus", ["Agustinus Kambu"]),
    ("Agustina Sawkai Kambu", []),
])
def test_typos_fall_back_to_similar_names(personas, family, q, expected):
    results = person_search(actor=personas["operator_sorong"], filters=PersonFilters(q=q))
    assert names(results[0:10]) == expected
    assert results.approximate


def test_no_fallback_when_something_matches_or_words_are_short(personas, family):
    operator = personas["operator_sorong"]
    assert not person_search(actor=operator, filters=PersonFilters(q="sawaki")).approximate
    assert find(operator, "sawk") == ["Agustina Sawaki", "La Ode Hasan Sawaki", "Yohanes Sawaki"]
    assert find(operator, "swa") == []  # three letters: a prefix, never a guess


def test_words_and_typos_are_scoped(personas, register_person):
    register_person(full_name="Agustina Sawaki", kelurahan=KLAWASI, birth_date=dt.date(1970, 5, 5))
    mine = register_person(full_name="Yohanes Sawaki", kelurahan=REMU)
    remu, klawasi = personas["facilitator_remu"], personas["facilitator_klawasi"]
    assert find(remu, "sawaki agustina") == []  # the other kelurahan's person, never found
    assert find(remu, "sawki agustna") == []  # nor by the fallback
    assert find(remu, "sawaki") == find(remu, "sawki") == ["Yohanes Sawaki"]
    assert find(remu, "yoh saw") == ["Yohanes Sawaki"]
    assert find(klawasi, "sawaki yohanes") == find(klawasi, "sawki yohans") == []
    assert find(klawasi, "sawki agustna") == ["Agustina Sawaki"]
    assert names(person_list(actor=remu, filters=PersonFilters(q="saw yoh"))) == [mine.full_name]
    assert find(personas["operator_sorong"], "sawaki") == ["Agustina Sawaki", "Yohanes Sawaki"]


def test_merged_persons_are_not_found(personas, register_person):
    operator = personas["operator_sorong"]
    first = register_person(full_name="Soekarni Wanma", sex="F", birth_date=dt.date(1979, 5, 4),
                            nik="9271014405790001")
    register_person(full_name="Ibu Sukarni Wanma Osok", sex="F", birth_date=dt.date(1979, 5, 4),
                    nik="9271014405790002")
    dedup_scan(actor=operator)
    person_merge(actor=operator, candidate=duplicate_queue(actor=operator).get(), keep=first)
    assert find(operator, "osok") == []
    assert find(operator, "wanma sukarni") == []
    assert find(operator, "wanma soekarni") == ["Soekarni Wanma"]
    assert find(operator, "osk wanma") == []  # nor by the fallback


def test_a_rename_rewrites_the_words(personas, register_person):
    operator = personas["operator_sorong"]
    person = register_person(full_name="Yosina Kalami")
    person_update(actor=operator, person=person, data=PersonInput.of(full_name="Yosina Mambrasar"))
    assert find(operator, "kalami") == []
    assert find(operator, "mambrasar yos") == ["Yosina Mambrasar"]
    words = set(PersonNameWord.objects.filter(person=person).values_list("word", flat=True))
    assert words == {"yosina", "mambrasar"}
    assert {"kalami", "mambrasar", "yosina"} <= set(NameWord.objects.values_list("word", flat=True))


def test_imported_persons_have_their_words(personas, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(IMPORT_HEADER + "Hj. Siti Aisyah Faidiban;9271015508900001;;15/08/1990;P;Remu;;;\n")
    assert import_registry(actor=personas["operator_sorong"], path=path).imported == 1
    assert find(personas["operator_sorong"], "faidiban aisyah") == ["Hj. Siti Aisyah Faidiban"]


def test_the_fill_derives_the_same_words_set_based(personas, register_person, family):
    for i, name in enumerate(["Maria Maria Kambu", "Obet", "Bapak Yosias La Ode Ode Krey", "Dr. Ir. Hana Do"]):
        register_person(full_name=name, birth_date=dt.date(1960, 2, 1 + i))
    expected = set()
    for person in Person.objects.all():  # the words as Python splits them; middle: not first, not last
        words = person_name_key(person.full_name).split(" ")
        for word in set(words):
            expected.add((person.pk, word, any(w == word for w in words[1:-1])))
    stored = set(PersonNameWord.objects.values_list("person_id", "word", "middle"))
    assert stored == expected
    PersonNameWord.objects.all().delete()
    assert name_words_fill(batch=2) == Person.objects.order_by("-id").values_list("id", flat=True)[0]
    assert set(PersonNameWord.objects.values_list("person_id", "word", "middle")) == expected
    name_words_fill()  # idempotent: persons with words are skipped
    assert PersonNameWord.objects.count() == len(expected)
    assert find(personas["operator_sorong"], "ode") == ["La Ode Hasan Sawaki", "Bapak Yosias La Ode Ode Krey"]
    assert find(personas["operator_sorong"], "maria") == ["Maria Agustina Rumbiak", "Maria Maria Kambu"]


def test_the_person_list_and_the_api_search_by_words(personas, family, client, api_client_for):
    client.force_login(personas["facilitator_remu"])
    page = client.get("/orang/", {"q": "sawaki agus"}).content.decode()
    assert "Agustina Sawaki" in page and "Yohanes Sawaki" not in page
    assert "ini nama yang mirip" not in page
    guessed = client.get("/orang/", {"q": "agustna sawki"}).content.decode()
    assert "Agustina Sawaki" in guessed and "ini nama yang mirip" in guessed  # the list says it guessed
    api = api_client_for("facilitator_remu")
    body = api.get("/api/v1/persons/", {"q": "sawki agustna"}).json()
    assert [p["full_name"] for p in body["results"]] == ["Agustina Sawaki"] and body["count"] == 1
    body = api.get("/api/v1/persons/", {"q": "sawaki", "page_size": 2, "offset": 2}).json()
    assert [p["full_name"] for p in body["results"]] == ["Yohanes Sawaki"] and body["count"] == 3
    assert api.get("/api/v1/persons/", {"q": "%_\\" * 100}).json()["results"] == []


@pytest.mark.parametrize("q", [
    "", "   ", "a" * 5000, " ".join(f"kata{i}" for i in range(50)), "agus " * 50, "%", "_", "\\", "%a%", "a_a",
    "sa%wa", "\\%", "'; DROP TABLE registry_person; --", "Agustína Sáwaki", "山田 太郎", "🙂", "\x00agus",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z", "Sawaki" * 40,
])
def test_hostile_queries_never_crash(personas, family, q):
    for actor in (personas["operator_sorong"], personas["facilitator_remu"]):
        results = person_search(actor=actor, filters=PersonFilters(q=q))
        assert results.count() == len(results[0:20000])
        list(person_list(actor=actor, filters=PersonFilters(q=q))[:5])
    operator = personas["operator_sorong"]
    if q in ("%", "_", "\\", "%a%", "a_a", "\\%"):
        # Wildcards are not wildcards: nothing, or only names with such a word.
        assert find(operator, q) in ([], find(operator, q.replace("%", " ").replace("_", " ").replace("\\", " ")))
    assert find(operator, "Agustína Sáwaki") == ["Agustina Sawaki"]
