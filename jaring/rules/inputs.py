"""Strict parsing of calculator inputs. Every problem raises ``RulesInputError`` naming the field;
nothing is ever silently defaulted or coerced (a float is not money, "1" is not a number)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from jaring.core.money import format_month, parse_month
from jaring.rules.errors import RulesInputError

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def input_error(field: str, message: str, message_en: str) -> RulesInputError:
    return RulesInputError(field, message, message_en)


def whole_number(value: object, field: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise input_error(field, "Harus berupa bilangan bulat.", "Must be a whole number.")
    if value < minimum:
        raise input_error(
            field, f"Tidak boleh kurang dari {minimum}.", f"Must not be less than {minimum}."
        )
    return value


def percent_value(value: object, field: str) -> Decimal:
    """A percentage in (0, 100]; floats from JSON go through ``str`` so 12.5 stays 12.5."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise input_error(field, "Harus berupa angka.", "Must be a number.")
    number = Decimal(str(value))
    if not number.is_finite() or not Decimal(0) < number <= Decimal(100):
        raise input_error(
            field,
            "Harus lebih dari 0 dan paling banyak 100.",
            "Must be more than 0 and at most 100.",
        )
    return number


def date_value(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise input_error(field, "Harus berupa tanggal tanpa jam.", "Must be a date without time.")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise input_error(
        field,
        "Tanggal tidak sah; gunakan format YYYY-MM-DD.",
        "Invalid date; use the form YYYY-MM-DD.",
    )


def month_value(value: object, field: str) -> dt.date:
    """A month as ``YYYY-MM`` or as a date on the 1st (the project's month convention)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if value.day != 1:
            raise input_error(
                field,
                "Bulan harus berupa tanggal 1.",
                "A month must be given as the 1st of the month.",
            )
        return value
    if isinstance(value, str):
        try:
            return parse_month(value)
        except ValueError:
            pass
    raise input_error(
        field, "Bulan tidak sah; gunakan format YYYY-MM.", "Invalid month; use the form YYYY-MM."
    )


def choice(value: object, field: str, options: Iterable[str]) -> str:
    allowed = list(options)
    if not isinstance(value, str) or value not in allowed:
        listed = ", ".join(allowed)
        raise input_error(
            field,
            f"Nilai tidak dikenal: {value!r}; pilihan: {listed}.",
            f"Unknown value {value!r}; choose one of: {listed}.",
        )
    return value


def mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise input_error(field, "Harus berupa objek.", "Must be an object.")
    return value


def no_unknown_keys(data: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    known = set(allowed)
    for key in data:
        if key not in known:
            raise input_error(prefix + str(key), "Kolom tidak dikenal.", "Unknown field.")


def required(data: Mapping[str, Any], key: str, prefix: str = "") -> Any:
    if key not in data or data[key] is None:
        raise input_error(prefix + key, "Wajib diisi.", "Required.")
    return data[key]


def month_key(month: dt.date) -> str:
    return format_month(month)
