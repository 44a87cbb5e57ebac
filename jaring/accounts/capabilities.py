"""Who may do what: the one table of roles → named capabilities (ARCHITECTURE §5.9).

Services call :func:`require`; web views use :func:`capability_required`; the API's permission
class (``jaring.accounts.drf``) reads the same ``capability`` off each view; templates ask
``{% if user|can:"registry.write" %}``; the CLI goes through the services. The web and the API
therefore cannot disagree: a test walks every route for every role and compares.

*What* a user may do is decided here; *where* (the areas) is decided by ``Scope`` in
``accounts.selectors``: outside the area is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.utils.translation import gettext as _

from jaring.accounts.models import Role
from jaring.core.errors import PermissionDenied

EVERYONE = frozenset(Role.values)
OFFICE = frozenset({Role.ADMIN, Role.OPERATOR})
FIELD = OFFICE | {Role.FACILITATOR}

CAPABILITIES: dict[str, frozenset[str]] = {
    # The registry: persons and households in the user's areas.
    "registry.read": EVERYONE,
    "registry.write": FIELD,
    "registry.import": FIELD,
    "imports.read": FIELD | {Role.AUDITOR},
    "imports.read_all": OFFICE | {Role.AUDITOR},
    "imports.confirm_any": frozenset({Role.ADMIN}),  # import a file another user checked (as that user)
    "poverty.read": EVERYONE - {Role.LIAISON},
    "nik.reveal": EVERYONE,
    "duplicates.read": FIELD | {Role.AUDITOR},
    "duplicates.merge": FIELD,
    "duplicates.scan": OFFICE,
    # The money loop.
    "coverage.read": EVERYONE,
    "money.read": OFFICE | {Role.LIAISON, Role.AUDITOR},
    "money.write": OFFICE,
    "payers.manage": frozenset({Role.ADMIN}),
    "membership.enrol": FIELD,
    "membership.enrol_collective": OFFICE,  # a facilitator enrols self-payers only
    "registry.kpj_replace": OFFICE,  # replacing a person's KPJ by another one (registry.person_assign_kpj)
    "payment.record": FIELD,
    "bpjstk.exchange": OFFICE | {Role.LIAISON},
    # Claims: a facilitator reports from the field; BPJSTK's liaison and the auditor read.
    "claims.read": FIELD | {Role.LIAISON, Role.AUDITOR},
    "claims.write": FIELD,  # report an event, record documents, heirs and the outcome
    "claims.office": OFFICE,  # submit to BPJSTK, record its payment (which ends a membership) or rejection
    # Field work: visits and calls to members in arrears, outreach events (the office sees them).
    "fieldwork.read": FIELD | {Role.AUDITOR},
    "fieldwork.write": FIELD,
    # The offline field app keeps the area's data on a phone: facilitators only (decision 0039).
    "field.offline": frozenset({Role.FACILITATOR}),
    # Targeting.
    "targeting.read": OFFICE | {Role.AUDITOR},
    "targeting.prepare": OFFICE,
    "targeting.decide": frozenset({Role.ADMIN}),
    # Reports and the trail.
    "reports.read": EVERYONE,
    "reports.target": frozenset({Role.ADMIN}),
    "reports.snapshot": OFFICE,
    "audit.read": frozenset({Role.ADMIN, Role.AUDITOR}),
    # An object's own history (who changed what, when) on its page: the office and the auditor;
    # facilitators and BPJSTK's liaison see none of the trail.
    "history.read": OFFICE | {Role.AUDITOR},
    "users.manage": frozenset({Role.ADMIN}),
    # Pages any signed-in user may open (the home page, the simulator, the parameters).
    "session": EVERYONE,
    # The parameters page's technical view: the parameter files' keys and their raw notes.
    "parameters.technical": frozenset({Role.ADMIN}),
}


def can(user: Any, capability: str) -> bool:
    """True when ``user`` holds ``capability``. An unknown name is a programming error."""
    roles = CAPABILITIES[capability]
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or user.role in roles


def require(user: Any, capability: str) -> None:
    """Raise ``PermissionDenied`` (HTTP 403, CLI exit code) unless ``user`` holds ``capability``."""
    if not can(user, capability):
        raise PermissionDenied(_("Peran Anda tidak boleh melakukan ini."))


def capability_for(declared: str | Mapping[str, str], method: str) -> str:
    """The capability a view declares for an HTTP method (one name, or method → name with an
    optional ``"*"`` for the rest)."""
    if isinstance(declared, str):
        return declared
    return declared.get(method.upper()) or declared["*"]


def capability_required(
        capability: str | Mapping[str, str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A web view for signed-in users holding ``capability``: anonymous → login, others → 403.
    ``capability`` may map HTTP methods to names (``{"GET": "imports.read", "*": "registry.import"}``).

    Domain errors raised inside the view map to their pages: ``NotFound`` → 404 (outside the
    user's area), ``PermissionDenied`` → 403. The capability is kept on the view for the test
    that walks every route.
    """
    for name in [capability] if isinstance(capability, str) else capability.values():
        CAPABILITIES[name]  # fail at import time on a typo

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        from django.contrib.auth.views import redirect_to_login
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
        from django.http import Http404

        from jaring.core.errors import NotFound

        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability_for(capability, request.method)):
                raise DjangoPermissionDenied
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except NotFound:
                raise Http404 from None

        wrapper.capability = capability  # type: ignore[attr-defined]
        return wrapper

    return decorate
