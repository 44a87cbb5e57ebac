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


def level(candidate, field):  # type: ignore[no-untyped-def]
    """What the evidence of a candidate pair says of one field."""
    return next(e["level"] for e in candidate.reasons if e["field"] == field)


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
    assert level(found[(3, 4)], "birth_date") == "swapped"
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
                                  declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26010000007")
    dedup_scan(actor=operator)
    person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=first)
    membership.refresh_from_db()
    assert membership.person == first
    assert Person.objects.filter(merged_into__isnull=True).count() == 1


# --- Blocking and scoring at scale (set-based candidates) ---------------------------------------


def _pairs(rows, **kwargs):  # type: ignore[no-untyped-def]
    return {(c.a, c.b): c for c in candidates(rows, **kwargs)}


def test_word_keys_fold_old_j_for_y():
    from jaring.registry.dedup import word_key

    assert word_key("johanes") == word_key("yohanes")
    assert word_key(match_name("Djoko")) == word_key(match_name("Joko"))
    assert word_key("kalami") != word_key("malak")


def test_candidates_find_realistic_variants():
    rows = [
        # Family name written first, a title, and day and month swapped.
        Row(1, "Ruth Isir", dt.date(2015, 12, 3), "F", None), Row(2, "Ibu Isir Ruth", dt.date(2015, 3, 12), "F", None),
        # Old spelling of Y as J, all capitals, same date.
        Row(3, "Yohanes Kapisa", dt.date(1956, 2, 15), "M", 7), Row(4, "JOHANES KAPISA", dt.date(1956, 2, 15), "M", 7),
        # A middle name left out.
        Row(5, "Benny Alfons Sede", dt.date(1990, 7, 20), "M", None),
        Row(6, "Benny Sede", dt.date(1990, 7, 20), "M", None),
        # One digit of the day mistyped, old spelling oe for u.
        Row(7, "Suparman Wibowo", dt.date(1971, 6, 14), "M", None),
        Row(8, "Soeparman Wibowo", dt.date(1971, 6, 19), "M", None),
        # A mistyped year, swapped order and a doubled letter.
        Row(9, "Lidia Yoku", dt.date(1979, 1, 24), "F", None), Row(10, "Yokku Lidia", dt.date(1978, 1, 24), "F", None),
    ]
    found = _pairs(rows)
    assert {(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)} <= found.keys()
    assert level(found[(1, 2)], "birth_date") == "swapped"
    assert level(found[(7, 8)], "birth_date") == "one_keystroke"
    assert level(found[(9, 10)], "birth_date") == "one_keystroke"
    assert level(found[(5, 6)], "name") == "first_last"


def test_candidates_skip_near_misses():
    rows = [
        # Twins of different sex with names differing by an ending.
        Row(1, "Yohanes Kalami", BORN, "M", 3), Row(2, "Yohana Kalami", BORN, "F", 3),
        # Twins of the same sex whose given names are more than a typo apart.
        Row(3, "Stefanus Mofu", BORN, "M", 4), Row(4, "Demianus Mofu", BORN, "M", 4),
        # A son named after his father: same name and KK, another birth year.
        Row(5, "Markus Osok", dt.date(1960, 5, 4), "M", 5), Row(6, "Markus Osok", dt.date(1988, 5, 4), "M", 5),
        # Same first name and birthday, another family name.
        Row(7, "Salmon Salosa", dt.date(2003, 9, 28), "M", None),
        Row(8, "Salmon Kalami", dt.date(2003, 9, 28), "M", None),
        # Same name, same year, an unrelated day.
        Row(9, "Naomi Wanma", dt.date(1985, 3, 2), "F", None), Row(10, "Naomi Wanma", dt.date(1985, 8, 27), "F", None),
    ]
    assert _pairs(rows) == {}


def test_common_name_needs_more_than_a_near_date():
    born = dt.date(1980, 6, 14)
    # Many people called La Tahir: a date one digit off is not enough, the same date still is.
    crowd = [Row(100 + i, "La Tahir", dt.date(1940, 1, 1) + dt.timedelta(days=97 * i), "M", None) for i in range(300)]
    rows = [*crowd, Row(1, "La Tahir", born, "M", None), Row(2, "La Tahir", dt.date(1980, 6, 15), "M", None),
            Row(3, "Herman Konddjol", born, "M", None), Row(4, "Herman Kondjol", dt.date(1980, 6, 15), "M", None),
            Row(5, "La Tahir", dt.date(1981, 2, 3), "M", None), Row(6, "La Tahir", dt.date(1981, 2, 3), "M", None)]
    found = _pairs(rows)
    assert (1, 2) not in found
    assert (3, 4) in found
    assert (5, 6) in found
    name = next(e for e in found[(5, 6)].reasons if e["field"] == "name")
    assert name["level"] == "exact" and name["people"] == 304  # the evidence says how common the name is
    # An identical name weighs by how rare it is: Herman Kondjol far more than La Tahir.
    assert name["weight"] < next(e["weight"] for e in found[(3, 4)].reasons if e["field"] == "name") - 5


def test_find_reads_columns_and_iso_dates_like_rows():
    from jaring.registry.dedup import find, find_all_pairs

    rows = [Row(1, "Ibu Soekarni Wanma", BORN, "F", None), Row(2, "Sukarni Wanma", BORN, "F", None),
            Row(3, "Yohanes Kalami", BORN, "M", 9), Row(4, "Yohanis Kalami", dt.date(1979, 4, 5), "M", 9),
            Row(5, "Markus Osok", BORN, "M", None)]
    by_rows = candidates(rows)
    by_columns = find(ids=[r.id for r in rows], names=[r.name for r in rows],
                      births=[r.birth.isoformat() for r in rows], sexes=[r.sex for r in rows],
                      households=[r.household for r in rows])
    assert by_rows == by_columns
    # Blocking loses none of what comparing every pair finds on these.
    everything = find_all_pairs(ids=[r.id for r in rows], names=[r.name for r in rows],
                                births=[r.birth for r in rows], sexes=[r.sex for r in rows],
                                households=[r.household for r in rows])
    assert by_rows == everything
    assert candidates(rows, exclude={(1, 2)}) == [c for c in by_rows if (c.a, c.b) != (1, 2)]


def test_doubled_letters_cannot_hide_an_old_spelling():
    from jaring.registry.dedup import normalise

    assert normalise("Herman Konddjol") == normalise("Herman Kondjol")
    assert normalise("Bu Hj. SOEPARMAN") == normalise("Suparman") == match_name("Suparman")
    assert normalise("Tjoettjoe") == normalise("Cucu")


def test_no_blocks_in_common_no_candidates():
    rows = [Row(1, "Markus Osok", dt.date(1970, 1, 2), "M", None),
            Row(2, "Maria Kalami", dt.date(1990, 5, 6), "F", None)]
    assert candidates(rows) == []
    assert candidates(rows[:1]) == []
    assert candidates([]) == []


def test_rescan_keeps_pair_ids_and_a_facilitator_scan_leaves_other_areas(personas, twins, register_person):
    from conftest import KLAWASI
    from jaring.core.errors import NotFound

    operator = personas["operator_sorong"]
    dedup_scan(actor=operator)
    pair = DuplicateCandidate.objects.get()
    dedup_scan(actor=operator)
    assert DuplicateCandidate.objects.get().pk == pair.pk  # a bookmarked pair stays valid
    born = dt.date(1990, 1, 2)
    remu = register_person(full_name="Yulianus Kambuaya", birth_date=born, kelurahan=REMU)
    klawasi = register_person(full_name="Yulianus Kambuaja", birth_date=born, kelurahan=KLAWASI)
    dedup_scan(actor=operator)
    across = DuplicateCandidate.objects.get(person_a=min(remu.pk, klawasi.pk))
    dedup_scan(actor=personas["facilitator_remu"])
    assert DuplicateCandidate.objects.filter(pk__in=[pair.pk, across.pk]).count() == 2
    with pytest.raises(NotFound):
        duplicate_dismiss(actor=personas["facilitator_remu"], candidate=across)
    assert DuplicateCandidate.objects.get(pk=across.pk).status == "open"


def test_a_pair_with_an_already_merged_person_is_refused(personas, twins, register_person):
    operator = personas["operator_sorong"]
    first, second = twins
    third = register_person(full_name="Sukarni Wanma", sex="F", birth_date=BORN, nik="9271014405790003")
    dedup_scan(actor=operator)
    assert DuplicateCandidate.objects.count() == 3
    person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(person_a=first, person_b=second),
                 keep=first)
    with pytest.raises(Conflict):
        person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(person_a=second, person_b=third),
                     keep=third)
    third.refresh_from_db()
    assert third.merged_into is None


# --- The evidence model: NIK parts, weights, estimates --------------------------------------------


def _evidence(candidate):  # type: ignore[no-untyped-def]
    return {e["field"]: e for e in candidate.reasons}


def test_every_pair_carries_its_evidence_field_by_field():
    from jaring.registry.dedup import LEVELS

    rows = [Row(1, "Ibu Soekarni Wanma", BORN, "F", None, 7, "0812 3456 7890", "9271014405790001"),
            Row(2, "Sukarni Wanma", BORN, "F", None, 7, "+62 812-3456-7890", "9271014405790027")]
    (pair,) = candidates(rows)
    evidence = _evidence(pair)
    assert list(evidence) == list(LEVELS)
    assert all(e["level"] in LEVELS[f] and isinstance(e["weight"], float) for f, e in evidence.items())
    assert evidence["phone"]["level"] == "same"  # +62 and 0 written alike
    assert evidence["nik"]["level"] == "region_date"
    assert 0 <= pair.score <= 100


def test_a_nik_one_keystroke_away_is_strong_evidence_a_missing_one_none():
    # The same name and birth year, another day: not enough alone; with the NIK one digit off in the
    # region part it is.
    crowd = [Row(100 + i, name, dt.date(1940, 1, 3) + dt.timedelta(days=61 * i), "M", None, 3, "", "")
             for i in range(200) for name in ("Markus Osok", "Lukas Osok")]
    rows = [*crowd, Row(1, "Markus Osok", dt.date(1975, 8, 17), "M", None, 3, "", "9271011708750003"),
            Row(2, "Markus Osok", dt.date(1975, 8, 27), "M", None, 3, "", "9271021708750003"),
            Row(3, "Lukas Osok", dt.date(1975, 8, 17), "M", None, 3, "", ""),
            Row(4, "Lukas Osok", dt.date(1975, 8, 27), "M", None, 3, "", "")]
    found = _pairs(rows, threshold=0.0001)
    with_nik, without = _evidence(found[(1, 2)]), _evidence(found[(3, 4)])
    assert with_nik["nik"]["level"] == "one_keystroke" and with_nik["nik"]["weight"] > 5
    assert without["nik"]["level"] == "missing" and without["nik"]["weight"] == 0
    assert found[(1, 2)].score >= 50 > found[(3, 4)].score


def test_twins_with_neighbouring_nik_serials_are_not_proposed():
    # Twins on one family card: the same birth date, NIKs one digit apart (serials counted per
    # region and day), other given names. Everything but the name agrees; the name decides.
    rows = [Row(1, "Stefanus Mofu", BORN, "M", 4, 3, "081234567890", "9271010405790001"),
            Row(2, "Demianus Mofu", BORN, "M", 4, 3, "081234567890", "9271010405790002"),
            Row(3, "Stefanus Mofu", BORN, "M", None, 5, "", "9271010405790003")]
    found = _pairs(rows)
    assert (1, 2) not in found
    assert _evidence(found[(1, 3)])["nik"]["level"] == "serial_near"  # the re-registration is found


def test_an_identical_name_weighs_by_how_rare_it_is_in_this_registry():
    from jaring.registry import dedup

    crowd = [Row(100 + i, "Yohanes Kambu", dt.date(1950, 1, 2) + dt.timedelta(days=53 * i), "M", None, 3, "", "")
             for i in range(400)]
    rows = [*crowd, Row(1, "Yohanes Kambu", dt.date(1988, 2, 14), "M", None, 3, "", ""),
            Row(2, "Yohanes Kambu", dt.date(1988, 2, 14), "M", None, 4, "", ""),
            Row(3, "Barnabas Tigtigweria", dt.date(1988, 2, 14), "M", None, 3, "", ""),
            Row(4, "Barnabas Tigtigweria", dt.date(1988, 2, 14), "M", None, 4, "", "")]
    found = _pairs(rows, threshold=0.001)
    common, rare = _evidence(found[(1, 2)])["name"], _evidence(found[(3, 4)])["name"]
    assert common["people"] == 402 and rare["people"] == 2
    assert rare["weight"] - common["weight"] > 7
    assert dedup.last_model is not None and dedup.last_model.facts["records"] == len(rows)
