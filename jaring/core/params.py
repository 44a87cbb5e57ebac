"""Safe parsing of query parameters and path identifiers, for web views and the API alike.

Every helper either returns a clean value or raises :class:`BadParameter` (400: the API answers in
its error shape, Django renders the 400 page). Numbers are ASCII digits only (``"³".isdigit()`` is
true but ``int("³")`` fails) and bounded so that a database never sees an integer it cannot hold;
dates are ISO; codes match a strict pattern; text never carries control characters (PostgreSQL
refuses NUL in a string).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, overload

from django.utils.translation import gettext as _

from jaring.core.errors import BadParameter

DB_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,18}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
YEAR_MIN, YEAR_MAX = 1900, 2200

# An identifier of a catalogue row (occupation, policy, payer lookup): letters, digits, . _ -
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
# A payer code as created from now on: it goes into URLs and file names.
PAYER_CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")
# A region code: 96, 96.71, 96.71.01, 96.71.01.1004
REGION_CODE_RE = re.compile(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?")


def _query(request: Any) -> Any:
    """The query dictionary of a Django ``HttpRequest`` or a DRF ``Request``."""
    params = getattr(request, "query_params", None)
    return params if params is not None else request.GET


def _raw(request: Any, name: str) -> str:
    return str(_query(request).get(name, "")).strip()


def _bad(name: str, message: str) -> BadParameter:
    return BadParameter(message, fields={name: [message]})


def has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


@overload
def int_param(request: Any, name: str, *, default: int, low: int = ..., high: int = ...,
              clamp: bool = ...) -> int: ...
@overload
def int_param(request: Any, name: str, *, default: None = ..., low: int = ..., high: int = ...,
              clamp: bool = ...) -> int | None: ...
def int_param(request: Any, name: str, *, default: int | None = None, low: int = 0, high: int = DB_INT_MAX,
              clamp: bool = False) -> int | None:
    """A whole number of ASCII digits in ``[low, high]``; blank gives ``default``.

    With ``clamp`` a number outside the range is brought into it (page sizes) instead of refused.
    """
    raw = _raw(request, name)
    if not raw:
        return default
    return check_int(raw, field=name, low=low, high=high, clamp=clamp)


def check_int(raw: str, *, field: str, low: int = 0, high: int = DB_INT_MAX, clamp: bool = False) -> int:
    if not _DIGITS.fullmatch(raw):
        raise _bad(field, _("Parameter %(name)s harus bilangan bulat (angka 0–9).") % {"name": field})
    value = int(raw)
    if clamp:
        return max(low, min(high, value))
    if not low <= value <= high:
        raise _bad(field, _("Parameter %(name)s harus antara %(low)s dan %(high)s.")
                   % {"name": field, "low": low, "high": high})
    return value


def date_param(request: Any, name: str, *, default: dt.date | None = None) -> dt.date | None:
    """An ISO date ``YYYY-MM-DD``; blank gives ``default``."""
    raw = _raw(request, name)
    if not raw:
        return default
    match = _DATE.fullmatch(raw)
    try:
        if not match or not YEAR_MIN <= int(match.group(1)) <= YEAR_MAX:
            raise ValueError(raw)
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _bad(name, _("Parameter %(name)s harus tanggal berbentuk TTTT-BB-HH.") % {"name": name}) from None


def check_month(raw: str, *, field: str) -> dt.date:
    """``YYYY-MM`` (ASCII digits, a plausible year) as the first day of that month."""
    match = _MONTH.fullmatch(raw.strip())
    if not match or not YEAR_MIN <= int(match.group(1)) <= YEAR_MAX or not 1 <= int(match.group(2)) <= 12:
        raise _bad(field, _("Parameter %(name)s harus bulan berbentuk TTTT-BB.") % {"name": field})
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_param(request: Any, name: str, *, default: dt.date | None = None) -> dt.date | None:
    """A month ``YYYY-MM`` as its first day; blank gives ``default``."""
    raw = _raw(request, name)
    return check_month(raw, field=name) if raw else default


def choice_param(request: Any, name: str, choices: Iterable[str], *, default: str = "") -> str:
    """One of ``choices``; blank gives ``default``."""
    raw = _raw(request, name)
    if not raw:
        return default
    allowed = [str(c) for c in choices]
    if raw not in allowed:
        raise _bad(name, _("Parameter %(name)s tidak dikenal; pilihan: %(choices)s.")
                   % {"name": name, "choices": ", ".join(allowed)})
    return raw


def code_param(request: Any, name: str, *, pattern: re.Pattern[str] = CODE_RE, default: str = "") -> str:
    """An identifier matching ``pattern`` (letters, digits, ``._-`` by default); blank gives ``default``."""
    raw = _raw(request, name)
    return check_code(raw, field=name, pattern=pattern) if raw else default


def check_code(value: str, *, field: str, pattern: re.Pattern[str] = CODE_RE) -> str:
    """A path or body identifier matching ``pattern``, else 400."""
    if not pattern.fullmatch(value):
        raise _bad(field, _("Kode %(name)s tidak sah.") % {"name": field})
    return value


def text_param(request: Any, name: str, *, max_length: int = 100) -> str:
    """Free text (a search), stripped and cut to ``max_length``; control characters are refused."""
    raw = _raw(request, name)
    if has_control_chars(raw):
        raise _bad(name, _("Parameter %(name)s berisi karakter yang tidak diizinkan.") % {"name": name})
    return raw[:max_length]
