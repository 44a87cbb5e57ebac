"""NIK and KK rules (DOMAIN §3) as pure functions returning structured findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jaring.registry.identity import ERROR, WARNING, Finding, clean_digits, kk_findings, nik_findings
from jaring.registry.testing import make_kk, make_nik

ASCII_DIGITS = "0123456789"
# A man born 14-03-1985 registered in Kota Sorong (9271 01), serial 0001.
MAN = "9271011403850001"
# A woman born 15-08-1990: day 55 = 15 + 40.
WOMAN = "9271015508900001"


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def errors(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings if f.severity == ERROR]


def warnings(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings if f.severity == WARNING]


# --- NIK: examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("nik", [
    MAN, WOMAN,
    "9271010101000001",   # 1 January (20)00
    "9271013112999999",   # 31 December (19)99, highest serial
    "9271017112990001",   # a woman born 31-12: day 71, the highest allowed
    "9271014101000001",   # a woman born 01-01: day 41, the lowest allowed
    "9271012902000001",   # 29 February 2000 exists
    "9271016902960001",   # a woman born 29 February 1996
])
def test_valid_niks_have_no_findings(nik):
    assert nik_findings(nik) == []


@pytest.mark.parametrize("nik", [
    "3271011403850001",   # Kota Bogor (Jawa Barat)
    "1171011403850001",   # Kota Banda Aceh, province 11: the lowest province code
    "3578015508900001",   # Kota Surabaya, a woman
    "9471011403850001",   # Kota Jayapura
])
def test_a_foreign_prefix_is_accepted(nik):
    """A NIK is for life: its prefix says where it was issued, not where the person lives."""
    assert nik_findings(nik, birth_date=None, sex=None) == []


@pytest.mark.parametrize("raw", [
    "9271-0114-0385-0001", "9271 0114 0385 0001", "9271.0114.0385.0001", f"  {MAN}  ", f"{MAN}\n",
])
def test_spaces_dots_and_dashes_typed_inside_are_ignored(raw):
    assert clean_digits(raw.strip()) == MAN
    assert nik_findings(raw) == []


@pytest.mark.parametrize("raw, code", [
    ("", "nik_required"),
    ("   ", "nik_required"),
    ("3.27E+15", "nik_float"),
    ("9.27101E+15", "nik_float"),
    ("9,27101E+15", "nik_not_digits"),          # a comma decimal is not a NIK either
    ("9.271011403850001e15", "nik_float"),
    ("927101140385000", "nik_length"),          # 15 digits: a leading digit lost
    ("92710114038500012", "nik_length"),        # 17 digits
    ("271011403850001", "nik_length"),          # Excel stripped a leading digit
    ("9271O11403850001", "nik_not_digits"),     # letter O for zero
    ("NIK 9271011403850001", "nik_not_digits"),
    ("9271011403850001/2", "nik_not_digits"),
])
def test_malformed_niks_are_errors(raw, code):
    findings = nik_findings(raw)
    assert codes(findings) == [code]
    assert findings[0].severity == ERROR and findings[0].is_error
    assert findings[0].field == "nik"
    assert findings[0].message  # a reason a person can read


def test_a_float_mangled_nik_is_never_repaired():
    findings = nik_findings("3.27E+15")
    assert errors(findings) == ["nik_float"]
    assert "3.27E+15" in findings[0].message


def test_length_message_says_how_many_digits():
    assert "15" in nik_findings("927101140385000")[0].message
    assert "17" in nik_findings("92710114038500012")[0].message


@pytest.mark.parametrize("day, ok", [
    ("00", False), ("01", True), ("31", True), ("32", False), ("35", False), ("40", False),
    ("41", True), ("71", True), ("72", False), ("99", False),
])
def test_day_must_be_01_31_or_41_71(day, ok):
    nik = f"927101{day}0385" + "0001"
    assert ("nik_day" not in errors(nik_findings(nik))) is ok


@pytest.mark.parametrize("month, ok", [("00", False), ("01", True), ("12", True), ("13", False), ("99", False)])
def test_month_must_be_01_12(month, ok):
    nik = f"92710114{month}85" + "0001"
    assert ("nik_month" not in errors(nik_findings(nik))) is ok


def test_serial_0000_is_an_error():
    assert errors(nik_findings("9271011403850000")) == ["nik_serial"]
    assert nik_findings("9271011403850010") == []


def test_several_structural_errors_are_reported_together():
    assert sorted(errors(nik_findings("9271019913850000"))) == ["nik_day", "nik_month", "nik_serial"]


def test_a_province_code_below_11_is_an_error():
    assert errors(nik_findings("0971011403850001")) == ["nik_province"]
    assert errors(nik_findings("1071011403850001")) == ["nik_province"]


@pytest.mark.parametrize("nik", [
    "9271013102850001",   # 31 February
    "9271017102850001",   # a woman's 31 February
    "9271013104850001",   # 31 April
    "9271012902010001",   # 29 February (19)01/(20)01: no leap year
])
def test_a_date_that_is_not_in_the_calendar_is_an_error(nik):
    assert errors(nik_findings(nik)) == ["nik_date"]


def test_birth_date_mismatch_is_a_warning_not_an_error():
    findings = nik_findings(MAN, birth_date=dt.date(1985, 3, 15), sex="M")
    assert errors(findings) == []
    assert warnings(findings) == ["nik_birth_date_mismatch"]
    assert findings[0].field == "birth_date"
    assert "15-03-1985" in findings[0].message


def test_a_birth_year_a_century_apart_is_the_same_yy():
    assert nik_findings("9271011403000001", birth_date=dt.date(2000, 3, 14), sex="M") == []
    assert nik_findings("9271011403000001", birth_date=dt.date(1900, 3, 14), sex="M") == []
    assert warnings(nik_findings("9271011403000001", birth_date=dt.date(2001, 3, 14))) == [
        "nik_birth_date_mismatch"]


def test_sex_mismatch_is_a_warning_not_an_error():
    findings = nik_findings(WOMAN, birth_date=dt.date(1990, 8, 15), sex="M")
    assert errors(findings) == []
    assert warnings(findings) == ["nik_sex_mismatch"]
    assert findings[0].field == "sex"
    assert "perempuan" in findings[0].message
    assert warnings(nik_findings(MAN, sex="F")) == ["nik_sex_mismatch"]


def test_a_womans_birth_date_is_compared_without_the_40():
    assert nik_findings(WOMAN, birth_date=dt.date(1990, 8, 15), sex="F") == []
    # Reading day 55 literally, or forgetting the offset, must not pass as the 15th for a man.
    assert warnings(nik_findings(WOMAN, birth_date=dt.date(1990, 8, 15), sex="M")) == ["nik_sex_mismatch"]


def test_both_mismatches_are_reported():
    findings = nik_findings(MAN, birth_date=dt.date(1986, 3, 14), sex="F")
    assert sorted(warnings(findings)) == ["nik_birth_date_mismatch", "nik_sex_mismatch"]
    assert errors(findings) == []


def test_unknown_sex_is_not_compared():
    assert nik_findings(WOMAN, sex=None) == []
    assert nik_findings(WOMAN, sex="") == []


def test_an_error_hides_the_warnings():
    """A malformed NIK cannot be compared with anything: only the error is reported."""
    assert codes(nik_findings("9271011403850000", birth_date=dt.date(1999, 1, 1), sex="F")) == ["nik_serial"]


def test_findings_name_a_custom_field():
    assert nik_findings("123", field="members-0-nik")[0].field == "members-0-nik"


@pytest.mark.parametrize("raw", [
    "٩٢٧١٠١١٤٠٣٨٥٠٠٠١",    # Arabic-Indic digits for 9271011403850001
    "927101140385000²",     # a superscript two in the serial
    "９２７１０１１４０３８５０００１",  # full-width digits
])
def test_non_ascii_digits_are_an_error(raw):
    assert errors(nik_findings(raw)) == ["nik_not_digits"]


@pytest.mark.parametrize("check", [nik_findings, kk_findings])
def test_a_superscript_digit_in_the_date_gives_a_finding_not_a_crash(check):
    findings = check("9271011403²50001")
    assert findings and findings[0].severity == ERROR


# --- NIK: properties ------------------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
sexes = st.sampled_from(["M", "F"])
regions = st.builds(lambda p, rest: f"{p:02d}{rest:04d}", st.integers(11, 99), st.integers(0, 9999))
serials = st.integers(min_value=0, max_value=10**7)


@settings(max_examples=300, deadline=None)
@given(birth_date=birth_dates, sex=sexes, region=regions, serial=serials)
def test_any_generated_nik_is_valid_and_decodes_to_its_birth_date_and_sex(birth_date, sex, region, serial):
    nik = make_nik(region=region, birth_date=birth_date, sex=sex, serial=serial)
    assert len(nik) == 16 and all(c in ASCII_DIGITS for c in nik)
    assert nik_findings(nik) == []
    assert nik_findings(nik, birth_date=birth_date, sex=sex) == []
    # It decodes to exactly that sex and that day: the other sex, or another day, is flagged.
    other_sex = "F" if sex == "M" else "M"
    assert warnings(nik_findings(nik, birth_date=birth_date, sex=other_sex)) == ["nik_sex_mismatch"]
    for other_day in (birth_date + dt.timedelta(days=1), birth_date - dt.timedelta(days=1)):
        assert warnings(nik_findings(nik, birth_date=other_day, sex=sex)) == ["nik_birth_date_mismatch"]
    if (birth_date.month, birth_date.day) != (2, 29):  # the same day a year later: only YY differs
        other_year = birth_date.replace(year=birth_date.year + 1)
        assert warnings(nik_findings(nik, birth_date=other_year, sex=sex)) == ["nik_birth_date_mismatch"]


def is_16_ascii_digits(text: str) -> bool:
    cleaned = clean_digits(text.strip())
    return len(cleaned) == 16 and all(c in ASCII_DIGITS for c in cleaned)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_string_that_is_not_16_digits_is_an_error(text):
    # Non-ASCII digits are excluded here: test_non_ascii_digits_are_an_error covers them (a known bug).
    assume(not any(c.isdigit() and c not in ASCII_DIGITS for c in text))
    assume(not is_16_ascii_digits(text))
    findings = nik_findings(text)
    assert findings and all(f.severity == ERROR for f in findings)


@settings(max_examples=300, deadline=None)
@given(digits=st.text(alphabet=ASCII_DIGITS, min_size=0, max_size=30).filter(lambda s: len(s) != 16))
def test_any_digit_string_of_the_wrong_length_is_a_length_error(digits):
    assert codes(nik_findings(digits)) == (["nik_required"] if not digits else ["nik_length"])


@settings(max_examples=200, deadline=None)
@given(mantissa=st.decimals(min_value=1, max_value=Decimal("9.99"), places=2), exponent=st.integers(10, 20))
def test_any_scientific_notation_is_a_float_error(mantissa, exponent):
    assert codes(nik_findings(f"{mantissa}E+{exponent}")) == ["nik_float"]
    assert codes(kk_findings(f"{mantissa}E+{exponent}")) == ["kk_float"]


# --- KK -------------------------------------------------------------------------------------------


def test_a_valid_kk_has_no_findings():
    assert kk_findings("9271010203150007") == []
    assert kk_findings("9271-0102-0315-0007") == []


def test_an_empty_kk_is_allowed():
    assert kk_findings("") == []
    assert kk_findings("  ") == []


@pytest.mark.parametrize("raw, code", [
    ("9.27101E+15", "kk_float"),
    ("927101020315000", "kk_length"),
    ("92710102031500071", "kk_length"),
    ("9271O10203150007", "kk_not_digits"),
    ("9271010203150000", "kk_serial"),
    ("0000000000000000", "kk_serial"),
])
def test_malformed_kk_numbers_are_errors(raw, code):
    findings = kk_findings(raw)
    assert codes(findings) == [code]
    assert findings[0].severity == ERROR and findings[0].field == "kk_number"


@pytest.mark.parametrize("raw", [
    "9271019903150007",   # day 99
    "9271014103150007",   # day 41: a KK has no +40 for women
    "9271010213150007",   # month 13
    "9271013102150007",   # 31 February
])
def test_an_odd_kk_issue_date_is_a_warning_not_an_error(raw):
    findings = kk_findings(raw)
    assert codes(findings) == ["kk_date"] and findings[0].severity == WARNING


@settings(max_examples=200, deadline=None)
@given(issued=birth_dates, region=regions, serial=serials)
def test_any_generated_kk_is_valid(issued, region, serial):
    kk = make_kk(region=region, issued=issued, serial=serial)
    assert len(kk) == 16
    assert kk_findings(kk) == []
