"""Parse and check a benefit case (plain data, e.g. decoded JSON) into typed values.

The shape is fixed (see ``calculate_benefits``); unknown keys are errors, because a misspelt
optional field would otherwise be dropped without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jaring.rules.contributions import nominal_param
from jaring.rules.inputs import (
    choice,
    date_value,
    input_error,
    mapping,
    no_unknown_keys,
    percent_value,
    required,
    whole_number,
)
from jaring.rules.parameters import Parameters, Snapshot
from jaring.rules.schema import Level

EVENTS = ("work_accident", "death")
OUTCOMES = ("recovered", "partial_disability", "total_disability", "death")
TRANSPORT_MODES = ("land", "sea", "air")
CASE_KEYS = (
    "event",
    "event_date",
    "declared_income_idr",
    "contribution_months",
    "work_accident",
    "children",
)
ACCIDENT_KEYS = (
    "outcome",
    "stmb_months",
    "disability_percent",
    "function_loss_percent",
    "transport_idr",
    "home_care_idr",
)
CHILD_KEYS = ("birth_date", "level", "chosen")
FAMILIES = ("income_brackets", "jkk_benefits", "jkm_benefits", "scholarship")


@dataclass(frozen=True)
class Child:
    number: int  # 1-based, as people count children
    birth_date: dt.date
    level: Level | None  # None: not in school yet (counted, no amount until school starts)
    level_name: str  # as given, e.g. "SD" (the level itself is "TK/SD"); "" when not given
    chosen: bool = False  # the family chose this child for the scholarship


@dataclass(frozen=True)
class WorkAccident:
    outcome: str
    stmb_months: int
    disability_percent: Decimal | None
    function_loss_percent: Decimal | None
    transport_idr: tuple[tuple[str, int], ...]
    home_care_idr: int | None


@dataclass(frozen=True)
class BenefitCase:
    event: str
    event_date: dt.date
    declared_income_idr: int
    contribution_months: int | None
    work_accident: WorkAccident | None
    children: tuple[Child, ...]
    snapshot: Snapshot


def parse_case(case: object, params: Parameters) -> BenefitCase:
    data = mapping(case, "case")
    no_unknown_keys(data, CASE_KEYS)
    event = choice(required(data, "event"), "event", EVENTS)
    event_date = date_value(required(data, "event_date"), "event_date")
    snapshot = params.on(event_date, field="event_date")
    snapshot.require(*FAMILIES, field="event_date")
    income = whole_number(required(data, "declared_income_idr"), "declared_income_idr", minimum=1)
    nominal_param(income, snapshot)
    months = data.get("contribution_months")
    if event == "death":
        months = required(data, "contribution_months")
    if months is not None:
        months = whole_number(months, "contribution_months")
    accident = _parse_accident(event, data.get("work_accident"))
    children = _parse_children(data.get("children"), event_date, snapshot)
    return BenefitCase(event, event_date, income, months, accident, children, snapshot)


def _parse_accident(event: str, raw: object) -> WorkAccident | None:
    if event == "death":
        if raw is not None:
            raise input_error(
                "work_accident",
                "Kasus JKM (meninggal bukan karena kecelakaan kerja) tidak boleh memuat rincian "
                "kecelakaan kerja; gunakan event work_accident dengan outcome death.",
                "A JKM case (death not caused by work) cannot carry work-accident details; use "
                "event work_accident with outcome death.",
            )
        return None
    data = mapping(required({"work_accident": raw}, "work_accident"), "work_accident")
    prefix = "work_accident."
    no_unknown_keys(data, ACCIDENT_KEYS, prefix)
    outcome = choice(required(data, "outcome", prefix), prefix + "outcome", OUTCOMES)
    disability = _optional_percent(data, "disability_percent", prefix)
    function_loss = _optional_percent(data, "function_loss_percent", prefix)
    if outcome == "partial_disability" and disability is None:
        raise input_error(
            prefix + "disability_percent",
            "Wajib diisi untuk cacat sebagian (persentase tabel).",
            "Required for partial disability (the table percentage).",
        )
    for key, value in (
        ("disability_percent", disability),
        ("function_loss_percent", function_loss),
    ):
        if value is not None and outcome != "partial_disability":
            raise input_error(
                prefix + key,
                "Hanya untuk hasil partial_disability.",
                "Only for the outcome partial_disability.",
            )
    stmb = data.get("stmb_months")
    home_care = data.get("home_care_idr")
    return WorkAccident(
        outcome=outcome,
        stmb_months=0 if stmb is None else whole_number(stmb, prefix + "stmb_months"),
        disability_percent=disability,
        function_loss_percent=function_loss,
        transport_idr=_parse_transport(data.get("transport_idr"), prefix + "transport_idr"),
        home_care_idr=None
        if home_care is None
        else whole_number(home_care, prefix + "home_care_idr"),
    )


def _optional_percent(data: Mapping[str, Any], key: str, prefix: str) -> Decimal | None:
    value = data.get(key)
    return None if value is None else percent_value(value, prefix + key)


def _parse_transport(raw: object, field: str) -> tuple[tuple[str, int], ...]:
    if raw is None:
        return ()
    data = mapping(raw, field)
    no_unknown_keys(data, TRANSPORT_MODES, field + ".")
    return tuple(
        (mode, whole_number(data[mode], f"{field}.{mode}"))
        for mode in TRANSPORT_MODES
        if mode in data
    )


def _parse_children(raw: object, event_date: dt.date, snapshot: Snapshot) -> tuple[Child, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise input_error("children", "Harus berupa daftar anak.", "Must be a list of children.")
    # More children than the scholarship covers is not an error: the calculator takes the ones
    # the family chose (``chosen: true``), or the first ones, and says so.
    levels: tuple[Level, ...] = snapshot.value("scholarship", "levels")
    pre_school: tuple[str, ...] = snapshot.value("scholarship", "pre_school_names")
    names = [name for level in levels for name in level.accepts] + list(pre_school)
    children = []
    for index, entry in enumerate(raw):
        prefix = f"children.{index}."
        data = mapping(entry, f"children.{index}")
        no_unknown_keys(data, CHILD_KEYS, prefix)
        birth = date_value(required(data, "birth_date", prefix), prefix + "birth_date")
        if birth > event_date:
            raise input_error(
                prefix + "birth_date",
                "Tanggal lahir setelah tanggal kejadian.",
                "Birth date is after the event date.",
            )
        raw_level = data.get("level")
        name = "" if raw_level in (None, "") else choice(raw_level, prefix + "level", names)
        level = next((level for level in levels if name in level.accepts), None)
        chosen = data.get("chosen", False)
        if not isinstance(chosen, bool):
            raise input_error(prefix + "chosen", "Harus true atau false.", "Must be true or false.")
        children.append(Child(index + 1, birth, level, name, chosen))
    return tuple(children)
