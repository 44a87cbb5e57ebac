"""The parameter loader: shipped data, validation, effective-date chains, extra files."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from jaring.rules import ParameterError, RulesInputError, load_parameters, parameters_on
from jaring.rules.parameters import PARAMS_DIR

from .conftest import WriteToml

SHIPPED_CONTRIBUTION = (PARAMS_DIR / "contribution_2015.toml").read_text(encoding="utf-8")


def contribution_set(
    set_id: str, start: str, end: str | None = None, *, jkk_rate: str = '"0.01"', replaces: str = ""
) -> str:
    """The shipped contribution file under another id and date range."""
    header = f"effective_from = {start}"
    if end:
        header += f"\neffective_to = {end}"
    if replaces:
        header += f"\n{replaces}"
    text = SHIPPED_CONTRIBUTION.replace('id = "contribution-bpu-2015"', f'id = "{set_id}"')
    text = text.replace("effective_from = 2015-07-01", header)
    return text.replace('value = "0.01"', f"value = {jkk_rate}", 1)


# --- shipped data ---------------------------------------------------------------------------


def test_shipped_parameters_load(params):
    assert set(params.families) == {
        "claims",
        "contribution",
        "income_brackets",
        "membership",
        "jkk_benefits",
        "jkm_benefits",
        "scholarship",
        "working_days",
    }
    assert {d.code for d in params.discounts} == {"pp50_2025", "pp49_2020"}


def test_every_shipped_value_has_a_citation(params):
    for sets in params.families.values():
        for pset in sets:
            for value in pset.values.values():
                assert value.citation.strip(), (pset.id, value.key)
                assert value.verified or value.note, (pset.id, value.key)
    for discount in params.discounts:
        for rule in discount.rules:
            assert rule.citation.strip()


@pytest.mark.parametrize(
    ("family", "key", "expected"),
    [
        ("contribution", "jkk_rate", Decimal("0.01")),
        ("contribution", "jkm_flat_idr", 6_800),
        ("contribution", "jht_rate", Decimal("0.02")),
        ("membership", "due_day", 15),
        ("membership", "max_arrears_months", 3),
        ("membership", "advance_months", (1, 3, 6, 12)),
        ("membership", "registration_age_below", 65),
        ("membership", "local_age_min", 18),
        ("membership", "local_age_max", 65),
        ("membership", "backdating_allowed", False),
        ("jkk_benefits", "home_care_cap_idr", 20_000_000),
        ("jkk_benefits", "home_care_max_months", 12),
        ("jkk_benefits", "transport_land_cap_idr", 5_000_000),
        ("jkk_benefits", "transport_sea_cap_idr", 2_000_000),
        ("jkk_benefits", "transport_air_cap_idr", 10_000_000),
        ("jkk_benefits", "stmb_full_months", 12),
        ("jkk_benefits", "stmb_full_rate", Decimal(1)),
        ("jkk_benefits", "stmb_after_rate", Decimal("0.5")),
        ("jkk_benefits", "wage_factor", 80),
        ("jkk_benefits", "total_disability_rate", Decimal("0.7")),
        ("jkk_benefits", "death_rate", Decimal("0.6")),
        ("jkk_benefits", "funeral_idr", 10_000_000),
        ("jkk_benefits", "periodic_idr", 12_000_000),
        ("jkk_benefits", "claim_window_years", 5),
        ("jkm_benefits", "lump_sum_idr", 20_000_000),
        ("jkm_benefits", "periodic_idr", 12_000_000),
        ("jkm_benefits", "funeral_idr", 10_000_000),
        ("jkm_benefits", "scholarship_min_contribution_months", 36),
        ("scholarship", "max_children", 2),
        ("scholarship", "end_age", 23),
        ("scholarship", "pre_school_names", ("belum_sekolah", "PAUD")),
    ],
)
def test_shipped_values(params, family, key, expected):
    assert parameters_on(dt.date(2026, 1, 1), params).value(family, key) == expected


def test_bracket_table_runs_from_one_million_to_20_7_million(params):
    brackets = params.on(dt.date(2026, 1, 1)).param("income_brackets", "brackets_idr")
    assert brackets.value[0] == 1_000_000 and brackets.value[-1] == 20_700_000
    assert list(brackets.value) == sorted(set(brackets.value))
    assert all(isinstance(v, int) for v in brackets.value)
    assert len(brackets.entries) == len(brackets.value)
    # Both ends are agreed by secondary sources; every value between is flagged, with a note.
    ends = [brackets.entry(1_000_000), brackets.entry(20_700_000)]
    assert all(end is not None and end.verified and end.citation for end in ends)
    between = brackets.entries[1:-1]
    assert between and all(not e.verified and "[UNVERIFIED]" in e.note for e in between)
    assert brackets.verified is False and "[UNVERIFIED]" in brackets.note


def test_bracket_rows_show_each_citation(params):
    rows = parameters_on(dt.date(2026, 1, 1), params).rows()
    table = [r for r in rows if r["key"] == "brackets_idr"]
    assert len(table) == 1 and table[0]["value"][0] == 1_000_000 and not table[0]["verified"]
    parts = [r for r in rows if r["key"] == "brackets_idr[]"]
    assert [p["value"] for p in parts if p["verified"]] == [[1_000_000], [20_700_000]]
    assert sum(len(p["value"]) for p in parts) == len(table[0]["value"])


NOMINALS = """
id = "n"
family = "income_brackets"
title = "t"
effective_from = 2015-07-01
replaces = ["income-brackets-bpu-2015"]

[values.brackets_idr]
citation = "table"
value = {value}
"""


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("[]", "values.brackets_idr.value"),
        ("[2_000_000, 1_000_000]", "values.brackets_idr.value"),
        ("[1_000_000, 1_000_000]", "values.brackets_idr.value"),
        ("[0]", "values.brackets_idr.value[0]"),
        ('["1000000"]', "values.brackets_idr.value[0]"),
        ("[{ value_idr = 1_000_000, verified = false }]", "values.brackets_idr.value[0].note"),
        ("[{ value_idr = 1_000_000, source = 'x' }]", "values.brackets_idr.value[0]"),
        ("[{ citation = 'x' }]", "values.brackets_idr.value[0]"),
        ("[1_000_000, { value_idr = 900_000 }]", "values.brackets_idr.value"),
    ],
)
def test_invalid_nominals_are_refused(write_toml: WriteToml, value, key):
    with pytest.raises(ParameterError) as info:
        load_parameters([write_toml("n.toml", NOMINALS.format(value=value))])
    assert info.value.key == key


def test_nominal_entries_inherit_the_value_citation(write_toml: WriteToml):
    value = '[1_000_000, { value_idr = 2_000_000, citation = "own", verified = false, note = "?" }]'
    params = load_parameters([write_toml("n.toml", NOMINALS.format(value=value))])
    brackets = params.on(dt.date(2026, 1, 1)).param("income_brackets", "brackets_idr")
    assert brackets.value == (1_000_000, 2_000_000)
    first, second = brackets.entry(1_000_000), brackets.entry(2_000_000)
    assert first is not None and (first.citation, first.verified) == ("table", True)
    assert second is not None and (second.citation, second.verified) == ("own", False)
    assert brackets.entry(3_000_000) is None
    assert not brackets.verified and "1 of 2" in brackets.note


def test_rates_are_decimal_never_float(params):
    snapshot = params.on(dt.date(2026, 1, 1))
    for pset in snapshot.sets.values():
        for value in pset.values.values():
            assert not isinstance(value.value, float)
    assert isinstance(snapshot.value("contribution", "jkk_rate"), Decimal)


def test_scholarship_levels(params):
    levels = params.on(dt.date(2026, 1, 1)).value("scholarship", "levels")
    assert [(lv.code, lv.amount_idr, lv.max_years) for lv in levels] == [
        ("TK_SD", 1_500_000, 8),
        ("SMP", 2_000_000, 3),
        ("SMA", 3_000_000, 3),
        ("PT", 12_000_000, 5),
    ]
    assert sum(lv.amount_idr * lv.max_years for lv in levels) == 87_000_000


@pytest.mark.parametrize(
    ("family", "key"), [("membership", "due_day"), ("membership", "registration_age_below")]
)
def test_conflicting_and_unverified_values_are_flagged(params, family, key):
    value = params.on(dt.date(2026, 1, 1)).param(family, key)
    assert value.verified is False
    assert re.search(r"CONFLICT|UNVERIFIED", value.note)


def test_pp49_discount_is_flagged_unverified(params):
    pp49 = next(d for d in params.discounts if d.code == "pp49_2020")
    assert all(not rule.verified and rule.note for rule in pp49.rules)


def test_parameters_on_rows_for_display(params):
    rows = parameters_on(dt.date(2026, 4, 1), params).rows()
    jkk = next(r for r in rows if r["key"] == "jkk_rate")
    assert jkk["value"] == "0.01" and "PP 44/2015" in jkk["citation"]
    assert jkk["effective_from"] == "2015-07-01" and jkk["source"] == "contribution_2015.toml"
    discounts = [r for r in rows if r["family"] == "discount"]
    assert [r["key"] for r in discounts] == [f"pp50_2025.rules[{i}]" for i in range(4)]
    assert [r["value"]["payers"] for r in discounts][:2] == [["self", "non_state"]] * 2
    assert all(r["citation"] for r in rows)


@pytest.mark.parametrize(
    ("day", "keys"),
    [
        (dt.date(2025, 12, 31), []),
        (dt.date(2027, 2, 10), ["pp50_2025.rules[0]", "pp50_2025.rules[2]"]),  # transport only
        (dt.date(2020, 8, 1), ["pp49_2020.rules[0]"]),
    ],
)
def test_rows_show_discounts_covering_the_month(params, day, keys):
    rows = parameters_on(day, params).rows()
    assert [r["key"] for r in rows if r["family"] == "discount"] == keys


def test_parameters_on_before_first_set_is_a_clear_error(params):
    with pytest.raises(RulesInputError) as info:
        parameters_on(dt.date(2015, 6, 30), params)
    assert info.value.field == "date"
    assert "2015-07-01" in info.value.message


def test_family_not_yet_in_force(params):
    snapshot = params.on(dt.date(2018, 1, 1))
    assert snapshot.value("contribution", "jkm_flat_idr") == 6_800
    with pytest.raises(RulesInputError, match="jkk_benefits"):
        snapshot.value("jkk_benefits", "funeral_idr")


# --- effective-date chains ------------------------------------------------------------------


def test_later_open_ended_set_supersedes(write_toml: WriteToml):
    extra = write_toml("c2030.toml", contribution_set("c-2030", "2030-01-01", jkk_rate='"0.02"'))
    params = load_parameters([extra])
    assert params.on(dt.date(2029, 12, 31)).value("contribution", "jkk_rate") == Decimal("0.01")
    assert params.on(dt.date(2030, 1, 1)).value("contribution", "jkk_rate") == Decimal("0.02")
    first = params.families["contribution"][0]
    assert first.until == dt.date(2029, 12, 31) and first.effective_to is None


def test_overlap_is_refused(write_toml: WriteToml):
    write_toml("a.toml", contribution_set("c-a", "2030-01-01", "2030-12-31"))
    b = write_toml("b.toml", contribution_set("c-b", "2030-06-01"))
    with pytest.raises(ParameterError) as info:
        load_parameters([b.parent])
    assert "overlap" in str(info.value) and "b.toml" in str(info.value)
    assert info.value.key == "effective_from"


def test_same_start_is_an_overlap(write_toml: WriteToml):
    extra = write_toml("dup.toml", contribution_set("c-dup", "2015-07-01"))
    with pytest.raises(ParameterError, match="overlap"):
        load_parameters([extra])


def test_gap_is_refused(write_toml: WriteToml, tmp_path: Path):
    write_toml("a.toml", contribution_set("c-a", "2030-01-01", "2030-12-31"))
    write_toml("b.toml", contribution_set("c-b", "2031-02-01"))
    with pytest.raises(ParameterError, match=r"gap.*2031-01-01") as info:
        load_parameters([tmp_path])  # a directory of extra files is accepted too
    assert info.value.key == "effective_from" and "b.toml" in str(info.value)


def test_contiguous_closed_ranges_are_accepted(write_toml: WriteToml):
    a = write_toml("a.toml", contribution_set("c-a", "2030-01-01", "2030-12-31"))
    b = write_toml("b.toml", contribution_set("c-b", "2031-01-01", jkk_rate='"0.02"'))
    params = load_parameters([a, b])
    assert params.on(dt.date(2031, 1, 1)).value("contribution", "jkk_rate") == Decimal("0.02")


def test_closed_last_set_leaves_later_dates_without_parameters(write_toml: WriteToml):
    a = write_toml("a.toml", contribution_set("c-a", "2030-01-01", "2030-12-31"))
    params = load_parameters([a])
    with pytest.raises(RulesInputError, match="contribution"):
        params.on(dt.date(2031, 1, 1)).value("contribution", "jkk_rate")


def test_replaces_swaps_a_set(bracket_params):
    brackets = bracket_params.on(dt.date(2026, 1, 1)).value("income_brackets", "brackets_idr")
    assert brackets[0] == 1_000_000 and len(brackets) > 1


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('value = "0.01"', "value = 0.01"), "values.jkk_rate.value"),  # float rate
        (('value = "0.01"', 'value = "1.5"'), "values.jkk_rate.value"),  # rate above 1
        (('value = "0.01"', 'value = "abc"'), "values.jkk_rate.value"),
        (("value = 6_800", "value = -6_800"), "values.jkm_flat_idr.value"),  # negative amount
        (("value = 6_800", 'value = "6800"'), "values.jkm_flat_idr.value"),
        (("value = 6_800", "value = true"), "values.jkm_flat_idr.value"),
        (
            (
                'citation = "PP 46/2015 (iuran JHT BPU 2% dari nominal penghasilan)"',
                'citation = ""',
            ),
            "values.jht_rate.citation",
        ),
        (
            (
                '[values.jht_rate]\nvalue = "0.02"',
                '[values.jht_rate]\nverified = false\nvalue = "0.02"',
            ),
            "values.jht_rate.note",
        ),
        (('value = ["jht"]', 'value = ["jhtx"]'), "values.optional_programmes.value"),
        (('value = ["jht"]', 'value = ["jkk"]'), "values.optional_programmes"),
        (("[values.jht_rate]", "[values.jht_ratee]"), "values.jht_rate"),  # missing key
        (('family = "contribution"', 'family = "contributions"'), "family"),
        (
            (
                "effective_from = 2015-07-01",
                "effective_from = 2015-07-01\neffective_to = 2015-01-01",
            ),
            "effective_to",
        ),
        (("effective_from = 2015-07-01", 'effective_from = "2015-07-01"'), "effective_from"),
        (('title = "Iuran', 'titel = "Iuran'), "titel"),
    ],
)
def test_invalid_file_is_refused_naming_file_and_key(write_toml: WriteToml, change, key):
    text = SHIPPED_CONTRIBUTION.replace(*change, 1)
    assert text != SHIPPED_CONTRIBUTION
    text = text.replace(
        'id = "contribution-bpu-2015"', 'id = "broken"\nreplaces = ["contribution-bpu-2015"]'
    )
    path = write_toml("broken.toml", text)
    with pytest.raises(ParameterError) as info:
        load_parameters([path])
    assert info.value.path == str(path)
    assert info.value.key == key
    assert "broken.toml" in str(info.value)


def test_unknown_extra_key_in_values_is_refused(write_toml: WriteToml):
    extra = '\n[values.jkk_ratio]\nvalue = "0.01"\ncitation = "x"\n'
    text = contribution_set("c-x", "2030-01-01") + extra
    with pytest.raises(ParameterError, match="not a key of family"):
        load_parameters([write_toml("x.toml", text)])


def test_invalid_toml_and_missing_files(write_toml: WriteToml, tmp_path: Path):
    with pytest.raises(ParameterError, match="invalid TOML"):
        load_parameters([write_toml("bad.toml", "id = [")])
    with pytest.raises(ParameterError, match="no such"):
        load_parameters([tmp_path / "missing.toml"])


def test_duplicate_id_and_unknown_replaces(write_toml: WriteToml):
    dup = SHIPPED_CONTRIBUTION.replace("effective_from = 2015-07-01", "effective_from = 2030-01-01")
    with pytest.raises(ParameterError, match="duplicate id"):
        load_parameters([write_toml("dup.toml", dup)])
    with pytest.raises(ParameterError, match="no other parameter set"):
        load_parameters(
            [
                write_toml(
                    "r.toml", contribution_set("c-r", "2030-01-01", replaces='replaces = ["nope"]')
                )
            ]
        )


DISCOUNT = """
id = "{id}"
family = "discount"
code = "{code}"
label = "Test"
title = "Test discount"
effective_from = 2026-01-01

[[rules]]
periods_from = "{start}"
periods_to = "{end}"
programmes = {programmes}
sectors = ["transport"]
payers = ["self"]
rate = "0.25"
citation = "test"
"""


def discount(code: str, start: str, end: str, programmes: str = '["jkk"]') -> str:
    return DISCOUNT.format(id=f"d-{code}", code=code, start=start, end=end, programmes=programmes)


def test_discount_overlapping_an_existing_discount_is_refused(write_toml: WriteToml):
    path = write_toml("d.toml", discount("new", "2027-01", "2027-06"))
    with pytest.raises(ParameterError, match="overlaps") as info:
        load_parameters([path])
    assert info.value.key == "rules"


def test_new_discount_extends_without_code_change(write_toml: WriteToml):
    path = write_toml("d.toml", discount("new", "2027-04", "2027-06", '["jkk", "jht"]'))
    params = load_parameters([path])
    assert {d.code for d in params.discounts} == {"pp50_2025", "pp49_2020", "new"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (discount("x", "2030-05", "2030-01"), "rules[0].periods_to"),
        (discount("x", "2030-13", "2030-01"), "rules[0].periods_from"),
        (discount("x", "2030-01", "2030-02", '["jkx"]'), "rules[0].programmes"),
        (
            discount("x", "2030-01", "2030-02").replace('rate = "0.25"', "rate = 0.25"),
            "rules[0].rate",
        ),
        (discount("x", "2030-01", "2030-02").replace('citation = "test"', ""), "rules[0].citation"),
        (discount("x", "2030-01", "2030-02").replace('["self"]', '["gov"]'), "rules[0].payers"),
        (discount("x", "2030-01", "2030-02").replace('code = "x"', 'code = "pp50_2025"'), "code"),
    ],
)
def test_invalid_discount_is_refused(write_toml: WriteToml, text, key):
    with pytest.raises(ParameterError) as info:
        load_parameters([write_toml("d.toml", text)])
    assert info.value.key == key
