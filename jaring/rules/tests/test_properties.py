"""Hypothesis properties of the calculators and the loader."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaring.core.money import add_months, format_month
from jaring.rules import (
    ParameterError,
    RulesInputError,
    calculate_benefits,
    calculate_contribution,
    check_coverage,
    lapse_date,
    load_parameters,
    month_statuses,
)
from jaring.rules.parameters import PARAMS_DIR

from .conftest import BRACKETS_TOML, TEST_BRACKETS

PERIODS = st.integers(min_value=0, max_value=12 * 16).map(
    lambda n: format_month(add_months(dt.date(2016, 1, 1), n))
)
PROGRAMMES = st.sampled_from([["jkk", "jkm"], ["jkk", "jkm", "jht"]])
MONTHS = st.sampled_from([1, 3, 6, 12])
# Payers who may declare any nominal (APBN/APBD only the lowest: see below); old names too.
ANY_NOMINAL_PAYERS = st.sampled_from(["self", "non_state", "apbdes", "other"])
STATE_BUDGET = st.sampled_from(["apbn", "apbd", "government"])
SECTORS = st.sampled_from(["transport", "other"])
FIXTURE_OK = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)


@pytest.fixture(scope="module")
def test_brackets(tmp_path_factory):
    path = tmp_path_factory.mktemp("brackets") / "brackets.toml"
    path.write_text(BRACKETS_TOML, encoding="utf-8")
    return load_parameters([path])


@FIXTURE_OK
@given(
    income=st.sampled_from(TEST_BRACKETS),
    programmes=PROGRAMMES,
    period=PERIODS,
    months=MONTHS,
    payer=ANY_NOMINAL_PAYERS,
    sector=SECTORS,
)
def test_contribution_items_sum_to_total(
    test_brackets, income, programmes, period, months, payer, sector
):
    result = calculate_contribution(
        declared_income_idr=income,
        programmes=programmes,
        first_period=period,
        months=months,
        payer=payer,
        sector=sector,
        params=test_brackets,
    )
    data = result.to_dict()
    assert data["total_idr"] == sum(item["amount_idr"] for item in data["items"])
    assert len(result.items) == months * len(programmes)
    assert all(isinstance(item.amount_idr, int) and item.amount_idr >= 0 for item in result.items)


@FIXTURE_OK
@given(
    programmes=PROGRAMMES,
    period=PERIODS,
    months=MONTHS,
    sector=SECTORS,
    payer=STATE_BUDGET,
)
def test_government_payer_is_never_discounted(test_brackets, programmes, period, months, sector, payer):
    result = calculate_contribution(
        declared_income_idr=TEST_BRACKETS[0],
        programmes=programmes,
        first_period=period,
        months=months,
        payer=payer,
        sector=sector,
        params=test_brackets,
    )
    assert all(item.extra["discount"] is None for item in result.items)
    assert all(item.amount_idr == item.extra["base_amount_idr"] for item in result.items)


@FIXTURE_OK
@given(income=st.sampled_from(TEST_BRACKETS[1:]), period=PERIODS, sector=SECTORS, payer=STATE_BUDGET)
def test_government_payer_only_at_the_lowest_nominal(test_brackets, income, period, sector, payer):
    with pytest.raises(RulesInputError) as info:
        calculate_contribution(
            declared_income_idr=income,
            programmes=["jkk", "jkm"],
            first_period=period,
            months=1,
            payer=payer,
            sector=sector,
            params=test_brackets,
        )
    assert info.value.field == "declared_income_idr"


@FIXTURE_OK
@given(
    income=st.sampled_from(TEST_BRACKETS),
    period=PERIODS,
    months=MONTHS,
    payer=ANY_NOMINAL_PAYERS,
    sector=SECTORS,
)
def test_jht_is_never_discounted(test_brackets, income, period, months, payer, sector):
    result = calculate_contribution(
        declared_income_idr=income,
        programmes=["jkk", "jkm", "jht"],
        first_period=period,
        months=months,
        payer=payer,
        sector=sector,
        params=test_brackets,
    )
    jht = [item for item in result.items if item.code == "jht"]
    assert len(jht) == months
    assert all(
        item.extra["discount"] is None and item.amount_idr == income * 2 // 100 for item in jht
    )


@FIXTURE_OK
@given(
    pair=st.lists(st.sampled_from(TEST_BRACKETS), min_size=2, max_size=2, unique=True),
    programmes=PROGRAMMES,
    period=PERIODS,
    payer=ANY_NOMINAL_PAYERS,
    sector=SECTORS,
)
def test_contributions_never_fall_as_income_rises(
    test_brackets, pair, programmes, period, payer, sector
):
    low, high = sorted(pair)
    totals = [
        calculate_contribution(
            declared_income_idr=income,
            programmes=programmes,
            first_period=period,
            months=1,
            payer=payer,
            sector=sector,
            params=test_brackets,
        ).total_idr
        for income in (low, high)
    ]
    assert totals[0] <= totals[1]


ACCIDENT = st.fixed_dictionaries(
    {"outcome": st.sampled_from(["recovered", "total_disability", "death"])},
    optional={
        "stmb_months": st.integers(0, 60),
        "home_care_idr": st.integers(0, 50_000_000),
        "transport_idr": st.fixed_dictionaries(
            {}, optional={mode: st.integers(0, 30_000_000) for mode in ("land", "sea", "air")}
        ),
    },
)
CHILDREN = st.lists(
    st.fixed_dictionaries(
        {
            "birth_date": st.dates(dt.date(1995, 1, 1), dt.date(2025, 12, 31)).map(
                dt.date.isoformat
            ),
            "level": st.sampled_from(["TK", "SD", "SMP", "SMA", "PT", "belum_sekolah", "PAUD"]),
        },
        optional={"chosen": st.booleans()},
    ),
    max_size=5,  # more children than the scholarship covers is never an error
)


@FIXTURE_OK
@given(
    pair=st.lists(st.sampled_from(TEST_BRACKETS), min_size=2, max_size=2, unique=True),
    accident=ACCIDENT,
    children=CHILDREN,
)
def test_benefits_sum_and_never_fall_as_income_rises(test_brackets, pair, accident, children):
    low, high = sorted(pair)
    results = [
        calculate_benefits(
            {
                "event": "work_accident",
                "event_date": "2026-01-31",
                "declared_income_idr": income,
                "work_accident": accident,
                "children": children,
            },
            params=test_brackets,
        )
        for income in (low, high)
    ]
    for result in results:
        assert result.total_idr == sum(
            i.amount_idr for i in result.items if i.amount_idr is not None
        )
        # At most two scholarships, whatever the number of children.
        assert len([i for i in result.items if i.code == "scholarship"]) <= 2
    assert results[0].total_idr <= results[1].total_idr


@settings(max_examples=80, deadline=None)
@given(
    months=st.integers(1, 24),
    paid_mask=st.lists(st.booleans(), min_size=24, max_size=24),
    delay=st.integers(0, 40),
    as_of_offset=st.integers(0, 800),
)
def test_coverage_properties(months, paid_mask, delay, as_of_offset):
    start = dt.date(2026, 1, 1)
    paid = {
        add_months(start, i): add_months(start, i) + dt.timedelta(days=delay)
        for i in range(months)
        if paid_mask[i]
    }
    as_of = start + dt.timedelta(days=as_of_offset)
    lapsed = lapse_date(start, paid, as_of)
    statuses = month_statuses(start, paid, as_of)
    if lapsed is not None:
        assert lapsed <= as_of
        # Once ended, nothing after the lapse date is protected.
        later = lapsed + dt.timedelta(days=1)
        assert not check_coverage(start=start, paid=paid, event_date=later).protected
        assert all(status == "not_member" for month, status in statuses if month >= lapsed)
    # An event in a month with no payment is never protected.
    for month, status in statuses:
        if month not in paid and status != "not_member":
            event = month + dt.timedelta(days=3)
            assert not check_coverage(start=start, paid=paid, event_date=event).protected


# --- loader ---------------------------------------------------------------------------------

CONTRIBUTION = (PARAMS_DIR / "contribution_2015.toml").read_text(encoding="utf-8")


def _set(index: int, start: dt.date, end: dt.date | None) -> str:
    dates = f"effective_from = {start.isoformat()}"
    if end is not None:
        dates += f"\neffective_to = {end.isoformat()}"
    return CONTRIBUTION.replace('id = "contribution-bpu-2015"', f'id = "c-{index}"').replace(
        "effective_from = 2015-07-01", dates
    )


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None
)
@given(
    lengths=st.lists(st.integers(31, 400), min_size=1, max_size=3),
    shift=st.integers(-30, 30),
    broken=st.integers(0, 2),
)
def test_loader_refuses_overlaps_and_gaps(tmp_path_factory, lengths, shift, broken):
    """Chain closed ranges after the shipped set; shifting one start by ``shift`` days makes
    an overlap (< 0) or a gap (> 0), and the loader must refuse exactly those."""
    folder = tmp_path_factory.mktemp("chain")
    start = dt.date(2030, 1, 1)
    broken %= len(lengths)
    for index, length in enumerate(lengths):
        end = start + dt.timedelta(days=length - 1)
        # Ranges are longer than any shift, so each range stays valid on its own.
        actual_start = start + dt.timedelta(days=shift) if index == broken else start
        (folder / f"c{index}.toml").write_text(_set(index, actual_start, end), encoding="utf-8")
        start = end + dt.timedelta(days=1)
    if broken == 0 or shift == 0:
        # Moving the first extra set only moves its hand-off from the open-ended shipped set.
        assert load_parameters([folder]).on(dt.date(2030, 1, 1))
    else:
        with pytest.raises(ParameterError, match="overlap" if shift < 0 else "gap"):
            load_parameters([folder])
