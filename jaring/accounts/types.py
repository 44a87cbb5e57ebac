"""Request types for views whose user is always signed in (for mypy; nothing here runs).

Django and DRF type ``request.user`` as ``User | AnonymousUser``. Every Jaring web view is wrapped
in :func:`jaring.accounts.capabilities.capability_required` (anonymous → login page) or
``login_required``, and every API view passes ``HasCapability`` (``jaring.accounts.drf``), which
refuses anonymous users before the handler runs. So inside a view the user is a ``User``: annotate
the view's ``request`` parameter (for DRF, the handler's: ``def get(self, request: AuthenticatedRequest)``)
with these types instead of narrowing ``request.user`` in every view.

Only use them where one of those guards runs first; a view open to anonymous visitors (the login
page) keeps ``HttpRequest``. At run time the request objects are the ordinary ones.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from jaring.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request behind ``capability_required`` or ``login_required``."""

    user: User
    method: str  # every request that reached a view has one (stubs allow None for a bare HttpRequest())


class AuthenticatedRequest(Request):
    """A DRF request that passed ``HasCapability`` (signed in, active)."""

    # DRF's ``Request.user`` is a property; a bare annotation narrows it for the type checker and
    # leaves the property untouched at run time.
    user: User
    method: str  # DRF's dispatch has already called request.method.lower()
