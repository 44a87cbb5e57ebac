"""Contribution calculator: DOMAIN §2.1 rows, PP 50/2025 boundaries, PP 49/2020, bad inputs."""

from __future__ import annotations

import datetime as dt

import pytest

from jaring.rules import (
    FUNDING_CLASSES,
    PAYER_ALIASES,
    PAYERS,
    ParameterError,
    RulesInputError,
    calculate_contribution,
    load_parameters,
)
from jaring.rules.parameters import PARAMS_DIR

BASE = {
    "declared_income_idr": 1_000_000,
    "programmes": ["jkk", "jkm"],
    "months": 1,
    "payer": "self",
    "sector": "other",
}


def quote(**changes):
    return calculate_contribution(**{**BASE, **changes})


# --- DOMAIN §2.1 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("programmes", "period", "expected"),
    [
        (["jkk", "jkm"], "2025-06", 16_800),  # JKK Rp10.000 + JKM Rp6.800
        (["jkk", "jkm", "jht"], "2025-06", 36_800),  # + JHT 2% = Rp20.000
        (["jkm", "jkk"], "2026-03", 16_800),  # order of input does not matter
        (["jkk", "jkm"], "2026-04", 8_400),  # PP 50/2025: JKK 5.000 + JKM 3.400
        (["jkk", "jkm", "jht"], "2026-04", 28_400),  # JHT is never discounted
    ],
)
def test_domain_examples(programmes, period, expected):
    assert quote(programmes=programmes, first_period=period).total_idr == expected


def test_item_shape_and_discount_basis():
    result = quote(first_period="2026-04", programmes=["jkk", "jkm", "jht"])
    assert result.codes() == ["jkk", "jkm", "jht"]
    jkk, jkm, jht = (result.to_dict()["items"][i] for i in range(3))
    assert jkk == {
        "code": "jkk",
        "label": "JKK (Jaminan Kecelakaan Kerja) April 2026",
        "label_en": "JKK (Work Accident Insurance) April 2026",
        "amount_idr": 5_000,
        "basis": "1% × Rp1.000.000 − diskon 50% PP 50/2025",
        "basis_en": "1% × Rp1,000,000 − 50% discount PP 50/2025",
        "citation": jkk["citation"],
        "period": "2026-04",
        "discount": "pp50_2025",
        "base_amount_idr": 10_000,
    }
    assert "PP 44/2015" in jkk["citation"] and "PP 50/2025" in jkk["citation"]
    assert jkm["amount_idr"] == 3_400 and jkm["basis"].startswith("Rp6.800")
    assert jht["amount_idr"] == 20_000 and jht["discount"] is None
    assert "PP 46/2015" in jht["citation"]


def test_result_dict_shape():
    data = quote(first_period="2026-01").to_dict()
    assert set(data) == {"total_idr", "items", "eligible", "reasons", "notes"}
    assert data["eligible"] is True and data["total_idr"] == 16_800
    assert any("tanggal 15" in note for note in data["notes"])
    english = quote(first_period="2026-01").to_dict(lang="en")
    assert english["items"][0]["label"] == "JKK (Work Accident Insurance) January 2026"
    assert english["items"][0]["label_id"] == "JKK (Jaminan Kecelakaan Kerja) Januari 2026"


# --- PP 50/2025 boundaries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sector", "payer", "period", "expected"),
    [
        ("transport", "self", "2025-12", 16_800),
        ("transport", "self", "2026-01", 8_400),
        ("transport", "self", "2026-12", 8_400),
        ("transport", "self", "2027-03", 8_400),
        ("transport", "self", "2027-04", 16_800),
        ("other", "self", "2026-03", 16_800),
        ("other", "self", "2026-04", 8_400),
        ("other", "self", "2026-12", 8_400),
        ("other", "self", "2027-01", 16_800),
        ("other", "non_state", "2026-06", 8_400),  # CSR, banks, zakat, churches
        ("transport", "non_state", "2027-03", 8_400),
        ("other", "apbd", "2026-06", 16_800),  # a city or a province, dana kelurahan, Otsus
        ("other", "apbn", "2026-06", 16_800),
        ("transport", "apbd", "2026-01", 16_800),
        ("transport", "apbn", "2027-03", 16_800),
        # The old names, still accepted: "other" is non_state, "government" is apbd.
        ("other", "other", "2026-06", 8_400),
        ("transport", "other", "2027-03", 8_400),
        ("other", "government", "2026-06", 16_800),
        ("transport", "government", "2026-01", 16_800),
        ("transport", "government", "2027-03", 16_800),
        ("other", "government", "2026-12", 16_800),
    ],
)
def test_pp50_boundaries(sector, payer, period, expected):
    result = quote(sector=sector, payer=payer, first_period=period)
    assert result.total_idr == expected
    assert all(
        item.extra["discount"] == ("pp50_2025" if expected == 8_400 else None)
        for item in result.items
    )


def test_government_payer_gets_a_note_why_no_discount():
    result = quote(payer="government", first_period="2026-06")
    assert any(n.code == "discount_pp50_2025_not_for_payer" for n in result.notes)
    assert "APBN/APBD" in result.to_dict()["notes"][0]


# --- PP 50/2025 by funding source --------------------------------------------------------------

APR_TO_DEC_2026 = [f"2026-{month:02d}" for month in range(4, 13)]


@pytest.mark.parametrize("payer", ["apbd", "apbn", "government"])
@pytest.mark.parametrize("period", APR_TO_DEC_2026)
def test_state_budget_gets_no_pp50_discount(payer, period):
    # A city's APBD, a province's, dana kelurahan (city APBD) and Otsus money are all "apbd".
    result = quote(payer=payer, first_period=period, programmes=["jkk", "jkm", "jht"])
    assert result.total_idr == 36_800
    assert all(item.extra["discount"] is None for item in result.items)
    note = next(n for n in result.notes if n.code == "discount_pp50_2025_not_for_payer")
    assert "dibayar APBN/APBD" in note.text_id and "paid from APBN/APBD" in note.text_en


@pytest.mark.parametrize("payer", ["self", "non_state", "other"])
@pytest.mark.parametrize("period", APR_TO_DEC_2026)
def test_own_and_private_money_get_half_off_jkk_and_jkm_never_jht(payer, period):
    result = quote(payer=payer, first_period=period, programmes=["jkk", "jkm", "jht"])
    assert [(item.code, item.amount_idr, item.extra["discount"]) for item in result.items] == [
        ("jkk", 5_000, "pp50_2025"),
        ("jkm", 3_400, "pp50_2025"),
        ("jht", 20_000, None),
    ]
    assert not any(n.code.endswith("_not_for_payer") for n in result.notes)


def test_village_funds_follow_the_parameter(write_toml):
    # Shipped: dana desa (apbdes) gets the discount, flagged unverified (ask the branch).
    result = quote(payer="apbdes", first_period="2026-06")
    assert result.total_idr == 8_400
    assert any(n.code == "discount_pp50_2025_unverified" for n in result.notes)
    # A deployment that learns otherwise replaces the discount without apbdes.
    shipped = (PARAMS_DIR / "discount_pp50_2025.toml").read_text(encoding="utf-8")
    text = shipped.replace('id = "discount-pp50-2025"', 'id = "pp50-no-apbdes"\nreplaces = ["discount-pp50-2025"]')
    text = text[: text.index("# Dana desa (APBDes)")]
    params = load_parameters([write_toml("pp50.toml", text)])
    result = quote(payer="apbdes", first_period="2026-06", params=params)
    assert result.total_idr == 16_800
    note = next(n for n in result.notes if n.code == "discount_pp50_2025_not_for_payer")
    assert "dana desa" in note.text_id
    assert quote(payer="self", first_period="2026-06", params=params).total_idr == 8_400


def test_state_funded_only_at_the_lowest_nominal_but_village_funds_may_declare_more():
    for payer in ("apbn", "apbd", "government"):
        with pytest.raises(RulesInputError) as info:
            quote(payer=payer, declared_income_idr=2_000_000, first_period="2025-06")
        assert "APBN/APBD" in info.value.message
    assert quote(payer="apbdes", declared_income_idr=2_000_000, first_period="2025-06").total_idr == 26_800


def test_old_payer_names_are_refused_in_discount_data(write_toml):
    shipped = (PARAMS_DIR / "discount_pp50_2025.toml").read_text(encoding="utf-8")
    text = shipped.replace('id = "discount-pp50-2025"', 'id = "old"\nreplaces = ["discount-pp50-2025"]')
    text = text.replace('payers = ["self", "non_state"]', 'payers = ["self", "other"]', 1)
    with pytest.raises(ParameterError, match="'other' is now 'non_state'") as info:
        load_parameters([write_toml("old.toml", text)])
    assert info.value.key == "rules[0].payers"


def test_funding_classes_are_exported():
    assert FUNDING_CLASSES == ("self", "apbn", "apbd", "apbdes", "non_state")
    assert set(FUNDING_CLASSES) < set(PAYERS) and PAYER_ALIASES == {"government": "apbd", "other": "non_state"}


def test_quote_across_a_discount_boundary_is_exact_per_month():
    result = quote(first_period="2026-01", months=6)
    by_period = {}
    for item in result.items:
        by_period[item.extra["period"]] = by_period.get(item.extra["period"], 0) + item.amount_idr
    assert by_period == {
        "2026-01": 16_800,
        "2026-02": 16_800,
        "2026-03": 16_800,
        "2026-04": 8_400,
        "2026-05": 8_400,
        "2026-06": 8_400,
    }
    assert result.total_idr == 3 * 16_800 + 3 * 8_400
    assert len(result.items) == 12


def test_twelve_months_transport_2026():
    result = quote(
        sector="transport", first_period="2026-01", months=12, programmes=["jkk", "jkm", "jht"]
    )
    assert result.total_idr == 12 * (8_400 + 20_000)


def test_year_end_advance_crosses_into_full_price():
    result = quote(first_period="2026-10", months=6)
    assert result.total_idr == 3 * 8_400 + 3 * 16_800


# --- PP 49/2020 (second discount) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2020-07", 16_800), ("2020-08", 100 + 68), ("2021-01", 168), ("2021-02", 16_800)],
)
def test_pp49_covid_discount(period, expected):
    result = quote(first_period=period)
    assert result.total_idr == expected
    if expected != 16_800:
        assert {item.extra["discount"] for item in result.items} == {"pp49_2020"}
        assert any(n.code == "discount_pp49_2020_unverified" for n in result.notes)


def test_pp49_not_for_jht_nor_government():
    assert quote(first_period="2020-08", programmes=["jkk", "jkm", "jht"]).total_idr == 20_168
    assert quote(first_period="2020-08", payer="government").total_idr == 16_800


def test_first_period_as_date():
    assert quote(first_period=dt.date(2026, 4, 1)).total_idr == 8_400


# --- bad inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declared_income_idr": 1_250_000}, "declared_income_idr"),  # not a bracket value
        ({"declared_income_idr": 20_800_000}, "declared_income_idr"),  # above the table
        ({"declared_income_idr": 900_000}, "declared_income_idr"),  # below the table
        ({"declared_income_idr": 2_000_000, "payer": "government"}, "declared_income_idr"),
        ({"declared_income_idr": -1_000_000}, "declared_income_idr"),
        ({"declared_income_idr": 1e6}, "declared_income_idr"),  # float is never money
        ({"declared_income_idr": "1000000"}, "declared_income_idr"),
        ({"programmes": ["jkk", "jkm", "jkp"]}, "programmes.2"),  # unknown programme
        ({"programmes": ["jkk"]}, "programmes"),  # JKM is mandatory
        ({"programmes": ["jkm", "jht"]}, "programmes"),  # JKK is mandatory
        ({"programmes": ["jkk", "jkm", "jkk"]}, "programmes.2"),
        ({"programmes": "jkk"}, "programmes"),
        ({"months": 2}, "months"),
        ({"months": 24}, "months"),
        ({"months": True}, "months"),
        ({"payer": "apbds"}, "payer"),
        ({"payer": "village"}, "payer"),
        ({"sector": "fishing"}, "sector"),
        ({"first_period": "2026-13"}, "first_period"),
        ({"first_period": "Jan 2026"}, "first_period"),
        ({"first_period": dt.date(2026, 1, 15)}, "first_period"),  # months are the 1st
        ({"first_period": "2015-06"}, "first_period"),  # before the first parameter set
    ],
)
def test_bad_input(changes, field):
    with pytest.raises(RulesInputError) as info:
        quote(**{"first_period": "2026-01", **changes})
    assert info.value.field == field
    assert info.value.message and info.value.message_en
    assert isinstance(info.value, ValueError)


# --- the whole bracket table ------------------------------------------------------------------


def _nominals():
    from jaring.rules import default_parameters

    return default_parameters().on(dt.date(2026, 1, 1)).value("income_brackets", "brackets_idr")


@pytest.mark.parametrize("income", _nominals())
def test_every_nominal_is_billable_with_jkk_1_and_jht_2_percent(income):
    result = quote(declared_income_idr=income, programmes=["jkk", "jkm", "jht"], first_period="2026-03")
    assert result.item("jkk").amount_idr * 100 == income
    assert result.item("jht").amount_idr * 50 == income
    assert result.item("jkm").amount_idr == 6_800
    assert result.total_idr == income * 3 // 100 + 6_800


@pytest.mark.parametrize(
    ("income", "jkk"), [(1_000_000, 10_000), (20_700_000, 207_000)]  # DOMAIN §2.1, both ends
)
def test_the_two_ends_of_the_table_are_verified(income, jkk):
    result = quote(declared_income_idr=income, first_period="2025-06")
    assert result.item("jkk").amount_idr == jkk
    assert not any(n.code.startswith("unverified_brackets") for n in result.notes)


def test_an_unverified_nominal_says_so():
    result = quote(declared_income_idr=5_000_000, first_period="2025-06")
    note = next(n for n in result.notes if n.code == "unverified_brackets_idr")
    assert "Rp5.000.000" in note.text_id and "[UNVERIFIED]" in note.text_en


def test_government_payer_uses_only_the_lowest_nominal():
    assert quote(payer="government", first_period="2025-06").total_idr == 16_800
    with pytest.raises(RulesInputError) as info:
        quote(payer="government", declared_income_idr=20_700_000, first_period="2025-06")
    assert info.value.field == "declared_income_idr" and "APBN/APBD" in info.value.message
    assert quote(payer="other", declared_income_idr=20_700_000, first_period="2025-06").total_idr == (
        207_000 + 6_800
    )


def test_bracket_table_from_extra_file(bracket_params):
    result = calculate_contribution(
        **{**BASE, "declared_income_idr": 2_000_000}, first_period="2026-03", params=bracket_params
    )
    assert result.total_idr == 20_000 + 6_800
    assert result.item("jkk").basis == "1% × Rp2.000.000"
