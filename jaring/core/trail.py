"""Reading the audit trail: filters, an area scope and keyset paging (issue 15 point 4).

The trail grows to tens of millions of events, so a page is found by a cursor on ``(at, id)``
descending (no OFFSET, no count of the table): the next page starts below the last row shown. Each
filter has an index that starts with its column and ends with ``(at, id)`` (migration 0005), so a
filtered first page is a short walk of one index.

The area scope comes from the caller (``accounts.selectors.Scope.codes``; core imports no domain
app): ``None`` shows every event, a list of region codes shows the events of those subtrees (events
with no region, such as sign-ins and reads, belong to no area and are left out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from jaring.core.models import AuditEvent

PAGE_SIZE = 50
CHANNELS = ("web", "api", "cli", "task")
_ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class TrailFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    area: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    next_cursor: str  # blank on the last page


def _subtree(code: str) -> Q:
    return Q(region_code=code) | Q(region_code__startswith=code + ".")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def trail_queryset(filters: TrailFilters, *, codes: Sequence[str] | None) -> QuerySet[AuditEvent]:
    """Events matching ``filters`` inside the area ``codes`` (``None``: everywhere), newest first."""
    qs = AuditEvent.objects.all()
    if codes is not None:
        scope = Q(pk__in=[])
        for code in codes:
            scope |= _subtree(code)
        qs = qs.filter(scope)
    if filters.actor:
        qs = qs.filter(actor_label=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.area:
        qs = qs.filter(_subtree(filters.area))
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to and filters.date_to < dt.date.max:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    return qs.order_by("-at", "-id")


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S.%f')}_{event.pk}"


def decode_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    """The ``(at, id)`` a cursor points below; ``None`` for a blank or malformed one (first page)."""
    stamp, _sep, ident = (raw or "")[:64].partition("_")
    if not ident.isascii() or not ident.isdigit() or len(ident) > 19 or int(ident) > _ID_MAX:
        return None
    try:
        at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return at, int(ident)


def _below(qs: QuerySet[AuditEvent], cursor: tuple[dt.datetime, int] | None) -> QuerySet[AuditEvent]:
    if cursor is None:
        return qs
    at, ident = cursor
    return qs.filter(Q(at__lt=at) | Q(at=at, id__lt=ident))


def trail_page(filters: TrailFilters, *, codes: Sequence[str] | None, cursor: str = "",
               size: int = PAGE_SIZE) -> TrailPage:
    """One page of the trail below ``cursor``, and the cursor of the next page."""
    rows = list(_below(trail_queryset(filters, codes=codes), decode_cursor(cursor))
                .select_related(None)[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return TrailPage(events=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else "")


def trail_iter(filters: TrailFilters, *, codes: Sequence[str] | None, limit: int,
               chunk: int = 2000) -> Iterator[AuditEvent]:
    """Up to ``limit`` events, newest first, fetched page by page on the cursor (for exports)."""
    cursor = ""
    sent = 0
    while sent < limit:
        page = trail_page(filters, codes=codes, cursor=cursor, size=min(chunk, limit - sent))
        yield from page.events
        sent += len(page.events)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(event: AuditEvent) -> list[tuple[str, str, str, bool]]:
    """``before``/``after`` side by side: (field, before, after, changed) for every field either holds."""
    before = event.before if isinstance(event.before, dict) else ({"": event.before} if event.before else {})
    after = event.after if isinstance(event.after, dict) else ({"": event.after} if event.after else {})
    keys = list(before) + [k for k in after if k not in before]
    return [(str(k), _shown(before.get(k)), _shown(after.get(k)), before.get(k) != after.get(k)) for k in keys]
