"""Contribution discounts (PP 50/2025, PP 49/2020, ...) as data.

A discount is a regulation with one or more rules; each rule names the contribution periods,
programmes, sectors and payers it applies to. ``payers`` are funding classes (whose money pays,
``schema.FUNDING_CLASSES``), because that is what the regulations exclude (APBN/APBD). Rules are
matched on the *period* (the month the contribution covers), not on the payment date, because
that is how the regulations word it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jaring.core.money import format_month, parse_month
from jaring.rules.errors import ParameterError
from jaring.rules.schema import (
    PROGRAMMES,
    SECTORS,
    fail,
    optional_text,
    parse_codes,
    parse_funding,
    parse_rate,
    require_bool,
    require_text,
)

RULE_KEYS = {
    "periods_from", "periods_to", "programmes", "sectors", "payers", "rate", "citation",
    "verified", "note", "note_en",
}  # fmt: skip


@dataclass(frozen=True)
class DiscountRule:
    periods_from: dt.date
    periods_to: dt.date
    programmes: tuple[str, ...]
    sectors: tuple[str, ...]
    payers: tuple[str, ...]
    rate: Decimal
    citation: str
    verified: bool
    note: str
    note_en: str

    def covers(self, period: dt.date) -> bool:
        return self.periods_from <= period <= self.periods_to

    def matches(self, period: dt.date, programme: str, sector: str, payer: str) -> bool:
        return (
            self.covers(period)
            and programme in self.programmes
            and sector in self.sectors
            and payer in self.payers
        )


@dataclass(frozen=True)
class Discount:
    id: str
    code: str
    label: str
    title: str
    effective_from: dt.date
    path: Path
    rules: tuple[DiscountRule, ...]


@dataclass(frozen=True)
class AppliedDiscount:
    discount: Discount
    rule: DiscountRule


def _parse_period(raw: Mapping[str, Any], key: str, path: Path, where: str) -> dt.date:
    value = raw.get(key)
    if not isinstance(value, str):
        raise fail(path, where + key, 'required as "YYYY-MM"')
    try:
        return parse_month(value)
    except ValueError as exc:
        raise fail(path, where + key, str(exc)) from None


def parse_rule(raw: object, path: Path, index: int) -> DiscountRule:
    where = f"rules[{index}]."
    if not isinstance(raw, dict):
        raise fail(path, where[:-1], "each rule must be a table")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise fail(path, where[:-1], f"unknown keys {sorted(unknown)}")
    periods_from = _parse_period(raw, "periods_from", path, where)
    periods_to = _parse_period(raw, "periods_to", path, where)
    if periods_to < periods_from:
        raise fail(path, where + "periods_to", "ends before periods_from")
    verified = require_bool(raw, "verified", path, default=True, where=where)
    note = optional_text(raw, "note", path, where=where)
    if not verified and not note:
        raise fail(path, where + "note", "an unverified rule needs a note saying why")
    return DiscountRule(
        periods_from=periods_from,
        periods_to=periods_to,
        programmes=parse_codes(raw.get("programmes"), PROGRAMMES, path, where + "programmes"),
        sectors=parse_codes(raw.get("sectors"), SECTORS, path, where + "sectors"),
        payers=parse_funding(raw.get("payers"), path, where + "payers"),
        rate=parse_rate(raw.get("rate"), path, where + "rate"),
        citation=require_text(raw, "citation", path, where=where),
        verified=verified,
        note=note,
        note_en=optional_text(raw, "note_en", path, where=where) or note,
    )


def parse_discount(
    raw: Mapping[str, Any], path: Path, *, set_id: str, effective_from: dt.date
) -> Discount:
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules:
        raise fail(path, "rules", "a discount needs at least one [[rules]] table")
    return Discount(
        id=set_id,
        code=require_text(raw, "code", path),
        label=require_text(raw, "label", path),
        title=require_text(raw, "title", path),
        effective_from=effective_from,
        path=path,
        rules=tuple(parse_rule(rule, path, i) for i, rule in enumerate(rules)),
    )


def _rules_overlap(a: DiscountRule, b: DiscountRule) -> bool:
    return (
        a.periods_from <= b.periods_to
        and b.periods_from <= a.periods_to
        and bool(set(a.programmes) & set(b.programmes))
        and bool(set(a.sectors) & set(b.sectors))
        and bool(set(a.payers) & set(b.payers))
    )


def check_discounts(discounts: Iterable[Discount]) -> None:
    """Refuse two rules that could both apply to one contribution: stacking discounts is not
    something any regulation so far provides for, so it is far more likely a data mistake."""
    pairs = [(d, r) for d in discounts for r in d.rules]
    codes: dict[str, Discount] = {}
    for discount, _rule in pairs:
        other = codes.setdefault(discount.code, discount)
        if other.id != discount.id:
            raise ParameterError(
                f"discount code {discount.code!r} is also used by {other.path.name}",
                path=discount.path,
                key="code",
            )
    for i, (d1, r1) in enumerate(pairs):
        for d2, r2 in pairs[i + 1 :]:
            if _rules_overlap(r1, r2):
                raise ParameterError(
                    f"discount rule for {format_month(r1.periods_from)}..."
                    f"{format_month(r1.periods_to)} overlaps a rule of {d2.path.name} "
                    f"({d2.code}) for the same programme, sector and payer",
                    path=d1.path,
                    key="rules",
                )


def find_discount(
    discounts: Iterable[Discount], period: dt.date, programme: str, sector: str, payer: str
) -> AppliedDiscount | None:
    for discount in discounts:
        for rule in discount.rules:
            if rule.matches(period, programme, sector, payer):
                return AppliedDiscount(discount, rule)
    return None


def withheld_for_payer(
    discounts: Iterable[Discount], period: dt.date, programme: str, sector: str, payer: str
) -> AppliedDiscount | None:
    """A discount that would apply but for the funding class (e.g. APBN/APBD under PP 50/2025):
    one of its rules covers the month, programme and sector, and none of them the payer."""
    for discount in discounts:
        covering = [
            rule
            for rule in discount.rules
            if rule.covers(period) and programme in rule.programmes and sector in rule.sectors
        ]
        if covering and not any(payer in rule.payers for rule in covering):
            return AppliedDiscount(discount, covering[0])
    return None
