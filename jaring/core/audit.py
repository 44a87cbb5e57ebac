"""Writing audit events. Called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from jaring.core.context import current_request
from jaring.core.models import AuditEvent


def audit_log(*, actor: Any, action: str, obj: models.Model | None = None,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
              region_code: str = "", object_type: str = "", object_id: str = "") -> AuditEvent:
    info = current_request.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor_obj = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "username", "") or ("system" if actor is None else str(actor))
    return AuditEvent.objects.create(
        actor=actor_obj, actor_label=label, action=action, object_type=object_type,
        object_id=object_id, region_code=region_code, before=before, after=after,
        ip=info.ip, request_id=info.request_id, channel=info.channel,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, for a compact before/after."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def audit_log_many(*, actor: Any, action: str, object_type: str,
                   events: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
                   region_code: str = "") -> int:
    """One event per object for a set-based write (``events``: object id, before, after), in a
    few INSERTs instead of one per object. Same fields as :func:`audit_log`."""
    if not events:
        return 0
    info = current_request.get()
    actor_obj = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "username", "") or ("system" if actor is None else str(actor))
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=actor_obj, actor_label=label, action=action, object_type=object_type, object_id=object_id,
                   region_code=region_code, before=before, after=after, ip=info.ip, request_id=info.request_id,
                   channel=info.channel)
        for object_id, before, after in events], batch_size=2000)
    return len(events)
