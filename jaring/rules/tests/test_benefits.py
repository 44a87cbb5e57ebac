"""Benefit calculator: every rule of DOMAIN §2.2, scholarships, claim window, bad inputs."""

from __future__ import annotations

import pytest

from jaring.rules import RulesInputError, calculate_benefits, load_parameters

from .conftest import BRACKETS_TOML

INCOME = 1_000_000


def accident(outcome: str = "recovered", children=None, **details):
    case = {
        "event": "work_accident",
        "event_date": "2026-02-10",
        "declared_income_idr": INCOME,
        "contribution_months": 10,
        "work_accident": {"outcome": outcome, **details},
    }
    if children is not None:
        case["children"] = children
    return case


def jkm(months: int = 40, children=None, **changes):
    case = {
        "event": "death",
        "event_date": "2026-02-10",
        "declared_income_idr": INCOME,
        "contribution_months": months,
        **changes,
    }
    if children is not None:
        case["children"] = children
    return case


def amounts(result) -> dict[str, int | None]:
    return {item.code: item.amount_idr for item in result.items if item.code != "scholarship"}


# --- JKK ------------------------------------------------------------------------------------


def test_medical_care_has_no_ceiling_and_no_amount():
    result = calculate_benefits(accident())
    medical = result.item("jkk_medical")
    assert medical.amount_idr is None and "tanpa batas" in medical.basis
    assert result.total_idr == 0
    assert result.to_dict()["items"][0]["amount_idr"] is None


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [(5_000_000, 5_000_000), (20_000_000, 20_000_000), (25_000_000, 20_000_000)],
)
def test_home_care_cap(claimed, expected):
    item = calculate_benefits(accident(home_care_idr=claimed)).item("jkk_home_care")
    assert item.amount_idr == expected
    assert item.extra["capped"] is (claimed > 20_000_000)
    assert "12 bulan" in item.basis


@pytest.mark.parametrize(
    ("mode", "claimed", "expected"),
    [
        ("land", 4_000_000, 4_000_000),
        ("land", 9_000_000, 5_000_000),
        ("sea", 1_500_000, 1_500_000),
        ("sea", 3_000_000, 2_000_000),
        ("air", 12_000_000, 10_000_000),
        ("air", 10_000_000, 10_000_000),
    ],
)
def test_transport_caps_per_mode(mode, claimed, expected):
    result = calculate_benefits(accident(transport_idr={mode: claimed}))
    assert result.item(f"jkk_transport_{mode}").amount_idr == expected


def test_each_transport_mode_has_its_own_cap():
    result = calculate_benefits(
        accident(transport_idr={"land": 9_000_000, "sea": 9_000_000, "air": 20_000_000})
    )
    assert result.total_idr == 5_000_000 + 2_000_000 + 10_000_000


@pytest.mark.parametrize(
    ("months", "expected"), [(1, 1_000_000), (12, 12_000_000), (13, 12_500_000), (20, 16_000_000)]
)
def test_stmb(months, expected):
    item = calculate_benefits(accident(stmb_months=months)).item("jkk_stmb")
    assert item.amount_idr == expected


def test_stmb_basis_shows_both_parts():
    item = calculate_benefits(accident(stmb_months=14)).item("jkk_stmb")
    assert item.basis == "12 bulan × 100% × Rp1.000.000 + 2 bulan × 50% × Rp1.000.000"


@pytest.mark.parametrize(
    ("percent", "function_loss", "expected"),
    [
        (10, None, 8_000_000),  # 10% × 80 × 1.000.000
        (40, None, 32_000_000),
        (12.5, None, 10_000_000),  # decimal percentages from JSON stay exact
        (10, 50, 4_000_000),  # × 50% of function lost
        (35, 30, 8_400_000),
    ],
)
def test_partial_disability(percent, function_loss, expected):
    details = {"disability_percent": percent}
    if function_loss is not None:
        details["function_loss_percent"] = function_loss
    result = calculate_benefits(accident("partial_disability", **details))
    assert result.item("jkk_partial_disability").amount_idr == expected


def test_an_unverified_income_nominal_is_flagged():
    result = calculate_benefits({**accident("total_disability"), "declared_income_idr": 3_000_000})
    assert any(n.code == "unverified_brackets_idr" for n in result.notes)
    assert not any(n.code == "unverified_brackets_idr" for n in calculate_benefits(accident()).notes)


def test_total_disability_is_56_times_income():
    result = calculate_benefits(accident("total_disability"))
    item = result.item("jkk_total_disability")
    assert item.amount_idr == 56 * INCOME
    assert item.basis == "70% × 80 × Rp1.000.000"


def test_jkk_death():
    result = calculate_benefits(accident("death"))
    assert amounts(result) == {
        "jkk_medical": None,
        "jkk_death": 48_000_000,
        "jkk_funeral": 10_000_000,
        "jkk_periodic": 12_000_000,
    }
    assert result.total_idr == 70_000_000


def test_jkk_death_above_the_floor():
    item = calculate_benefits(accident("death")).item("jkk_death")
    assert item.amount_idr == 48_000_000 and item.extra["floor_applied"] is False


def test_jkk_death_floor_is_the_jkm_lump_sum(write_toml):
    # With the real lowest bracket 48 × upah is above the floor; a made-up lower bracket is
    # the only way to exercise the floor.
    params = load_parameters(
        [
            write_toml(
                "b.toml", BRACKETS_TOML.replace("value = [1000000,", "value = [300000, 1000000,")
            )
        ]
    )
    item = calculate_benefits(
        {**accident("death"), "declared_income_idr": 300_000}, params=params
    ).item("jkk_death")
    assert item.amount_idr == 20_000_000  # 48 × 300.000 = 14.400.000 < JKM lump sum
    assert item.extra["floor_applied"] is True


def test_total_disability_adds_the_periodic_allowance():
    # DOMAIN §2.2: 56 × upah + periodic allowance Rp12.000.000 (paid at once) + scholarship.
    result = calculate_benefits(accident("total_disability"))
    assert amounts(result) == {
        "jkk_medical": None,
        "jkk_total_disability": 56_000_000,
        "jkk_periodic": 12_000_000,
    }
    periodic = result.item("jkk_periodic")
    assert periodic.label == "Santunan berkala, dibayar sekaligus (JKK)"
    assert "PP 82/2019" in periodic.citation
    assert "jkk_periodic" not in calculate_benefits(accident("partial_disability", disability_percent=10)).codes()
    assert calculate_benefits(accident("death")).item("jkk_periodic").amount_idr == 12_000_000


def test_full_accident_case_sums_its_items():
    result = calculate_benefits(
        accident(
            "total_disability",
            stmb_months=14,
            home_care_idr=25_000_000,
            transport_idr={"land": 6_000_000, "sea": 1_000_000},
        )
    )
    assert result.total_idr == (
        13_000_000 + 20_000_000 + 5_000_000 + 1_000_000 + 56_000_000 + 12_000_000
    )
    assert result.total_idr == sum(i.amount_idr for i in result.items if i.amount_idr)


# --- JKM ------------------------------------------------------------------------------------


def test_jkm_death_is_42_million():
    result = calculate_benefits(jkm())
    assert amounts(result) == {
        "jkm_lump_sum": 20_000_000,
        "jkm_periodic": 12_000_000,
        "jkm_funeral": 10_000_000,
    }
    assert result.total_idr == 42_000_000
    assert result.eligible


# --- scholarship ----------------------------------------------------------------------------

SD_CHILD = {"birth_date": "2017-05-01", "level": "SD"}


@pytest.mark.parametrize(
    ("level", "first_year", "maximum"),
    [
        ("TK", 1_500_000, 87_000_000),
        ("SD", 1_500_000, 87_000_000),
        ("SMP", 2_000_000, 75_000_000),
        ("SMA", 3_000_000, 69_000_000),
        ("PT", 12_000_000, 60_000_000),
    ],
)
def test_scholarship_per_level(level, first_year, maximum):
    child = {"birth_date": "2010-01-01", "level": level}
    item = calculate_benefits(accident("death", children=[child])).item("scholarship")
    assert item.amount_idr == first_year
    assert item.extra["max_total_idr"] == maximum
    assert item.extra["child"] == 1 and item.extra["level"] == level


def test_scholarship_basis_spells_out_the_sd_maximum():
    item = calculate_benefits(accident("death", children=[SD_CHILD])).item("scholarship")
    assert (
        "8 × Rp1.500.000 + 3 × Rp2.000.000 + 3 × Rp3.000.000 + 5 × Rp12.000.000 = Rp87.000.000"
    ) in item.basis


@pytest.mark.parametrize(
    ("case", "paid"),
    [
        (accident("death", children=[SD_CHILD]), True),
        (accident("total_disability", children=[SD_CHILD]), True),
        (accident("partial_disability", children=[SD_CHILD], disability_percent=10), False),
        (accident("recovered", children=[SD_CHILD]), False),
        (jkm(36, children=[SD_CHILD]), True),
        (jkm(35, children=[SD_CHILD]), False),
        (jkm(0, children=[SD_CHILD]), False),
    ],
)
def test_scholarship_triggers(case, paid):
    result = calculate_benefits(case)
    assert ("scholarship" in result.codes()) is paid
    assert result.eligible
    if not paid:
        assert result.reasons, "a missing scholarship must say why"


def test_jkm_36_month_rule_reason():
    result = calculate_benefits(jkm(35, children=[SD_CHILD]))
    assert result.reasons[0].code == "scholarship_min_contributions"
    assert "36" in result.to_dict()["reasons"][0] and "35" in result.to_dict()["reasons"][0]
    assert result.total_idr == 42_000_000


def test_two_children_each_get_an_item():
    children = [SD_CHILD, {"birth_date": "2008-03-01", "level": "SMA"}]
    result = calculate_benefits(jkm(48, children=children))
    items = [i for i in result.items if i.code == "scholarship"]
    assert [(i.extra["child"], i.amount_idr) for i in items] == [(1, 1_500_000), (2, 3_000_000)]
    assert result.total_idr == 42_000_000 + 4_500_000


def scholarship_children(result) -> list[tuple[int, int | None]]:
    return [(i.extra["child"], i.amount_idr) for i in result.items if i.code == "scholarship"]


def note(result, code: str):
    return next(n for n in result.notes if n.code == code)


FOUR_CHILDREN = [
    {"birth_date": "2008-03-01", "level": "SMA"},
    {"birth_date": "2012-06-01", "level": "SMP"},
    SD_CHILD,
    {"birth_date": "2020-01-01", "level": "TK"},
]


def test_more_children_than_covered_takes_the_first_two_and_says_so():
    result = calculate_benefits(jkm(48, children=FOUR_CHILDREN))
    assert result.eligible and not result.reasons
    assert scholarship_children(result) == [(1, 3_000_000), (2, 2_000_000)]
    said = note(result, "scholarship_max_children")
    assert "anak ke-1 dan anak ke-2" in said.text_id and "belum ada pilihan" in said.text_id
    assert "anak ke-3 dan anak ke-4 tidak dihitung" in said.text_id
    assert "Keluarga boleh memilih 2 anak" in said.text_id
    assert "child 1 and child 2" in said.text_en and "may choose which 2" in said.text_en


def test_the_family_chooses_which_two():
    children = [FOUR_CHILDREN[0], FOUR_CHILDREN[1], {**SD_CHILD, "chosen": True},
                {**FOUR_CHILDREN[3], "chosen": True}]  # fmt: skip
    result = calculate_benefits(accident("death", children=children))
    assert scholarship_children(result) == [(3, 1_500_000), (4, 1_500_000)]
    said = note(result, "scholarship_max_children")
    assert "anak ke-3 dan anak ke-4 (pilihan keluarga)" in said.text_id
    assert all(i.extra["chosen"] for i in result.items if i.code == "scholarship")


def test_one_child_chosen_the_rest_in_order_and_too_many_chosen_never_fail():
    one = [*FOUR_CHILDREN[:3], {**FOUR_CHILDREN[3], "chosen": True}]
    result = calculate_benefits(jkm(48, children=one))
    assert scholarship_children(result) == [(1, 3_000_000), (4, 1_500_000)]
    assert "dilengkapi menurut urutan" in note(result, "scholarship_max_children").text_id
    every = [{**child, "chosen": True} for child in FOUR_CHILDREN]
    assert scholarship_children(calculate_benefits(jkm(48, children=every))) == [
        (1, 3_000_000),
        (2, 2_000_000),
    ]


def test_a_child_too_old_does_not_take_a_place():
    children = [{"birth_date": "1999-01-01", "level": "PT"}, *FOUR_CHILDREN[1:]]
    result = calculate_benefits(jkm(48, children=children))
    assert scholarship_children(result) == [(2, 2_000_000), (3, 1_500_000)]
    assert [r.code for r in result.reasons] == ["scholarship_child_too_old"]
    assert "anak ke-4 tidak dihitung" in note(result, "scholarship_max_children").text_id


def test_two_children_or_fewer_need_no_choice():
    result = calculate_benefits(jkm(48, children=FOUR_CHILDREN[:2]))
    assert not any(n.code == "scholarship_max_children" for n in result.notes)


@pytest.mark.parametrize("level", ["belum_sekolah", "PAUD", None, ""])
def test_a_child_not_in_school_yet_is_counted_without_an_amount(level):
    baby = {"birth_date": "2024-05-01"} if level is None else {"birth_date": "2024-05-01", "level": level}
    result = calculate_benefits(accident("death", children=[SD_CHILD, baby, FOUR_CHILDREN[0]]))
    assert scholarship_children(result) == [(1, 1_500_000), (2, 0)]  # the third is not counted
    item = [i for i in result.items if i.code == "scholarship"][1]
    assert item.extra["in_school"] is False and item.extra["max_total_idr"] == 87_000_000
    assert item.label == "Beasiswa pendidikan anak ke-2 (belum sekolah)"
    assert item.basis.startswith("belum sekolah: dibayar mulai anak masuk sekolah")
    said = note(result, "scholarship_pre_school")
    assert said.text_id.startswith("Anak ke-2 belum sekolah") and "masuk sekolah" in said.text_id
    assert said.text_en.startswith("Child 2 not in school yet")
    assert result.total_idr == 48_000_000 + 10_000_000 + 12_000_000 + 1_500_000


def test_only_children_not_in_school_yet():
    result = calculate_benefits(jkm(48, children=[{"birth_date": "2025-01-01", "level": "belum_sekolah"}]))
    assert scholarship_children(result) == [(1, 0)]
    assert result.total_idr == 42_000_000


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [
        ("2003-02-11", True),  # 22 on the event date (2026-02-10)
        ("2003-02-10", False),  # 23rd birthday on the event date
        ("1999-01-01", False),
    ],
)
def test_scholarship_ends_at_23(birth, eligible):
    result = calculate_benefits(accident("death", children=[{"birth_date": birth, "level": "PT"}]))
    assert ("scholarship" in result.codes()) is eligible
    if not eligible:
        assert result.reasons[0].code == "scholarship_child_too_old"


# --- claim window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "eligible"),
    [("2026-02-10", True), ("2031-02-10", True), ("2031-02-11", False), ("2035-01-01", False)],
)
def test_jkk_claim_window_is_five_years(as_of, eligible):
    result = calculate_benefits(accident("death"), as_of=as_of)
    assert result.eligible is eligible
    if not eligible:
        assert result.reasons[0].code == "jkk_claim_lapsed"
        assert result.total_idr == 0 and result.items == ()
        assert "5 tahun" in result.to_dict()["reasons"][0]


def test_claim_window_on_29_february():
    case = {**accident(), "event_date": "2024-02-29"}
    assert calculate_benefits(case, as_of="2029-03-01").eligible
    assert not calculate_benefits(case, as_of="2029-03-02").eligible


# --- bilingual output -----------------------------------------------------------------------


def test_english_variant():
    data = calculate_benefits(jkm(10, children=[SD_CHILD])).to_dict(lang="en")
    assert data["items"][0]["label"] == "Death lump sum (JKM)"
    assert data["items"][0]["label_id"] == "Santunan kematian sekaligus (JKM)"
    assert data["reasons"][0].startswith("The JKM scholarship needs at least 36")
    assert set(data) == {"total_idr", "items", "eligible", "reasons", "notes"}


# --- bad inputs -----------------------------------------------------------------------------


def without(case: dict, key: str) -> dict:
    return {k: v for k, v in case.items() if k != key}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({**jkm(), "event": "illness"}, "event"),
        (without(jkm(), "event"), "event"),
        ({**jkm(), "event_date": "2026-02-30"}, "event_date"),
        ({**jkm(), "event_date": "10/02/2026"}, "event_date"),
        ({**jkm(), "event_date": "2019-01-01"}, "event_date"),  # before the first benefit set
        ({**jkm(), "declared_income_idr": 1_250_000}, "declared_income_idr"),
        ({**jkm(), "declared_income_idr": -1}, "declared_income_idr"),
        (without(jkm(), "declared_income_idr"), "declared_income_idr"),
        ({**jkm(), "contribution_months": -1}, "contribution_months"),
        (without(jkm(), "contribution_months"), "contribution_months"),
        ({**jkm(), "work_accident": {"outcome": "death"}}, "work_accident"),
        ({**jkm(), "income": 1}, "income"),
        (without(accident(), "work_accident"), "work_accident"),
        (accident("fell"), "work_accident.outcome"),
        (accident(stmb_months=-2), "work_accident.stmb_months"),
        (accident(home_care_idr=-5), "work_accident.home_care_idr"),
        (accident(home_care_idr=1.5), "work_accident.home_care_idr"),
        (accident(transport_idr={"sea": -1}), "work_accident.transport_idr.sea"),
        (accident(transport_idr={"rail": 1}), "work_accident.transport_idr.rail"),
        (accident("partial_disability"), "work_accident.disability_percent"),
        (accident("partial_disability", disability_percent=0), "work_accident.disability_percent"),
        (
            accident("partial_disability", disability_percent=120),
            "work_accident.disability_percent",
        ),
        (
            accident("partial_disability", disability_percent=10, function_loss_percent=-5),
            "work_accident.function_loss_percent",
        ),
        (accident("total_disability", disability_percent=10), "work_accident.disability_percent"),
        (accident(colour="red"), "work_accident.colour"),
        (jkm(children=[{**SD_CHILD, "chosen": "yes"}]), "children.0.chosen"),
        (jkm(children=[{**SD_CHILD, "level": "TK/SD"}]), "children.0.level"),
        (jkm(children=[{"birth_date": "2017-05-01", "level": "S1"}]), "children.0.level"),
        (jkm(children=[{"birth_date": "2017-31-01", "level": "SD"}]), "children.0.birth_date"),
        (jkm(children=[{"birth_date": "2027-01-01", "level": "SD"}]), "children.0.birth_date"),
        (jkm(children=[{"level": "SD"}]), "children.0.birth_date"),
        (jkm(children=[SD_CHILD, {**SD_CHILD, "name": "x"}]), "children.1.name"),
        (jkm(children="two"), "children"),
        ("not a case", "case"),
    ],
)
def test_bad_input(case, field):
    with pytest.raises(RulesInputError) as info:
        calculate_benefits(case)
    assert info.value.field == field
    assert info.value.message and info.value.message_en


def test_bad_claim_date():
    with pytest.raises(RulesInputError) as info:
        calculate_benefits(accident(), as_of="2026-01-01")
    assert info.value.field == "as_of"
