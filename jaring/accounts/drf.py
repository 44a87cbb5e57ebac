"""The API's side of the one rulebook: capabilities and audited reads for DRF views.

``HasCapability`` is the default permission class: a view declares ``capability`` (one name, or
a mapping of HTTP method → name) and the check is the same :func:`can` the web and the services
use. ``PersonalDataMixin`` records an auditor's successful reads like ``reads.personal_data``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from jaring.accounts.capabilities import can, capability_for
from jaring.accounts.reads import record_read


def view_capability(view: Any, method: str) -> str | None:
    declared = getattr(view, "capability", None)
    if declared is None:
        return None
    try:
        return capability_for(declared, method)
    except KeyError:
        return None


class HasCapability(BasePermission):
    """Signed in, active, and holding the view's capability for this method.

    A view that declares none is refused: forgetting the declaration must not open a route
    (the route walk test names any such view)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        capability = view_capability(view, request.method)
        return capability is not None and can(user, capability)


class PersonalDataMixin:
    """For API views that return persons' data: ``audit_action`` names the read."""

    audit_action = ""
    audit_object_type = ""
    audit_id_kwarg = ""

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD") and response.status_code < 400 and self.audit_action:
            object_id = str(kwargs.get(self.audit_id_kwarg, "")) if self.audit_id_kwarg else ""
            record_read(user=request.user, action=self.audit_action, path=request.path,
                        query=request.query_params, object_type=self.audit_object_type, object_id=object_id)
        return response
