"""Finding the person a request body names, inside the caller's area."""

from __future__ import annotations

from typing import Any

from jaring.accounts.types import AuthenticatedRequest
from jaring.core.errors import ValidationFailed
from jaring.membership.selectors import person_by_nik_or_404
from jaring.registry.models import Person
from jaring.registry.selectors import person_get


def person_from(request: AuthenticatedRequest, data: dict[str, Any]) -> Person:
    """``person`` (an id) or ``nik`` from validated data, looked up in the caller's area (404 outside it)."""
    if data.get("person"):
        return person_get(actor=request.user, person_id=data["person"])
    if data.get("nik"):
        return person_by_nik_or_404(actor=request.user, nik=data["nik"])
    raise ValidationFailed("person or nik is required", fields={"person": ["required"]})
