"""What a parameter file may contain, and how each value is checked.

The families and their keys are engine vocabulary (code); the values and citations are data
(TOML under ``params/``). A file must give every key of its family and nothing else, so a typo
cannot silently leave a value at some default.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeGuard

from jaring.rules.errors import ParameterError

PROGRAMMES = ("jkk", "jkm", "jht")
# Categories of Indonesian days off in the ``holidays`` package: "public" are the national
# holidays (libur nasional), "government" the joint leave days (cuti bersama).
HOLIDAY_CATEGORIES = ("public", "government")
# Whose money pays a contribution. Regulations treat contributions by their funding source, not
# by the payer's name (DOMAIN §2.1; PP 50/2025 excludes BPU "whose JKK/JKM is paid from
# APBN/APBD"):
#   self      the worker's own money (mandiri);
#   apbn      the national budget;
#   apbd      a province's or a city's budget, including dana kelurahan (city APBD: UU 23/2014
#             art. 230, PP 17/2018) and Otsus money (managed through APBD: PP 107/2021);
#   apbdes    a village budget (dana desa): whether it counts as state money for a discount is
#             unclear, so each discount lists it or not (parameter data);
#   non_state CSR, banks, zakat bodies, churches and other private donors.
FUNDING_CLASSES = ("self", "apbn", "apbd", "apbdes", "non_state")
# The classes a regulation calls "APBN/APBD" (vocabulary for messages, not a rule: which classes a
# discount excludes or which must use the lowest nominal is parameter data).
STATE_BUDGET_CLASSES = ("apbn", "apbd")
# Old payer names, still accepted from callers until they migrate: "government" was a city or
# province (APBD), "other" everyone else (now non_state; a village fund is apbdes).
PAYER_ALIASES = {"government": "apbd", "other": "non_state"}
# Every payer a calculator accepts: the funding classes, then the old names.
PAYERS = (*FUNDING_CLASSES, *PAYER_ALIASES)
SECTORS = ("transport", "other")


class Kind(StrEnum):
    IDR = "idr"  # int rupiah >= 0
    COUNT = "count"  # int >= 0 (months, years, days, ages, factors)
    RATE = "rate"  # Decimal from a quoted string, 0..1
    BOOL = "bool"
    INT_LIST = "int_list"  # strictly increasing positive ints
    # Strictly increasing rupiah amounts, each either a bare int or a table
    # ``{ value_idr, citation, verified, note }`` with its own citation and flag.
    NOMINALS = "nominals"
    # Calendar days, each a table ``{ date, name, citation, verified, note }`` (may be empty).
    DAYS = "days"
    HOLIDAY_CATEGORIES = "holiday_categories"  # categories of the ``holidays`` package
    PROGRAMME_LIST = "programme_list"
    FUNDING_LIST = "funding_list"  # funding classes, FUNDING_CLASSES
    LEVELS = "levels"  # scholarship school levels
    DOCUMENTS = "documents"  # a claim's document checklist
    NAMES = "names"  # non-empty distinct texts, e.g. level names


@dataclass(frozen=True)
class Spec:
    kind: Kind
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Level:
    """A scholarship school level, e.g. TK/SD: Rp1.500.000 a year for at most 8 years."""

    code: str
    accepts: tuple[str, ...]
    label: str
    label_en: str
    amount_idr: int
    max_years: int


@dataclass(frozen=True)
class Entry:
    """One element of a list value that carries its own citation, e.g. one income nominal."""

    value: Any
    citation: str
    verified: bool
    note: str
    label: str = ""


@dataclass(frozen=True)
class ParamValue:
    """A value with its citation. For a list whose elements are cited one by one (``entries``),
    ``value`` is still the plain tuple of the elements, and ``verified`` is true only when the
    value and every element are."""

    key: str
    value: Any
    citation: str
    verified: bool
    note: str
    entries: tuple[Entry, ...] = ()

    def entry(self, element: object) -> ParamValue | None:
        """The element as a value of its own (its citation, flag and note), if it is one."""
        for entry in self.entries:
            if entry.value == element:
                return ParamValue(self.key, entry.value, entry.citation, entry.verified, entry.note)
        return None


_S = Spec
FAMILIES: Mapping[str, Mapping[str, Spec]] = {
    "contribution": {
        "jkk_rate": _S(Kind.RATE),
        "jkm_flat_idr": _S(Kind.IDR),
        "jht_rate": _S(Kind.RATE),
        "mandatory_programmes": _S(Kind.PROGRAMME_LIST),
        "optional_programmes": _S(Kind.PROGRAMME_LIST),
        "lowest_bracket_only": _S(Kind.FUNDING_LIST),
    },
    "income_brackets": {
        "brackets_idr": _S(Kind.NOMINALS),
    },
    "membership": {
        "due_day": _S(Kind.COUNT, 1, 28),
        "due_month_offset": _S(Kind.COUNT, 0, 1),
        "max_arrears_months": _S(Kind.COUNT, 1),
        "advance_months": _S(Kind.INT_LIST),
        "registration_age_below": _S(Kind.COUNT, 1),
        "local_age_min": _S(Kind.COUNT),
        "local_age_max": _S(Kind.COUNT, 1),
        "backdating_allowed": _S(Kind.BOOL),
        "late_fine_rate": _S(Kind.RATE),
    },
    "jkk_benefits": {
        "medical_unlimited": _S(Kind.BOOL),
        "home_care_cap_idr": _S(Kind.IDR),
        "home_care_max_months": _S(Kind.COUNT),
        "transport_land_cap_idr": _S(Kind.IDR),
        "transport_sea_cap_idr": _S(Kind.IDR),
        "transport_air_cap_idr": _S(Kind.IDR),
        "stmb_full_months": _S(Kind.COUNT),
        "stmb_full_rate": _S(Kind.RATE),
        "stmb_after_rate": _S(Kind.RATE),
        "wage_factor": _S(Kind.COUNT, 1),
        "total_disability_rate": _S(Kind.RATE),
        "death_rate": _S(Kind.RATE),
        "funeral_idr": _S(Kind.IDR),
        "periodic_idr": _S(Kind.IDR),
        "claim_window_years": _S(Kind.COUNT, 1),
    },
    "jkm_benefits": {
        "lump_sum_idr": _S(Kind.IDR),
        "periodic_idr": _S(Kind.IDR),
        "funeral_idr": _S(Kind.IDR),
        "scholarship_min_contribution_months": _S(Kind.COUNT),
    },
    "working_days": {
        "saturday_is_day_off": _S(Kind.BOOL),
        "holiday_categories": _S(Kind.HOLIDAY_CATEGORIES),
        "extra_days_off": _S(Kind.DAYS),
        "removed_days_off": _S(Kind.DAYS),
    },
    "claims": {
        "stage1_report_days": _S(Kind.COUNT, 1),
        "stage2_report_days": _S(Kind.COUNT, 1),
        "payment_working_days": _S(Kind.COUNT, 1),
        "scholarship_reapply_months": _S(Kind.COUNT, 1),
        "documents": _S(Kind.DOCUMENTS),
    },
    "scholarship": {
        "max_children": _S(Kind.COUNT, 1),
        "end_age": _S(Kind.COUNT, 1),
        "max_per_child_idr": _S(Kind.IDR),
        "levels": _S(Kind.LEVELS),
        "pre_school_names": _S(Kind.NAMES),
    },
}

ENTRY_KEYS = {"value", "citation", "verified", "note"}


def fail(path: Path, key: str, message: str) -> ParameterError:
    return ParameterError(message, path=path, key=key)


def is_int(raw: object) -> TypeGuard[int]:
    # bool is an int subclass in Python; a "true" amount is always a mistake.
    return isinstance(raw, int) and not isinstance(raw, bool)


def require_text(raw: Mapping[str, Any], key: str, path: Path, *, where: str = "") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise fail(path, where + key, "required non-empty text")
    return value.strip()


def optional_text(raw: Mapping[str, Any], key: str, path: Path, *, where: str = "") -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise fail(path, where + key, "must be text")
    return value.strip()


def require_date(raw: Mapping[str, Any], key: str, path: Path, *, where: str = "") -> dt.date:
    value = raw.get(key)
    # tomllib gives datetime for date-times; only a bare date is meaningful here.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise fail(path, where + key, "required as a TOML date, e.g. 2026-01-01")
    return value


def require_bool(
    raw: Mapping[str, Any], key: str, path: Path, *, default: bool | None = None, where: str = ""
) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise fail(path, where + key, "must be true or false")
    return value


def parse_rate(raw: object, path: Path, key: str) -> Decimal:
    # A TOML float would already have lost exactness; only strings are accepted.
    if not isinstance(raw, str):
        raise fail(path, key, 'a rate must be a quoted decimal string, e.g. "0.01"')
    try:
        rate = Decimal(raw.strip())
    except InvalidOperation:
        raise fail(path, key, f"not a decimal number: {raw!r}") from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        raise fail(path, key, f"a rate must be between 0 and 1, got {raw!r}")
    return rate


def parse_count(raw: object, spec: Spec, path: Path, key: str) -> int:
    if not is_int(raw) or raw < 0:
        raise fail(path, key, "must be a non-negative whole number")
    if spec.minimum is not None and raw < spec.minimum:
        raise fail(path, key, f"must be at least {spec.minimum}")
    if spec.maximum is not None and raw > spec.maximum:
        raise fail(path, key, f"must be at most {spec.maximum}")
    return raw


def parse_int_list(raw: object, path: Path, key: str) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(path, key, "must be a non-empty list of whole numbers")
    if not all(is_int(item) and item > 0 for item in raw):
        raise fail(path, key, "every entry must be a positive whole number")
    if any(a >= b for a, b in itertools.pairwise(raw)):
        raise fail(path, key, "entries must be strictly increasing")
    return tuple(raw)


NOMINAL_KEYS = {"value_idr", "citation", "verified", "note"}
DAY_KEYS = {"date", "name", "citation", "verified", "note"}


def _entry(item: dict[str, Any], value: Any, path: Path, where: str, inherited: Entry) -> Entry:
    """An element given as a table: what it leaves out, it takes from the value; an element that
    sets ``verified`` to something else does not inherit the value's note."""
    verified = require_bool(item, "verified", path, default=inherited.verified, where=where + ".")
    own_note = optional_text(item, "note", path, where=where + ".")
    inherits = "verified" not in item or verified == inherited.verified
    note = own_note or (inherited.note if inherits else "")
    if not verified and not note:
        raise fail(path, where + ".note", "an unverified value needs a note saying why")
    citation = optional_text(item, "citation", path, where=where + ".") or inherited.citation
    label = optional_text(item, "name", path, where=where + ".")
    return Entry(value, citation, verified, note, label)


def _table(item: object, allowed: set[str], path: Path, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise fail(path, where, "each entry must be a table")
    extra = set(item) - allowed
    if extra:
        raise fail(path, where, f"unknown keys {sorted(extra)}")
    return item


def parse_nominals(raw: object, path: Path, key: str, inherited: Entry) -> tuple[Entry, ...]:
    """A ``nominals`` list: bare amounts take the value's citation, flag and note; a table
    ``{ value_idr, citation, verified, note }`` may give its own."""
    if not isinstance(raw, list) or not raw:
        raise fail(path, key, "must be a non-empty list of whole rupiah amounts")
    entries: list[Entry] = []
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if is_int(item):
            entries.append(replace(inherited, value=item))
            continue
        table = _table(item, NOMINAL_KEYS, path, where)
        entries.append(_entry(table, table.get("value_idr"), path, where, inherited))
    amounts = [entry.value for entry in entries]
    for index, amount in enumerate(amounts):
        if not is_int(amount) or amount <= 0:
            raise fail(path, f"{key}[{index}]", "value_idr must be a positive whole rupiah amount")
    if any(a >= b for a, b in itertools.pairwise(amounts)):
        raise fail(path, key, "entries must be strictly increasing")
    return tuple(entries)


def parse_days(raw: object, path: Path, key: str, inherited: Entry) -> tuple[Entry, ...]:
    """A ``days`` list (may be empty): tables ``{ date, name, citation, verified, note }``, each
    date once; citation, flag and note default to the value's."""
    if not isinstance(raw, list):
        raise fail(path, key, "must be a list of days")
    entries: list[Entry] = []
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        table = _table(item, DAY_KEYS, path, where)
        day = require_date(table, "date", path, where=where + ".")
        require_text(table, "name", path, where=where + ".")
        entries.append(_entry(table, day, path, where, inherited))
    days = [entry.value for entry in entries]
    if len(set(days)) != len(days):
        raise fail(path, key, "a day is listed twice")
    return tuple(sorted(entries, key=lambda entry: entry.value))


def parse_codes(
    raw: object, allowed: tuple[str, ...], path: Path, key: str, *, allow_empty: bool = False
) -> tuple[str, ...]:
    if not isinstance(raw, list) or (not raw and not allow_empty):
        raise fail(path, key, "must be a non-empty list")
    unknown = [item for item in raw if item not in allowed]
    if unknown:
        raise fail(path, key, f"unknown codes {unknown}; allowed: {list(allowed)}")
    if len(set(raw)) != len(raw):
        raise fail(path, key, "codes must not repeat")
    return tuple(raw)


def parse_names(raw: object, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise fail(path, key, "must be a list of non-empty texts")
    if len(set(raw)) != len(raw):
        raise fail(path, key, "names must not repeat")
    return tuple(item.strip() for item in raw)


def parse_funding(raw: object, path: Path, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    """Funding classes. The old payer names are refused in data (unlike calculator inputs): a
    file that says "government" may mean APBN, APBD or both, so its author must say which."""
    if isinstance(raw, list):
        old = [item for item in raw if item in PAYER_ALIASES]
        if old:
            hints = ", ".join(f"{name!r} is now {PAYER_ALIASES[name]!r}" for name in old)
            raise fail(path, key, f"old payer names {old}: {hints} (see FUNDING_CLASSES)")
    return parse_codes(raw, FUNDING_CLASSES, path, key, allow_empty=allow_empty)


def funding_class(payer: str) -> str:
    """The funding class of a payer name accepted by the calculators (old names mapped)."""
    return PAYER_ALIASES.get(payer, payer)


def parse_levels(raw: object, path: Path, key: str) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(path, key, "must be a non-empty list of levels")
    levels: list[Level] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]."
        if not isinstance(entry, dict):
            raise fail(path, where[:-1], "each level must be a table")
        extra = set(entry) - {"code", "accepts", "label", "label_en", "amount_idr", "max_years"}
        if extra:
            raise fail(path, where[:-1], f"unknown keys {sorted(extra)}")
        accepts = entry.get("accepts")
        if (
            not isinstance(accepts, list)
            or not accepts
            or not all(isinstance(a, str) and a for a in accepts)
        ):
            raise fail(path, where + "accepts", "must be a non-empty list of level names")
        if seen & set(accepts):
            raise fail(path, where + "accepts", "a level name appears in two levels")
        seen.update(accepts)
        amount, years = entry.get("amount_idr"), entry.get("max_years")
        if not is_int(amount) or amount < 0:
            raise fail(path, where + "amount_idr", "must be a non-negative whole rupiah amount")
        if not is_int(years) or years < 1:
            raise fail(path, where + "max_years", "must be a positive whole number")
        levels.append(
            Level(
                code=require_text(entry, "code", path, where=where),
                accepts=tuple(accepts),
                label=require_text(entry, "label", path, where=where),
                label_en=require_text(entry, "label_en", path, where=where),
                amount_idr=amount,
                max_years=years,
            )
        )
    return tuple(levels)


def parse_value(spec: Spec, raw: object, path: Path, key: str) -> Any:
    if spec.kind is Kind.IDR:
        if not is_int(raw) or raw < 0:
            raise fail(path, key, "must be a non-negative whole rupiah amount")
        return raw
    if spec.kind is Kind.COUNT:
        return parse_count(raw, spec, path, key)
    if spec.kind is Kind.RATE:
        return parse_rate(raw, path, key)
    if spec.kind is Kind.BOOL:
        if not isinstance(raw, bool):
            raise fail(path, key, "must be true or false")
        return raw
    if spec.kind is Kind.INT_LIST:
        return parse_int_list(raw, path, key)
    if spec.kind is Kind.PROGRAMME_LIST:
        return parse_codes(raw, PROGRAMMES, path, key, allow_empty=True)
    if spec.kind is Kind.FUNDING_LIST:
        return parse_funding(raw, path, key, allow_empty=True)
    if spec.kind is Kind.NAMES:
        return parse_names(raw, path, key)
    if spec.kind is Kind.HOLIDAY_CATEGORIES:
        return parse_codes(raw, HOLIDAY_CATEGORIES, path, key, allow_empty=True)
    if spec.kind is Kind.DOCUMENTS:
        return parse_documents(raw, path, key)
    return parse_levels(raw, path, key)


CLAIM_TYPES = ("jkk", "jkm", "scholarship")


@dataclass(frozen=True)
class Document:
    """One item of a claim type's document checklist (DOMAIN §2.2)."""

    code: str
    label: str
    label_en: str
    types: tuple[str, ...]
    required: bool


def parse_documents(raw: object, path: Path, key: str) -> tuple[Document, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(path, key, "must be a non-empty list of documents")
    documents: list[Document] = []
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]."
        if not isinstance(entry, dict):
            raise fail(path, where[:-1], "each document must be a table")
        extra = set(entry) - {"code", "label", "label_en", "types", "required"}
        if extra:
            raise fail(path, where[:-1], f"unknown keys {sorted(extra)}")
        code = require_text(entry, "code", path, where=where)
        if any(d.code == code for d in documents):
            raise fail(path, where + "code", f"document code {code!r} given twice")
        documents.append(Document(
            code=code, label=require_text(entry, "label", path, where=where),
            label_en=require_text(entry, "label_en", path, where=where),
            types=parse_codes(entry.get("types"), CLAIM_TYPES, path, where + "types"),
            required=require_bool(entry, "required", path, default=True, where=where)))
    return tuple(documents)


def parse_entry(spec: Spec, raw: object, path: Path, key: str) -> ParamValue:
    """One ``[values.KEY]`` table: value, citation, and the verified flag with its note."""
    where = f"values.{key}"
    if not isinstance(raw, dict):
        raise fail(path, where, "must be a table with value and citation")
    extra = set(raw) - ENTRY_KEYS
    if extra:
        raise fail(path, where, f"unknown keys {sorted(extra)}")
    if "value" not in raw:
        raise fail(path, where + ".value", "required")
    verified = require_bool(raw, "verified", path, default=True, where=where + ".")
    note = optional_text(raw, "note", path, where=where + ".")
    if not verified and not note:
        raise fail(path, where + ".note", "an unverified value needs a note saying why")
    citation = require_text(raw, "citation", path, where=where + ".")
    if spec.kind in (Kind.NOMINALS, Kind.DAYS):
        inherited = Entry(None, citation, verified, note)
        parse = parse_nominals if spec.kind is Kind.NOMINALS else parse_days
        entries = parse(raw["value"], path, where + ".value", inherited)
        unverified = sum(not entry.verified for entry in entries)
        if unverified and verified:
            note = note or f"[UNVERIFIED] {unverified} of {len(entries)} entries are not verified."
        return ParamValue(
            key=key,
            value=tuple(entry.value for entry in entries),
            citation=citation,
            verified=verified and not unverified,
            note=note,
            entries=entries,
        )
    return ParamValue(
        key=key,
        value=parse_value(spec, raw["value"], path, where + ".value"),
        citation=citation,
        verified=verified,
        note=note,
    )


def parse_values(family: str, raw: object, path: Path) -> dict[str, ParamValue]:
    specs = FAMILIES[family]
    if not isinstance(raw, dict):
        raise fail(path, "values", "required table of values")
    missing = sorted(set(specs) - set(raw))
    if missing:
        raise fail(path, "values." + missing[0], f"required for family {family!r}")
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise fail(path, "values." + unknown[0], f"not a key of family {family!r}")
    return {key: parse_entry(specs[key], raw[key], path, key) for key in specs}


def check_consistency(family: str, values: Mapping[str, ParamValue], path: Path) -> None:
    """Rules between keys of one family that single-value checks cannot see."""
    if family == "contribution":
        mandatory = values["mandatory_programmes"].value
        optional = values["optional_programmes"].value
        if not mandatory:
            raise fail(path, "values.mandatory_programmes", "at least one programme is mandatory")
        if set(mandatory) & set(optional):
            raise fail(path, "values.optional_programmes", "a programme cannot be both")
    if family == "scholarship":
        level_names = {name for level in values["levels"].value for name in level.accepts}
        both = level_names & set(values["pre_school_names"].value)
        if both:
            raise fail(path, "values.pre_school_names", f"also school level names: {sorted(both)}")
    if family == "working_days":
        both = set(values["extra_days_off"].value) & set(values["removed_days_off"].value)
        if both:
            listed = ", ".join(sorted(day.isoformat() for day in both))
            raise fail(path, "values.removed_days_off", f"also listed as extra days off: {listed}")
    low, high = values.get("local_age_min"), values.get("local_age_max")
    if family == "membership" and low and high and low.value > high.value:
        raise fail(path, "values.local_age_min", "must not exceed local_age_max")
