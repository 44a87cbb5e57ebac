"""Test-data builders of core (excluded from the writes-only-in-services rule, like every testing.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection

AUDIT_COLUMNS = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "before", "after",
                 "request_id", "channel"]


def audit_events_insert(rows: list[dict[str, Any]], *, at: dt.datetime, **defaults: Any) -> None:
    """Audit events with chosen timestamps (``audit_log`` stamps now), in one executemany: the
    append-only triggers allow INSERT. Each row overrides ``defaults`` and ``at``."""
    base = {"at": at, "actor_label": "someone", "action": "test.act", "object_type": "test.thing",
            "object_id": "1", "region_code": "", "before": None, "after": None, "request_id": "",
            "channel": "web", **defaults}

    def row(r: dict[str, Any]) -> list[Any]:
        full = {**base, **r}
        full["at"] = connection.ops.adapt_datetimefield_value(full["at"])
        for key in ("before", "after"):
            full[key] = None if full[key] is None else json.dumps(full[key])
        return [full[c] for c in AUDIT_COLUMNS]

    sql = (f"INSERT INTO core_auditevent ({', '.join(AUDIT_COLUMNS)}) "  # noqa: S608 - fixed column names
           f"VALUES ({', '.join(['%s'] * len(AUDIT_COLUMNS))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [row(r) for r in rows])
