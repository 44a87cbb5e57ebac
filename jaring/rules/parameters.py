"""Load, validate and look up regulation parameters.

Parameter sets live in TOML files (``params/`` beside this module, plus any files a deployment
passes in). Each set belongs to one *family* and has an effective date range. Within a family the
ranges must chain without overlap or gap; an open-ended set (no ``effective_to``) runs until the
next set of its family starts, which is how a later file supersedes an earlier one without editing
it. A file may also ``replaces = ["id"]`` another set outright, e.g. a full bracket table replacing
the shipped one-bracket table from the same date.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jaring.core.money import format_month, month_start
from jaring.rules.discounts import Discount, check_discounts, parse_discount
from jaring.rules.errors import ParameterError, RulesInputError
from jaring.rules.schema import (
    FAMILIES,
    Document,
    Level,
    ParamValue,
    check_consistency,
    fail,
    optional_text,
    parse_values,
    require_date,
    require_text,
)

PARAMS_DIR = Path(__file__).parent / "params"
DISCOUNT = "discount"
_SET_KEYS = {
    "id",
    "family",
    "title",
    "effective_from",
    "effective_to",
    "replaces",
    "note",
    "values",
}
_DISCOUNT_KEYS = {
    "id",
    "family",
    "title",
    "effective_from",
    "replaces",
    "note",
    "code",
    "label",
    "rules",
}


@dataclass(frozen=True)
class ParameterSet:
    id: str
    family: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None  # as declared in the file
    until: dt.date | None  # last day in force once the chain is known (None = open)
    path: Path
    values: Mapping[str, ParamValue]
    replaces: tuple[str, ...]
    note: str

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class _Parsed:
    set_id: str
    family: str
    replaces: tuple[str, ...]
    path: Path
    item: ParameterSet | Discount


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ParameterError(f"cannot read: {exc.strerror}", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"invalid TOML: {exc}", path=path) from None


def _parse_replaces(raw: dict[str, Any], path: Path) -> tuple[str, ...]:
    value = raw.get("replaces", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(path, "replaces", "must be a set id or a list of set ids")
    return tuple(value)


def _parse_file(path: Path) -> _Parsed:
    raw = _read_toml(path)
    family = require_text(raw, "family", path)
    if family != DISCOUNT and family not in FAMILIES:
        raise fail(
            path, "family", f"unknown family {family!r}; known: {sorted([*FAMILIES, DISCOUNT])}"
        )
    allowed = _DISCOUNT_KEYS if family == DISCOUNT else _SET_KEYS
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise fail(path, unknown[0], "unknown top-level key")
    set_id = require_text(raw, "id", path)
    replaces = _parse_replaces(raw, path)
    effective_from = require_date(raw, "effective_from", path)
    item: ParameterSet | Discount
    if family == DISCOUNT:
        item = parse_discount(raw, path, set_id=set_id, effective_from=effective_from)
    else:
        effective_to = require_date(raw, "effective_to", path) if "effective_to" in raw else None
        if effective_to is not None and effective_to < effective_from:
            raise fail(path, "effective_to", "is before effective_from")
        values = parse_values(family, raw.get("values"), path)
        check_consistency(family, values, path)
        item = ParameterSet(
            id=set_id,
            family=family,
            title=require_text(raw, "title", path),
            effective_from=effective_from,
            effective_to=effective_to,
            until=effective_to,
            path=path,
            values=MappingProxyType(values),
            replaces=replaces,
            note=optional_text(raw, "note", path),
        )
    return _Parsed(set_id, family, replaces, path, item)


def _files(extra_paths: Iterable[Path | str]) -> list[Path]:
    files = sorted(PARAMS_DIR.glob("*.toml"))
    for extra in map(Path, extra_paths):
        if extra.is_dir():
            files.extend(sorted(extra.glob("*.toml")))
        elif extra.is_file():
            files.append(extra)
        else:
            raise ParameterError("no such parameter file or directory", path=extra)
    return files


def _apply_replaces(parsed: list[_Parsed]) -> list[_Parsed]:
    by_id: dict[str, _Parsed] = {}
    for entry in parsed:
        if entry.set_id in by_id:
            raise fail(entry.path, "id", f"duplicate id, also in {by_id[entry.set_id].path}")
        by_id[entry.set_id] = entry
    dropped: set[str] = set()
    for entry in parsed:
        for target in entry.replaces:
            if target not in by_id or target == entry.set_id:
                raise fail(entry.path, "replaces", f"no other parameter set with id {target!r}")
            if by_id[target].family != entry.family:
                raise fail(entry.path, "replaces", f"{target!r} is of another family")
            dropped.add(target)
    return [entry for entry in parsed if entry.set_id not in dropped]


def _describe(item: ParameterSet) -> str:
    end = item.effective_to.isoformat() if item.effective_to else "open"
    return f"{item.path.name} ({item.effective_from.isoformat()} to {end})"


def _chain(family: str, sets: list[ParameterSet]) -> tuple[ParameterSet, ...]:
    """Order a family's sets and refuse overlaps and gaps, so exactly one set is in force on
    every day from the first start onwards."""
    ordered = sorted(sets, key=lambda s: s.effective_from)
    chained: list[ParameterSet] = []
    for current, following in zip(ordered, [*ordered[1:], None], strict=True):
        if following is None:
            chained.append(current)
            break
        if following.effective_from == current.effective_from or (
            current.effective_to is not None and following.effective_from <= current.effective_to
        ):
            raise ParameterError(
                f"family {family!r}: effective range overlaps {_describe(current)}; end the "
                f"earlier set or use replaces",
                path=following.path,
                key="effective_from",
            )
        day_after = (
            current.effective_to or following.effective_from - dt.timedelta(days=1)
        ) + dt.timedelta(days=1)
        if following.effective_from > day_after:
            raise ParameterError(
                f"family {family!r}: gap after {_describe(current)}; this set must start on "
                f"{day_after.isoformat()}",
                path=following.path,
                key="effective_from",
            )
        chained.append(replace(current, until=following.effective_from - dt.timedelta(days=1)))
    return tuple(chained)


@dataclass(frozen=True)
class Snapshot:
    """The parameter sets in force on one day, with the discounts that exist."""

    day: dt.date
    sets: Mapping[str, ParameterSet]
    discounts: tuple[Discount, ...]
    first_starts: Mapping[str, dt.date]

    def require(self, *families: str, field: str = "date") -> None:
        for family in families:
            if family not in self.sets:
                start = self.first_starts[family].isoformat()
                raise RulesInputError(
                    field,
                    f"Parameter {family} belum berlaku pada {self.day.isoformat()} "
                    f"(berlaku mulai {start}).",
                    f"No {family} parameters in force on {self.day.isoformat()} "
                    f"(they start on {start}).",
                )

    def param(self, family: str, key: str) -> ParamValue:
        self.require(family)
        return self.sets[family].values[key]

    def value(self, family: str, key: str) -> Any:
        return self.param(family, key).value

    def unverified(self, family: str) -> list[ParamValue]:
        return [v for v in self.sets[family].values.values() if not v.verified]

    def rows(self) -> list[dict[str, Any]]:
        """Every value in force with its citation, JSON-ready, for read-only display."""
        rows: list[dict[str, Any]] = []
        for family, pset in sorted(self.sets.items()):
            where = {
                "set_id": pset.id,
                "source": pset.path.name,
                "effective_from": pset.effective_from.isoformat(),
                "effective_to": pset.until.isoformat() if pset.until else None,
            }
            for value in pset.values.values():
                rows.append(
                    {
                        "family": family,
                        "key": value.key,
                        "value": _plain(value.value),
                        "citation": value.citation,
                        "verified": value.verified,
                        "note": value.note,
                        **where,
                    }
                )
                rows.extend({"family": family, **row, **where} for row in _entry_rows(value))
        month = month_start(self.day)
        for discount in self.discounts:
            for index, rule in enumerate(discount.rules):
                if rule.covers(month):
                    rows.append(
                        {
                            "family": DISCOUNT,
                            "key": f"{discount.code}.rules[{index}]",
                            "value": {
                                "rate": str(rule.rate),
                                "programmes": list(rule.programmes),
                                "sectors": list(rule.sectors),
                                "payers": list(rule.payers),
                            },
                            "citation": rule.citation,
                            "verified": rule.verified,
                            "note": rule.note,
                            "set_id": discount.id,
                            "source": discount.path.name,
                            "effective_from": format_month(rule.periods_from),
                            "effective_to": format_month(rule.periods_to),
                        }
                    )
        return rows


def _entry_rows(value: ParamValue) -> list[dict[str, Any]]:
    """The elements of a list cited one by one, one row per distinct citation, flag and note
    (so a table of 198 nominals shows as a handful of rows). None when all share the value's."""
    groups: dict[tuple[str, bool, str], list[Any]] = {}
    for entry in value.entries:
        groups.setdefault((entry.citation, entry.verified, entry.note), []).append(entry.value)
    if len(groups) < 2:
        return []
    return [
        {
            "key": f"{value.key}[]",
            "value": _plain(tuple(elements)),
            "citation": citation,
            "verified": verified,
            "note": note,
        }
        for (citation, verified, note), elements in groups.items()
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Level):
        return {
            "code": value.code,
            "accepts": list(value.accepts),
            "label": value.label,
            "amount_idr": value.amount_idr,
            "max_years": value.max_years,
        }
    if isinstance(value, Document):
        return {"code": value.code, "label": value.label, "types": list(value.types), "required": value.required}
    return value


@dataclass(frozen=True)
class Parameters:
    families: Mapping[str, tuple[ParameterSet, ...]]
    discounts: tuple[Discount, ...]
    files: tuple[Path, ...]

    def first_start(self) -> dt.date:
        return min(sets[0].effective_from for sets in self.families.values())

    def on(self, day: dt.date, *, field: str = "date") -> Snapshot:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise RulesInputError(field, "Harus berupa tanggal.", "Must be a date.")
        first = self.first_start()
        if day < first:
            raise RulesInputError(
                field,
                f"Tidak ada parameter regulasi yang berlaku pada {day.isoformat()}; parameter "
                f"paling awal berlaku mulai {first.isoformat()}.",
                f"No regulation parameters are in force on {day.isoformat()}; the earliest "
                f"start on {first.isoformat()}.",
            )
        in_force = {
            family: found[0]
            for family, sets in self.families.items()
            if (found := [s for s in sets if s.covers(day)])
        }
        starts = {family: sets[0].effective_from for family, sets in self.families.items()}
        return Snapshot(day, MappingProxyType(in_force), self.discounts, MappingProxyType(starts))


def load_parameters(extra_paths: Iterable[Path | str] = ()) -> Parameters:
    """Read the shipped parameter files plus ``extra_paths`` (files or directories of
    ``*.toml``) and check them all; any problem raises ``ParameterError``."""
    files = _files(extra_paths)
    parsed = _apply_replaces([_parse_file(path) for path in files])
    by_family: dict[str, list[ParameterSet]] = {family: [] for family in FAMILIES}
    discounts: list[Discount] = []
    for entry in parsed:
        if isinstance(entry.item, Discount):
            discounts.append(entry.item)
        else:
            by_family[entry.family].append(entry.item)
    for family, sets in by_family.items():
        if not sets:
            raise ParameterError(f"no parameter file for family {family!r}", path=PARAMS_DIR)
    check_discounts(discounts)
    families = {family: _chain(family, sets) for family, sets in by_family.items()}
    return Parameters(MappingProxyType(families), tuple(discounts), tuple(files))


@functools.lru_cache(maxsize=1)
def default_parameters() -> Parameters:
    """The shipped parameters, loaded once per process."""
    return load_parameters()


def parameters_on(day: dt.date, params: Parameters | None = None) -> Snapshot:
    """The parameter values in force on ``day`` with their citations."""
    return (params or default_parameters()).on(day)
