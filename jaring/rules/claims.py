"""Claims: when each report is due, when the right lapses, when BPJSTK must pay, and the documents
each claim type needs (DOMAIN §2.2). Pure: dates and parameter data in, dates and items out.

- Stage I report: ``stage1_report_days`` × 24 hours after the event (2 × 24 h: the event day + 2).
- Stage II report: ``stage2_report_days`` × 24 hours after recovery, disability or death.
- The right lapses ``jkk_benefits.claim_window_years`` after the event (5 years).
- BPJSTK pays within ``payment_working_days`` working days of a complete claim (``rules.calendar``).
- A scholarship is applied for again every ``scholarship_reapply_months`` (from the first of the
  month: ``scholarship_reapply_on``), one follow-up claim per child and school year
  (``scholarship_year``, ``scholarship_next``); which children get it at all is ``rules.benefits``'
  rule (``scholarship_children``).
A deadline is a day: a report made on it is on time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jaring.core.money import add_months, age_on
from jaring.rules.benefits import calculate_benefits
from jaring.rules.calendar import is_working_day
from jaring.rules.inputs import date_value, input_error, whole_number
from jaring.rules.parameters import Parameters, Snapshot, default_parameters
from jaring.rules.schema import CLAIM_TYPES, Document, Level
from jaring.rules.text import Message, day_name, idr

ChecklistItem = Document


@dataclass(frozen=True)
class ClaimDeadlines:
    stage1_report: dt.date
    lapses_on: dt.date
    stage2_report: dt.date | None = None
    payment_due: dt.date | None = None
    scholarship_reapply: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: (value.isoformat() if value else None) for key, value in (
            ("stage1_report", self.stage1_report), ("stage2_report", self.stage2_report),
            ("lapses_on", self.lapses_on), ("payment_due", self.payment_due),
            ("scholarship_reapply", self.scholarship_reapply))}


def _claim_type(claim_type: str) -> str:
    if claim_type not in CLAIM_TYPES:
        raise input_error("claim_type", f"Jenis klaim tidak dikenal; pilihan: {', '.join(CLAIM_TYPES)}.",
                          f"Unknown claim type; choose one of {', '.join(CLAIM_TYPES)}.")
    return claim_type


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_working_days(day: dt.date, days: int, params: Parameters | None = None) -> dt.date:
    """The ``days``-th working day after ``day`` (``rules.calendar``: Sundays, holidays, cuti bersama)."""
    params = params or default_parameters()
    current, left = date_value(day, "day"), days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, params):
            left -= 1
    return current


def claim_deadlines(claim_type: str, event_date: dt.date, *, outcome_date: dt.date | None = None,
                    complete_on: dt.date | None = None, params: Parameters | None = None) -> ClaimDeadlines:
    """The deadlines of a claim for an event on ``event_date`` (an accident, a diagnosis or a death);
    ``outcome_date`` is the day of recovery, disability or death (stage II), ``complete_on`` the day
    the claim was complete at BPJSTK (its payment promise runs from there)."""
    params = params or default_parameters()
    _claim_type(claim_type)
    event = date_value(event_date, "event_date")
    snapshot = params.on(event, field="event_date")
    snapshot.require("claims", "jkk_benefits", field="event_date")
    stage1 = event + dt.timedelta(days=snapshot.value("claims", "stage1_report_days"))
    stage2 = None
    if outcome_date is not None:
        outcome = date_value(outcome_date, "outcome_date")
        stage2 = outcome + dt.timedelta(days=snapshot.value("claims", "stage2_report_days"))
    payment = None
    if complete_on is not None:
        payment = add_working_days(complete_on, snapshot.value("claims", "payment_working_days"), params)
    reapply = scholarship_reapply_on(event, params) if claim_type == "scholarship" else None
    lapses = add_years(event, snapshot.value("jkk_benefits", "claim_window_years"))
    return ClaimDeadlines(stage1_report=stage1, lapses_on=lapses, stage2_report=stage2, payment_due=payment,
                          scholarship_reapply=reapply)


def document_checklist(claim_type: str, *, on: dt.date | None = None,
                       params: Parameters | None = None) -> list[ChecklistItem]:
    """The documents a claim of ``claim_type`` needs (``required`` false: only in some cases)."""
    params = params or default_parameters()
    _claim_type(claim_type)
    day = on or dt.datetime.now(dt.UTC).date()  # the set in force today, unless asked for another day
    documents: tuple[Document, ...] = params.on(day, field="on").value("claims", "documents")
    return [d for d in documents if claim_type in d.types]


# --- Scholarship follow-ups (DOMAIN §2.2) --------------------------------------------------------------

# The reasons ``rules.benefits`` gives when a case pays no scholarship at all (not per child).
SCHOLARSHIP_CASE_REASONS = ("scholarship_min_contributions", "scholarship_not_triggered")


def scholarship_reapply_on(day: dt.date, params: Parameters | None = None) -> dt.date:
    """When the scholarship is applied for again after a school year that began on ``day``: the
    first of the month ``claims.scholarship_reapply_months`` later (the next follow-up's date and
    the ``scholarship_reapply`` deadline of a scholarship claim)."""
    params = params or default_parameters()
    day = date_value(day, "last_date")
    return add_months(day, params.on(day, field="last_date").value("claims", "scholarship_reapply_months"))


@dataclass(frozen=True)
class ScholarshipNext:
    """A child's scholarship for the school year that begins on ``date``.

    ``amount_idr`` is what that year pays at ``level`` (the level's code, e.g. ``TK_SD``), at most
    what is left of the per-child ceiling (``capped``). When it is None there is no follow-up for
    that year: ``reason`` says why, and ``ends`` whether the scholarship is over for the child (the
    end age, reached on ``ends_on``; the per-child ceiling; the years of the last level) or only
    waits for the office to record a school level (a child not in school yet: the follow-up comes
    when school starts; a level's years used: it comes when the child moves up a level).
    """

    date: dt.date
    amount_idr: int | None
    level: str = ""
    reason: Message | None = None
    ends: bool = False
    ends_on: dt.date | None = None
    capped: bool = False
    citation: str = ""

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        return {"date": self.date.isoformat(), "amount_idr": self.amount_idr, "level": self.level or None,
                "reason": self.reason.to_dict(lang) if self.reason else None, "ends": self.ends,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None, "capped": self.capped,
                "citation": self.citation}


def _birthday(birth_date: dt.date, years: int) -> dt.date:
    """The day a child born on ``birth_date`` turns ``years`` (``age_on``'s reading: a child born on
    29 February turns a year older on 1 March in a common year)."""
    day = dt.date(birth_date.year + years, birth_date.month, min(birth_date.day, 28))
    while age_on(birth_date, day) < years:
        day += dt.timedelta(days=1)
    return day


def _school_level(name: str, snapshot: Snapshot) -> Level | None:
    """The level a level name belongs to (``SD`` → ``TK_SD``); None for a child not in school yet
    (no name, or one of ``pre_school_names``). An unknown name is refused."""
    levels: tuple[Level, ...] = snapshot.value("scholarship", "levels")
    pre_school: tuple[str, ...] = snapshot.value("scholarship", "pre_school_names")
    if not isinstance(name, str):
        raise input_error("level", "Jenjang sekolah harus berupa teks.", "The school level must be text.")
    if name in ("", *pre_school):
        return None
    level = next((level for level in levels if name in level.accepts), None)
    if level is None:
        names = ", ".join([n for lv in levels for n in lv.accepts] + list(pre_school))
        raise input_error("level", f"Jenjang sekolah tidak dikenal; pilihan: {names}.",
                          f"Unknown school level; choose one of {names}.")
    return level


def scholarship_year(*, birth_date: dt.date, level: str, years_at_level: int = 0, paid_total_idr: int = 0,
                     on: dt.date, params: Parameters | None = None) -> ScholarshipNext:
    """The scholarship of a child born on ``birth_date`` for the school year beginning ``on``, at
    the level named ``level`` (``SD``, ``SMP``…; ``""`` or a pre-school name: not in school yet),
    after ``years_at_level`` years already paid at that level (TK and SD are one level: 8 years
    between them) and ``paid_total_idr`` paid for the child in all. In this order:

    1. the end age (``scholarship.end_age``) reached by ``on``: over;
    2. the per-child ceiling (``scholarship.max_per_child_idr``) paid: over;
    3. not in school yet: none this year, it comes when school starts (the child still holds one
       of the ``max_children`` places: ``rules.benefits``);
    4. the level's ``max_years`` used: none at that level; over when it is the last level;
    5. else the level's yearly amount, at most what is left of the ceiling.
    """
    params = params or default_parameters()
    day = date_value(on, "on")
    birth = date_value(birth_date, "birth_date")
    if birth > day:
        raise input_error("birth_date", "Tanggal lahir setelah awal tahun beasiswa.",
                          "The birth date is after the start of the scholarship year.")
    years = whole_number(years_at_level, "years_at_level")
    paid = whole_number(paid_total_idr, "paid_total_idr")
    snapshot = params.on(day, field="on")
    snapshot.require("scholarship", field="on")
    school = _school_level(level, snapshot)
    end_age = int(snapshot.value("scholarship", "end_age"))
    ceiling = int(snapshot.value("scholarship", "max_per_child_idr"))
    code = school.code if school else ""

    def cite(*keys: str) -> str:
        return "; ".join(dict.fromkeys(snapshot.param("scholarship", key).citation for key in keys))

    if age_on(birth, day) >= end_age:
        turned = _birthday(birth, end_age)
        return ScholarshipNext(day, None, code, Message(
            "scholarship_age_limit",
            f"Anak berusia {end_age} tahun pada {day_name(turned)}; beasiswa berakhir pada usia "
            f"{end_age} tahun.",
            f"The child turned {end_age} on {day_name(turned, 'en')}; the scholarship ends at age "
            f"{end_age}."), ends=True, ends_on=turned, citation=cite("end_age"))
    if paid >= ceiling:
        return ScholarshipNext(day, None, code, Message(
            "scholarship_ceiling_reached",
            f"Beasiswa anak ini sudah mencapai batas {idr(ceiling)} per anak (dibayar {idr(paid)}).",
            f"This child's scholarship has reached the ceiling of {idr(ceiling, 'en')} per child "
            f"({idr(paid, 'en')} paid)."), ends=True, citation=cite("max_per_child_idr"))
    if school is None:
        verified = snapshot.param("scholarship", "pre_school_names").verified
        return ScholarshipNext(day, None, "", Message(
            "scholarship_not_in_school",
            "Anak belum sekolah: beasiswa dibayar mulai anak masuk sekolah; catat jenjangnya saat itu."
            f"{'' if verified else ' [BELUM TERVERIFIKASI]'}",
            "The child is not in school yet: the scholarship is paid once school starts; record the "
            f"level then.{'' if verified else ' [UNVERIFIED]'}"), citation=cite("pre_school_names"))
    levels: tuple[Level, ...] = snapshot.value("scholarship", "levels")
    if years >= school.max_years:
        last = school == levels[-1]
        then, then_en = (("tidak ada jenjang sesudahnya: beasiswa selesai",
                          "there is no level after it: the scholarship is over") if last else
                         ("tahun berikutnya dibayar bila anak naik jenjang (catat jenjang barunya)",
                          "the next year is paid when the child moves up a level (record the new level)"))
        return ScholarshipNext(day, None, code, Message(
            "scholarship_level_years_used",
            f"Beasiswa jenjang {school.label} sudah dibayar {years} tahun (paling lama {school.max_years} "
            f"tahun); {then}.",
            f"The {school.label_en} scholarship has been paid for {years} years (at most "
            f"{school.max_years}); {then_en}."), ends=last, citation=cite("levels"))
    amount = min(school.amount_idr, ceiling - paid)
    return ScholarshipNext(day, amount, code, capped=amount < school.amount_idr,
                           citation=cite("levels", "max_per_child_idr"))


def scholarship_next(*, birth_date: dt.date, level: str, years_at_level: int, paid_total_idr: int,
                     last_date: dt.date, params: Parameters | None = None) -> ScholarshipNext:
    """The next yearly follow-up after the school year that began on ``last_date``: its date is
    ``scholarship_reapply_on(last_date)`` and the rest is ``scholarship_year`` on that date (the
    level is the child's as last recorded; ``years_at_level`` and ``paid_total_idr`` count the
    years already paid, the last one included)."""
    params = params or default_parameters()
    return scholarship_year(birth_date=birth_date, level=level, years_at_level=years_at_level,
                            paid_total_idr=paid_total_idr, on=scholarship_reapply_on(last_date, params),
                            params=params)


@dataclass(frozen=True)
class ScholarshipChildren:
    """Which children of a death or total-disability case get the scholarship: ``taken`` are their
    positions (0-based) in the children given; ``triggered`` is false when the case pays no
    scholarship at all (``reasons`` then say why: not a death or total disability, or a JKM death
    with too few contribution months); ``notes`` say who was counted when there are more children
    than places (the family may choose) and who waits for school."""

    taken: tuple[int, ...]
    triggered: bool
    reasons: tuple[Message, ...]
    notes: tuple[Message, ...]

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        return {"triggered": self.triggered, "taken": list(self.taken),
                "reasons": [m.to_dict(lang) for m in self.reasons], "notes": [m.to_dict(lang) for m in self.notes]}


def scholarship_children(*, claim_type: str, outcome: str, event_date: dt.date, contribution_months: int,
                         children: Sequence[Mapping[str, Any]],
                         params: Parameters | None = None) -> ScholarshipChildren:
    """``rules.benefits``' scholarship rule (its one copy) for a claim: a JKK claim whose
    ``outcome`` is ``death`` or ``total_disability``, or a JKM death with at least
    ``jkm_benefits.scholarship_min_contribution_months`` paid months; at most
    ``scholarship.max_children`` children under the end age on the event date, those marked
    ``chosen`` first, then in the order given. ``children`` are ``{"birth_date", "level",
    "chosen"}`` as ``calculate_benefits`` takes them.

    The case is run through ``calculate_benefits`` with the lowest income nominal (the scholarship
    does not depend on the income); with no children, a probe child not in school tells whether the
    case would pay it."""
    params = params or default_parameters()
    if claim_type not in ("jkk", "jkm"):
        raise input_error("claim_type", "Beasiswa hanya berasal dari klaim JKK atau JKM.",
                          "A scholarship comes only from a JKK or JKM claim.")
    event = date_value(event_date, "event_date")
    snapshot = params.on(event, field="event_date")
    snapshot.require("income_brackets", field="event_date")
    given = [{"birth_date": c.get("birth_date"), "level": c.get("level") or None, "chosen": bool(c.get("chosen"))}
             for c in children]
    case: dict[str, Any] = {
        "event": "death" if claim_type == "jkm" else "work_accident", "event_date": event,
        "declared_income_idr": snapshot.value("income_brackets", "brackets_idr")[0],
        "contribution_months": contribution_months,
        "children": given or [{"birth_date": event, "level": None}]}
    if claim_type == "jkk":
        # An outcome not known yet pays no scholarship, as a recovery does; a partial disability needs
        # its percentage, which the scholarship does not depend on.
        case["work_accident"] = {"outcome": outcome or "recovered"}
        if outcome == "partial_disability":
            case["work_accident"]["disability_percent"] = 100
    result = calculate_benefits(case, params=params)
    taken = tuple(int(item.extra["child"]) - 1 for item in result.items if item.code == "scholarship")
    reasons = tuple(m for m in result.reasons if m.code.startswith("scholarship"))
    triggered = not any(m.code in SCHOLARSHIP_CASE_REASONS for m in reasons)
    if not given:
        return ScholarshipChildren((), triggered, tuple(m for m in reasons if m.code in SCHOLARSHIP_CASE_REASONS),
                                   ())
    notes = tuple(m for m in result.notes if m.code.startswith("scholarship") and m.code != "scholarship_yearly")
    return ScholarshipChildren(taken, triggered, reasons, notes)


def scholarship_level_code(name: str, on: dt.date, params: Parameters | None = None) -> str:
    """The code of the level a level name belongs to on ``on`` (``SD`` → ``TK_SD``); ``""`` for a
    child not in school yet. An unknown name is refused (``RulesInputError``, field ``level``)."""
    params = params or default_parameters()
    level = _school_level(name, params.on(date_value(on, "on"), field="on"))
    return level.code if level else ""


def scholarship_level_names(on: dt.date, params: Parameters | None = None) -> tuple[str, ...]:
    """Every level name a child may be recorded with on ``on``: the school levels' names, then
    the names of not being in school yet."""
    snapshot = (params or default_parameters()).on(date_value(on, "on"), field="on")
    levels: tuple[Level, ...] = snapshot.value("scholarship", "levels")
    return (*(name for level in levels for name in level.accepts), *snapshot.value("scholarship", "pre_school_names"))
