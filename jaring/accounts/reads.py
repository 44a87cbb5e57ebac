"""Reads of personal data, audited by construction (ARCHITECTURE §5.9).

Every web view and API endpoint that shows persons' data carries :func:`personal_data` (or, on
the API, ``jaring.accounts.drf.PersonalDataMixin``); a test walks every route and fails when a
page that shows a person's name or phone has neither. An auditor's read leaves an event with the
route, the object and the query; a search term that looks like a NIK or KK is kept as its blind
index (the same index the registry stores, so the trail can still be joined to the person), never
in clear.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from jaring.accounts.models import Role

# A run of eight or more digits (spaces, dots and dashes allowed between them) is treated as an
# identifier: NIK and KK have 16, a phone number 10-13; none is kept in clear in the trail.
_IDENTIFIER = re.compile(r"(?:\d[\s.\-]*){8,}")


def logs_reads_of(user: Any) -> bool:
    """Whose reads are recorded: the auditor's (ARCHITECTURE §1)."""
    return getattr(user, "role", None) == Role.AUDITOR


def redact(value: str) -> str:
    """``value`` with every identifier-like run of digits replaced by its blind index."""
    from jaring.core.crypto import cipher

    def blind(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "bi:" + cipher().blind_index(digits, kind="nik")[:24]

    return _IDENTIFIER.sub(blind, value)


def redacted_query(query: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in list(query)[:20]:
        values = query.getlist(key) if hasattr(query, "getlist") else [query[key]]
        cleaned = [redact(str(v))[:200] for v in values[:5]]
        result[str(key)[:40]] = cleaned[0] if len(cleaned) == 1 else cleaned
    return result


def record_read(*, user: Any, action: str, path: str, query: Mapping[str, Any],
                object_type: str = "", object_id: str = "") -> None:
    if not logs_reads_of(user):
        return
    from jaring.core.audit import audit_log

    audit_log(actor=user, action=action, object_type=object_type or "route", object_id=object_id,
              after={"path": redact(path)[:300], "query": redacted_query(query)})


def personal_data(action: str, *, object_type: str = "",
                  id_kwarg: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a web view as showing personal data; an auditor's successful read is recorded."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD") and response.status_code < 400:
                record_read(user=request.user, action=action, path=request.path, query=request.GET,
                            object_type=object_type, object_id=str(kwargs.get(id_kwarg, "")) if id_kwarg else "")
            return response

        wrapper.personal_data = action  # type: ignore[attr-defined]
        return wrapper

    return decorate
