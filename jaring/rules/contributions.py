"""Contribution (iuran) calculator for BPU members.

One item per programme per month, so a quote that crosses a discount boundary (or a change of
rates) is exact month by month; billing uses the same function with ``months=1``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from jaring.core.money import format_month, month_range, round_idr
from jaring.rules.calendar import due_date
from jaring.rules.discounts import AppliedDiscount, find_discount, withheld_for_payer
from jaring.rules.errors import RulesInputError
from jaring.rules.inputs import choice, input_error, month_value, whole_number
from jaring.rules.parameters import Parameters, Snapshot, default_parameters
from jaring.rules.result import Item, Result
from jaring.rules.schema import (
    PAYERS,
    PROGRAMMES,
    SECTORS,
    STATE_BUDGET_CLASSES,
    ParamValue,
    funding_class,
)
from jaring.rules.text import Message, day_name, idr, month_name, percent

PROGRAMME_NAMES = {
    "jkk": ("Jaminan Kecelakaan Kerja", "Work Accident Insurance"),
    "jkm": ("Jaminan Kematian", "Death Insurance"),
    "jht": ("Jaminan Hari Tua", "Old-Age Savings"),
}
_FAMILIES = ("contribution", "income_brackets", "membership")


def calculate_contribution(
    *,
    declared_income_idr: int,
    programmes: Iterable[str],
    first_period: dt.date | str,
    months: int,
    payer: str,
    sector: str,
    params: Parameters | None = None,
) -> Result:
    """Contributions due for ``months`` consecutive periods starting at ``first_period``.

    ``payer`` is the funding class, whose money pays (``FUNDING_CLASSES``): ``self`` (the
    worker), ``apbn``, ``apbd`` (province or city budget, dana kelurahan, Otsus money),
    ``apbdes`` (dana desa) or ``non_state`` (CSR, banks, zakat, churches, ...). The old names are
    still accepted until callers migrate: ``government`` means ``apbd``, ``other`` means
    ``non_state``. ``sector`` is ``transport`` or ``other``. Raises ``RulesInputError``.
    """
    params = params or default_parameters()
    income = whole_number(declared_income_idr, "declared_income_idr", minimum=1)
    first = month_value(first_period, "first_period")
    payer = funding_class(choice(payer, "payer", PAYERS))
    sector = choice(sector, "sector", SECTORS)
    start = _snapshot(params, first)
    count = _months(months, start)
    chosen = _programmes(programmes, start)
    used: list[ParamValue] = [start.param("membership", "advance_months")]
    items: list[Item] = []
    notes: list[Message] = []
    for period in month_range(first, count):
        snapshot = _snapshot(params, period)
        used.append(_check_bracket(income, snapshot, payer))
        _check_mandatory(chosen, snapshot)
        for code in chosen:
            item, pv, applied = _item(code, income, period, payer, sector, snapshot, params)
            items.append(item)
            used.append(pv)
            if applied is not None:
                notes.extend(_discount_notes(applied))
            notes.extend(_withheld_notes(code, period, payer, sector, params))
    notes.extend(_payment_notes(start, used, params))
    return Result(items=tuple(items), eligible=True, notes=_unique(notes))


def _snapshot(params: Parameters, period: dt.date) -> Snapshot:
    snapshot = params.on(period, field="first_period")
    snapshot.require(*_FAMILIES, field="first_period")
    return snapshot


def _months(months: object, snapshot: Snapshot) -> int:
    allowed = snapshot.value("membership", "advance_months")
    if isinstance(months, bool) or not isinstance(months, int) or months not in allowed:
        listed = ", ".join(str(m) for m in allowed)
        raise input_error(
            "months",
            f"Jumlah bulan harus salah satu dari: {listed}.",
            f"The number of months must be one of: {listed}.",
        )
    return months


def _programmes(programmes: Iterable[str], snapshot: Snapshot) -> list[str]:
    # A bare string is iterable too; "jkk" must not turn into "j", "k", "k".
    if isinstance(programmes, str | bytes) or not isinstance(
        programmes, list | tuple | set | frozenset
    ):
        raise input_error("programmes", "Harus berupa daftar program.", "Must be a list.")
    offered = set(snapshot.value("contribution", "mandatory_programmes")) | set(
        snapshot.value("contribution", "optional_programmes")
    )
    seen: list[str] = []
    for index, code in enumerate(programmes):
        choice(code, f"programmes.{index}", [p for p in PROGRAMMES if p in offered])
        if code in seen:
            raise input_error(
                f"programmes.{index}", "Program disebut dua kali.", "Programme listed twice."
            )
        seen.append(code)
    _check_mandatory(seen, snapshot)
    return [code for code in PROGRAMMES if code in seen]


def _check_mandatory(chosen: list[str], snapshot: Snapshot) -> None:
    missing = [c for c in snapshot.value("contribution", "mandatory_programmes") if c not in chosen]
    if missing:
        names = ", ".join(code.upper() for code in missing)
        raise input_error(
            "programmes",
            f"Program wajib belum dipilih: {names}.",
            f"Mandatory programmes missing: {names}.",
        )


def _check_bracket(income: int, snapshot: Snapshot, payer: str) -> ParamValue:
    """``nominal_param``, and for payers bound to it, the lowest nominal of the table."""
    nominal = nominal_param(income, snapshot)
    lowest = snapshot.value("income_brackets", "brackets_idr")[0]
    if payer in snapshot.value("contribution", "lowest_bracket_only") and income != lowest:
        paid_by, paid_by_en = _paid_by(payer)
        raise input_error(
            "declared_income_idr",
            f"Iuran yang {paid_by} memakai nominal penghasilan terendah ({idr(lowest)}), bukan "
            f"{idr(income)}.",
            f"Contributions {paid_by_en} use the lowest income nominal ({idr(lowest, 'en')}), "
            f"not {idr(income, 'en')}.",
        )
    return nominal


def nominal_param(income: int, snapshot: Snapshot) -> ParamValue:
    """The declared income as a cited value of its own, so that an unverified nominal says so
    (and a verified one does not inherit the doubts about the rest of the table)."""
    brackets = snapshot.param("income_brackets", "brackets_idr")
    if income not in brackets.value:
        raise bracket_error(income, brackets.value)
    nominal = brackets.entry(income) or brackets
    return nominal if nominal.verified else replace(nominal, note=f"{idr(income)}: {nominal.note}")


def bracket_error(income: int, brackets: tuple[int, ...]) -> RulesInputError:
    listed = ", ".join(idr(b) for b in brackets)
    listed_en = ", ".join(idr(b, "en") for b in brackets)
    return input_error(
        "declared_income_idr",
        f"{idr(income)} bukan nominal penghasilan yang sah; pilihan: {listed}.",
        f"{idr(income, 'en')} is not a valid income bracket; choose one of: {listed_en}.",
    )


def _base(code: str, income: int, snapshot: Snapshot) -> tuple[int, ParamValue, str, str]:
    if code == "jkm":
        flat = snapshot.param("contribution", "jkm_flat_idr")
        basis, basis_en = f"{idr(flat.value)} (iuran tetap)", f"{idr(flat.value, 'en')} (flat)"
        return flat.value, flat, basis, basis_en
    rate = snapshot.param("contribution", f"{code}_rate")
    amount = round_idr(rate.value * income)
    return (
        amount,
        rate,
        f"{percent(rate.value)} × {idr(income)}",
        f"{percent(rate.value, 'en')} × {idr(income, 'en')}",
    )


def _item(
    code: str,
    income: int,
    period: dt.date,
    payer: str,
    sector: str,
    snapshot: Snapshot,
    params: Parameters,
) -> tuple[Item, ParamValue, AppliedDiscount | None]:
    base, pv, basis, basis_en = _base(code, income, snapshot)
    amount, citation = base, pv.citation
    applied = find_discount(params.discounts, period, code, sector, payer)
    if applied is not None:
        rate, label = applied.rule.rate, applied.discount.label
        amount = round_idr(Decimal(base) * (Decimal(1) - rate))
        basis += f" − diskon {percent(rate)} {label}"
        basis_en += f" − {percent(rate, 'en')} discount {label}"
        citation = f"{citation}; {applied.rule.citation}"
    name, name_en = PROGRAMME_NAMES[code]
    item = Item(
        code=code,
        label=f"{code.upper()} ({name}) {month_name(period)}",
        label_en=f"{code.upper()} ({name_en}) {month_name(period, 'en')}",
        amount_idr=amount,
        basis=basis,
        basis_en=basis_en,
        citation=citation,
        extra={
            "period": format_month(period),
            "discount": applied.discount.code if applied else None,
            "base_amount_idr": base,
        },
    )
    return item, pv, applied


def _discount_notes(applied: AppliedDiscount) -> list[Message]:
    rule, code = applied.rule, applied.discount.code
    notes = []
    if rule.note:
        notes.append(Message(f"discount_{code}", rule.note, rule.note_en))
    if not rule.verified:
        notes.append(
            Message(
                f"discount_{code}_unverified",
                f"Diskon {applied.discount.label} belum terverifikasi; periksa sebelum dipakai.",
                f"The {applied.discount.label} discount is not verified; check before "
                "relying on it.",
            )
        )
    return notes


def _withheld_notes(
    code: str, period: dt.date, payer: str, sector: str, params: Parameters
) -> list[Message]:
    withheld = withheld_for_payer(params.discounts, period, code, sector, payer)
    if withheld is None:
        return []
    label = withheld.discount.label
    paid_by, paid_by_en = _paid_by(payer)
    return [
        Message(
            f"discount_{withheld.discount.code}_not_for_payer",
            f"Diskon {label} tidak berlaku untuk iuran yang {paid_by}.",
            f"The {label} discount does not apply to contributions {paid_by_en}.",
        )
    ]


def _paid_by(payer: str) -> tuple[str, str]:
    """How a message names the funding class: "dibayar APBN/APBD" as the regulations say."""
    if payer in STATE_BUDGET_CLASSES:
        return "dibayar APBN/APBD", "paid from APBN/APBD"
    if payer == "apbdes":
        return "dibayar dana desa (APBDes)", "paid from village funds (APBDes)"
    if payer == "self":
        return "dibayar sendiri", "paid by the worker"
    return "dibayar pihak bukan negara", "paid by a non-state payer"


def _payment_notes(snapshot: Snapshot, used: list[ParamValue], params: Parameters) -> list[Message]:
    due_day = snapshot.param("membership", "due_day")
    offset = snapshot.param("membership", "due_month_offset")
    used = [*used, due_day, offset]
    which, which_en = (
        ("bulan berikutnya", "of the next month")
        if offset.value
        else ("bulan yang bersangkutan", "of the month covered")
    )
    first_due = due_date(snapshot.day, params)
    notes = [
        Message(
            "due_date",
            f"Jatuh tempo: tanggal {due_day.value} {which}, atau hari kerja berikutnya bila tanggal "
            f"itu hari Minggu atau hari libur (bulan pertama: {day_name(first_due)}).",
            f"Due date: day {due_day.value} {which_en}, or the next working day when that is a "
            f"Sunday or a holiday (first month: {day_name(first_due, 'en')}).",
        )
    ]
    if snapshot.value("membership", "late_fine_rate") == 0:
        notes.append(
            Message(
                "no_late_fine",
                "Tidak ada denda keterlambatan bagi peserta BPU.",
                "There is no late-payment fine for BPU members.",
            )
        )
    notes.extend(unverified_notes(used))
    return notes


def unverified_notes(used: Iterable[ParamValue]) -> list[Message]:
    """One note per distinct unverified value used, so a reader knows what to double-check."""
    return [
        Message(
            f"unverified_{value.key}",
            f"Nilai belum terverifikasi ({value.key}): {value.note}",
            f"Unverified value ({value.key}): {value.note}",
        )
        for value in {id(v): v for v in used}.values()
        if not value.verified
    ]


def _unique(messages: Iterable[Message]) -> tuple[Message, ...]:
    return tuple(dict.fromkeys(messages))
