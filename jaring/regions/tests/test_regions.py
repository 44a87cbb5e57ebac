"""The shipped Kota Sorong tree, code and name lookups, and the CSV loader."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from conftest import CITY, KLAWASI, REMU
from jaring.core.errors import ValidationFailed
from jaring.core.models import AuditEvent
from jaring.regions.models import Region
from jaring.regions.names import name_key, skeleton, strip_prefix
from jaring.regions.selectors import region_by_code, region_lookup, region_subtree
from jaring.regions.services import BUNDLED_CSV, regions_load, regions_load_csv

HEADER = "code,legacy_code,level,name,parent_code\n"

# Another region list of the same shape: Kota Jayapura (province Papua, 91), two districts.
JAYAPURA = HEADER + (
    "91,,province,Papua,\n"
    "91.71,94.71,city,Kota Jayapura,91\n"
    "91.71.01,94.71.01,district,Jayapura Utara,91.71\n"
    "91.71.01.1001,94.71.01.1001,kelurahan,Bhayangkara,91.71.01\n"
    "91.71.01.1002,94.71.01.1002,kelurahan,Gurabesi,91.71.01\n"
    "91.71.02,94.71.02,district,Abepura,91.71\n"
    "91.71.02.1001,94.71.02.1004,kelurahan,Awiyo,91.71.02\n"
)


def shipped_rows() -> list[dict[str, str]]:
    with BUNDLED_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- The shipped tree -----------------------------------------------------------------------------


def test_shipped_tree_has_one_province_one_city_ten_districts_41_kelurahan(db):
    counts = {level: Region.objects.filter(level=level).count() for level in Region.Level.values}
    assert counts == {"province": 1, "city": 1, "district": 10, "kelurahan": 41}
    city = Region.objects.get(level="city")
    assert (city.code, city.legacy_code, city.name, city.parent.code) == ("96.71", "92.71", "Kota Sorong", "96")
    assert Region.objects.get(level="province").name == "Papua Barat Daya"
    assert sorted(Region.objects.filter(level="district").values_list("name", flat=True)) == [
        "Klaurung", "Maladum Mes", "Malaimsimsa", "Sorong", "Sorong Barat", "Sorong Kepulauan",
        "Sorong Kota", "Sorong Manoi", "Sorong Timur", "Sorong Utara"]


def test_shipped_tree_matches_the_csv_row_for_row(db):
    rows = shipped_rows()
    assert len(rows) == 53
    stored = {r.code: r for r in Region.objects.select_related("parent")}
    assert set(stored) == {row["code"] for row in rows}
    for row in rows:
        region = stored[row["code"]]
        assert (region.legacy_code, region.level, region.name) == (row["legacy_code"], row["level"], row["name"])
        assert (region.parent.code if region.parent else "") == row["parent_code"]
        assert region.name_key == name_key(row["name"])


def test_shipped_tree_is_hierarchical_and_legacy_codes_are_unique(db):
    depth = {"province": 0, "city": 1, "district": 2, "kelurahan": 3}
    legacy = [r.legacy_code for r in Region.objects.exclude(legacy_code="")]
    assert len(legacy) == len(set(legacy)) == 52
    assert all(code == "92.71" or code.startswith("92.71.") for code in legacy)
    for region in Region.objects.select_related("parent"):
        assert region.depth == depth[region.level]
        if region.level != "province":
            assert region.parent.contains(region) and region.code.startswith(region.parent.code + ".")
            assert depth[region.parent.level] == depth[region.level] - 1
    per_district = {d.code: d.children.count() for d in Region.objects.filter(level="district")}
    assert per_district["96.71.06"] == 5 and sum(per_district.values()) == 41
    assert set(region_subtree([CITY], level="kelurahan")) == set(Region.objects.filter(level="kelurahan"))


# --- Lookup by code -------------------------------------------------------------------------------


@pytest.mark.parametrize("code, expected", [
    ("96.71.01.1004", REMU),
    ("9671011004", REMU),          # without dots
    (" 96.71.01.1004 ", REMU),
    ("92.71.01.1008", REMU),       # Remu's legacy code: renumbered, not just re-prefixed
    ("9271011008", REMU),
    ("92.71.03.1005", KLAWASI),
    ("92.71", CITY),
    ("9271", CITY),
    ("927101", "96.71.01"),        # districts kept their suffix
    ("96", "96"),
])
def test_region_by_code_current_and_legacy(db, code, expected):
    region = region_by_code(code)
    assert region is not None and region.code == expected


@pytest.mark.parametrize("code", [
    "92.71.01.1004",   # no region ever had this legacy code: the suffix is not mapped blindly
    "96.71.01.1008",   # Remu's old suffix under the new prefix
    "96.71.11", "99.99", "92", "abc", "96.71.01.1004.1",
])
def test_region_by_code_unknown_is_none(db, code):
    assert region_by_code(code) is None


@pytest.mark.parametrize("code", ["", "   "])
def test_region_by_code_blank_is_none(db, code):
    assert region_by_code(code) is None


def test_region_lookup_accepts_codes_and_respects_the_level(db):
    assert region_lookup("92.71.01.1008").code == REMU  # type: ignore[union-attr]
    assert region_lookup("96.71.01.1004", level="kelurahan").code == REMU  # type: ignore[union-attr]
    assert region_lookup("96.71.01.1004", level="district") is None
    assert region_lookup("96.71.01", level="district").name == "Sorong"  # type: ignore[union-attr]


# --- Lookup by name -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Remu", "96.71.01.1004"),
    ("remu", "96.71.01.1004"),
    ("  REMU  ", "96.71.01.1004"),
    ("Kelurahan Remu", "96.71.01.1004"),
    ("Kel. Remu", "96.71.01.1004"),
    ("remu utara", "96.71.01.1001"),   # not Remu, not Remu Selatan
    ("Remu  Utara", "96.71.01.1001"),
    ("RemuUtara", "96.71.01.1001"),
    ("REMU SELATAN", "96.71.06.1004"),
    ("Klasuur", "96.71.07.1003"),
    ("Klasur", "96.71.07.1003"),
    ("klasuur", "96.71.07.1003"),
    ("Puncak Cendrawasih", "96.71.03.1003"),
    ("Puncak Cenderawasih", "96.71.03.1003"),
    ("puncak  cendrawasih", "96.71.03.1003"),
    ("PUNCAK CENDERAWASIH", "96.71.03.1003"),
    ("Pal Putih", "96.71.03.1004"),
    ("Palputih", "96.71.03.1004"),
    ("Tanjung Kasuari", "96.71.10.1004"),
    ("Distrik Sorong Timur", "96.71.02"),
    ("sorong timur", "96.71.02"),
    ("Sorong", "96.71.01"),
    ("Kota Sorong", "96.71"),
])
def test_region_lookup_by_name_tolerates_case_spacing_and_spelling(db, text, expected):
    region = region_lookup(text)
    assert region is not None, text
    assert region.code == expected


def test_region_lookup_within_a_level_and_an_area(db):
    sorong_district = Region.objects.get(code="96.71.01")
    assert region_lookup("Sorong", level="kelurahan") is None  # the district, not a kelurahan
    assert region_lookup("Remu", level="kelurahan", within=sorong_district).code == REMU  # type: ignore[union-attr]
    assert region_lookup("Klawasi", within=sorong_district) is None
    assert region_lookup("Klasur", level="district") is None


@pytest.mark.parametrize("text", [
    "Jakarta", "Aimas", "Salawati", "Makbon", "Remu Tengah", "Malasilen Baru", "Sorong Selatan",
    "Kampung Lama", "Xyz", "", "   ", "Kelurahan",
])
def test_an_unknown_name_finds_nothing(db, text):
    assert region_lookup(text) is None


def test_a_neighbouring_place_that_differs_by_its_vowels_is_not_matched(db):
    # Klamono (skeleton 'klmn') is a distrik of the neighbouring regency, not in Kota Sorong. Its only
    # resemblance to Klamana (also 'klmn') is the consonants: a field sheet saying Klamono must be
    # rejected for a human to resolve, not filed under Klamana.
    assert region_lookup("Klamono") is None
    assert region_lookup("Klamono", level="kelurahan") is None


def test_names_helpers():
    assert name_key("  Kelurahan  Pal-Putih ") == "kelurahanpalputih"
    assert name_key("Rémû") == "remu"
    assert strip_prefix("Kel. Remu") == "Remu" and strip_prefix("Remu") == "Remu"
    assert strip_prefix("Kelurahan") == "Kelurahan"
    assert skeleton("Klasuur") == skeleton("Klasur") == "klsr"
    assert skeleton("Cenderawasih") == skeleton("Cendrawasih")
    assert skeleton("Remu") != skeleton("Klawasi")
    assert skeleton("") == ""


# --- The loader -----------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "regions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_loads_another_region_list_and_lookups_find_it(db, tmp_path):
    before = Region.objects.count()
    result = regions_load_csv(path=write(tmp_path, JAYAPURA))
    assert (result.rows, result.created, result.updated, result.unchanged) == (7, 7, 0, 0)
    assert Region.objects.count() == before + 7
    awiyo = Region.objects.get(code="91.71.02.1001")
    assert awiyo.level == "kelurahan" and awiyo.parent.code == "91.71.02" and awiyo.name_key == "awiyo"
    assert awiyo.parent.parent.parent.code == "91"
    assert region_by_code("94.71.02.1004") == awiyo
    assert region_lookup("awiyo") == awiyo
    assert region_lookup("Kelurahan Gurabesi").code == "91.71.01.1002"  # type: ignore[union-attr]
    assert set(region_subtree(["91.71"], level="kelurahan").values_list("code", flat=True)) == {
        "91.71.01.1001", "91.71.01.1002", "91.71.02.1001"}
    # The Sorong tree is untouched.
    assert region_subtree([CITY], level="kelurahan").count() == 41
    assert AuditEvent.objects.filter(action="regions.load").count() == 1


def test_loader_is_idempotent(db, tmp_path):
    path = write(tmp_path, JAYAPURA)
    regions_load_csv(path=path)
    snapshot = list(Region.objects.values_list("id", "code", "legacy_code", "level", "name", "name_key",
                                               "parent_id"))
    again = regions_load_csv(path=path)
    assert (again.rows, again.created, again.updated, again.unchanged) == (7, 0, 0, 7)
    assert list(Region.objects.values_list("id", "code", "legacy_code", "level", "name", "name_key",
                                           "parent_id")) == snapshot
    assert AuditEvent.objects.filter(action="regions.load").count() == 1  # nothing changed, nothing logged


def test_reloading_the_shipped_csv_changes_nothing(db):
    result = regions_load_csv(path=BUNDLED_CSV)
    assert (result.rows, result.created, result.updated, result.unchanged) == (53, 0, 0, 53)


def test_loader_updates_a_renamed_region_in_place(db, tmp_path):
    regions_load_csv(path=write(tmp_path, JAYAPURA))
    awiyo_id = Region.objects.get(code="91.71.02.1001").id
    renamed = JAYAPURA.replace("kelurahan,Awiyo,", "kelurahan,Awiyo Baru,")
    result = regions_load_csv(path=write(tmp_path, renamed, "renamed.csv"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 6)
    region = Region.objects.get(code="91.71.02.1001")
    assert region.id == awiyo_id and region.name == "Awiyo Baru" and region.name_key == "awiyobaru"
    assert region_lookup("awiyo baru") == region


def test_loader_command_prints_a_summary(db, tmp_path):
    path = write(tmp_path, JAYAPURA)
    out = io.StringIO()
    call_command("regions_load", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 7, "created": 7, "updated": 0, "unchanged": 0}
    out = io.StringIO()
    call_command("regions_load", str(path), stdout=out)
    assert out.getvalue().strip() == "rows=7 created=0 updated=0 unchanged=7"
    assert AuditEvent.objects.get(action="regions.load").actor_label == "system"


@pytest.mark.parametrize("bad_line, row, words", [
    ("91.71.03,,district,Heram,91.72", 5, ["91.72"]),                        # parent not found
    ("91.71.03,,distrik,Heram,91.71", 5, ["distrik"]),                        # unknown level
    ("91.71.03.1001,,district,Heram,91.71", 5, ["91.71.03.1001"]),            # code does not fit the level
    ("91.71.01,,district,Jayapura Utara,91.71", 5, ["91.71.01"]),             # the same code twice
    ("91.71.03,,district,,91.71", 5, []),                                     # no name
    ("92.01.03,,district,Heram,91.71", 5, ["92.01.03", "91.71"]),             # not under its parent
])
def test_a_malformed_csv_is_refused_naming_the_row_and_loads_nothing(db, tmp_path, bad_line, row, words):
    text = HEADER + "91,,province,Papua,\n91.71,,city,Kota Jayapura,91\n91.71.01,,district,Jayapura Utara,91.71\n"
    path = write(tmp_path, text + bad_line + "\n")
    before = Region.objects.count()
    with pytest.raises(ValidationFailed) as info:
        regions_load_csv(path=path)
    errors = [str(e) for e in info.value.fields["rows"]]
    assert errors and all(e.startswith(f"Baris {row}:") for e in errors), errors
    for word in words:
        assert any(word in e for e in errors), (word, errors)
    assert Region.objects.count() == before  # all or nothing
    assert not Region.objects.filter(code__startswith="91").exists()


def test_a_csv_without_the_required_columns_is_refused(db, tmp_path):
    path = write(tmp_path, "code,level,name\n91,province,Papua\n")
    with pytest.raises(ValidationFailed) as info:
        regions_load_csv(path=path)
    assert "legacy_code" in str(info.value) and "parent_code" in str(info.value)
    with pytest.raises(ValidationFailed):
        regions_load_csv(path=tmp_path / "missing.csv")


def test_the_command_refuses_a_malformed_csv_with_the_row_on_stderr(db, tmp_path):
    path = write(tmp_path, HEADER + "91,,province,Papua,\n91.71,,kota,Kota Jayapura,91\n")
    err = io.StringIO()
    saved = sys.stderr
    sys.stderr = err
    try:
        with pytest.raises(SystemExit) as info:
            call_command("regions_load", str(path), stdout=io.StringIO())
    finally:
        sys.stderr = saved
    message = err.getvalue()
    assert info.value.code == 2
    assert message.startswith("error: ") and "Baris 3" in message and "kota" in message
    assert "Traceback" not in message
    assert not Region.objects.filter(code="91").exists()


def test_regions_load_service_takes_rows_directly(db):
    result = regions_load(rows=[{"code": "96.71.01.1005", "legacy_code": "", "level": "kelurahan",
                                 "name": "Remu Baru", "parent_code": "96.71.01"}], source="test")
    assert result.created == 1
    assert Region.objects.get(code="96.71.01.1005").parent.code == "96.71.01"
    assert AuditEvent.objects.get(action="regions.load").after == {"source": "test", "created": 1, "updated": 0}


def test_loader_accepts_children_listed_before_their_parents(db, tmp_path):
    from jaring.regions.models import Region
    from jaring.regions.services import regions_load

    rows = [
        {"code": "91.05.01.2001", "legacy_code": "", "name": "Kampung Baru", "level": "kelurahan",
         "parent_code": "91.05.01"},
        {"code": "91.05.01", "legacy_code": "", "name": "Distrik Contoh", "level": "district", "parent_code": "91.05"},
        {"code": "91.05", "legacy_code": "", "name": "Kabupaten Contoh", "level": "city", "parent_code": "91"},
        {"code": "91", "legacy_code": "", "name": "Papua Contoh", "level": "province", "parent_code": ""},
    ]
    regions_load(rows=rows)
    assert Region.objects.get(code="91.05.01.2001").parent.code == "91.05.01"
