"""One user as ``/api/v1/users/`` and ``jaring user … --json`` show it (issue 15).

Both read the same facts (``user_admin.login_facts``) and give them the same keys, so a script can
move between the API and the command line. Never a password, a token or a reset link: those are
handed over once by the write that makes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jaring.accounts.models import User
from jaring.accounts.user_admin import FAILED_DAYS, LoginFacts, login_facts


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_areas(user: User) -> list[dict[str, str]]:
    """The areas given to the user (not the tenant region an area-less office role sees)."""
    return sorted(({"code": a.region.code, "name": a.region.name} for a in user.areas.all()),
                  key=lambda area: area["code"])


def user_as_dict(user: User, facts: LoginFacts | None = None) -> dict[str, Any]:
    facts = facts or login_facts(user)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "phone": user.phone,
        "email": user.email,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "areas": user_areas(user),
        "is_active": user.is_active,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(facts.last_login),
        "failed_logins_recent": facts.failed_recent,
        "failed_logins_days": FAILED_DAYS,
        "last_failed_login": _iso(facts.last_failed),
        "locked": facts.locked_until is not None,
        "locked_until": _iso(facts.locked_until),
        "active_tokens": facts.active_tokens,
        "has_second_factor": facts.has_second_factor,
        "must_change_password": user.must_change_password,
    }
