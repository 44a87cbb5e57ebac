"""The audit trail viewer at scale: the first page of filtered views of ``size`` events.

Builds ``size`` audit events set-based (``jaring.core.bulk``: COPY on PostgreSQL; the append-only
triggers refuse UPDATE and DELETE, not INSERT) spread over three years, 300 actors, 40 actions, six
object types, the city's kelurahan and four channels; then times the first page (50 rows) of the
trail selector for: one actor, one action, one object's history, an area prefix (a distrik), a week,
a channel, and nothing at all; each beside a baseline: the same filter paged by OFFSET to a deep page
(what a numbered paginator does on page 2,000), which is the cost the keyset cursor avoids. A second
figure times following the "more" link ten pages deep by cursor.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from typing import Any

from bench.harness import django_home, emit, progress, summary_ms, timed_calls

COLUMNS = ["at", "actor_label", "action", "object_type", "object_id", "region_code", "before", "after", "ip",
           "request_id", "channel"]
OBJECT_TYPES = ["registry.person", "registry.household", "membership.membership", "contributions.payment",
                "claims.claim", "accounts.user"]
VERBS = ["create", "update", "register", "delete_request", "merge", "enrol", "record", "view", "export",
         "reveal_nik"]
CHANNELS = ["web"] * 6 + ["api"] * 2 + ["cli", "task"]
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN_S = 3 * 365 * 86400
DEEP_OFFSET = 100_000


def _kelurahan_codes() -> list[str]:
    from jaring.regions.models import Region

    codes = list(Region.objects.filter(level="kelurahan").values_list("code", flat=True))
    return codes or [f"96.71.{d:02d}.{1000 + k}" for d in range(1, 11) for k in range(1, 7)]


def build(size: int, seed: int = 5) -> dict[str, Any]:
    from django.db import connection

    from jaring.core.bulk import bulk_insert

    rng = random.Random(seed)
    actors = [f"user{i:03d}" for i in range(300)]
    actions = [f"{t.split('.')[1]}.{v}" for t in OBJECT_TYPES[:4] for v in VERBS]
    codes = _kelurahan_codes()
    step = SPAN_S / max(1, size)
    started = time.perf_counter()

    def rows():  # type: ignore[no-untyped-def]
        for i in range(size):
            at = START + dt.timedelta(seconds=int(i * step))  # in time order, as events arrive
            otype = rng.choice(OBJECT_TYPES)
            before = json.dumps({"phone": f"0812****{rng.randrange(100):02d}", "status": "aktif"}) \
                if rng.random() < 0.5 else None
            after = json.dumps({"phone": f"0812****{rng.randrange(100):02d}", "status": "aktif"})
            yield (at, rng.choice(actors), rng.choice(actions), otype, str(rng.randrange(1, max(2, size // 20))),
                   rng.choice(codes) if rng.random() < 0.9 else "", before, after, "10.0.0.1",
                   f"{i:032x}", rng.choice(CHANNELS))

    def report(count: int) -> None:
        if count % 500_000 == 0:
            progress(f"inserted {count:,} events ({time.perf_counter() - started:.0f} s)")

    if connection.vendor == "sqlite":  # raw sqlite3 would store aware datetimes in another text form
        def adapted():  # type: ignore[no-untyped-def]
            for row in rows():
                yield (connection.ops.adapt_datetimefield_value(row[0]), *row[1:])
        bulk_insert("core_auditevent", COLUMNS, adapted(), progress=report)
    else:
        bulk_insert("core_auditevent", COLUMNS, rows(), progress=report)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"actors": actors, "actions": actions, "codes": codes, "max_object": max(2, size // 20)}


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url):
        from django.db import connection, transaction

        from jaring.core.trail import TrailFilters, trail_page, trail_queryset

        started = time.perf_counter()
        with transaction.atomic():
            world = build(size)
        emit("audit_log.build", size, time.perf_counter() - started, rows=size, database=connection.vendor)
        rng = random.Random(13)
        distrik = sorted({c.rsplit(".", 1)[0] for c in world["codes"]})

        def week() -> TrailFilters:
            day = (START + dt.timedelta(seconds=rng.randrange(SPAN_S - 8 * 86400))).date()
            return TrailFilters(date_from=day, date_to=day + dt.timedelta(days=6))

        views: dict[str, list[TrailFilters]] = {
            "actor": [TrailFilters(actor=rng.choice(world["actors"])) for _ in range(60)],
            "action": [TrailFilters(action=rng.choice(world["actions"])) for _ in range(60)],
            "object": [TrailFilters(object_type=rng.choice(OBJECT_TYPES),
                                    object_id=str(rng.randrange(1, world["max_object"]))) for _ in range(60)],
            "area": [TrailFilters(area=rng.choice(distrik)) for _ in range(60)],
            "date_range": [week() for _ in range(60)],
            "channel": [TrailFilters(channel=rng.choice(["api", "cli"])) for _ in range(60)],
            "unfiltered": [TrailFilters() for _ in range(60)],
        }
        offset = min(DEEP_OFFSET, max(0, size // 20))

        def first_page(filters: TrailFilters) -> list[Any]:
            return trail_page(filters, codes=None).events

        def deep_offset(filters: TrailFilters) -> list[Any]:
            return list(trail_queryset(filters, codes=None)[offset:offset + 50])

        for name, filters in views.items():
            first_page(filters[0])  # warm the caches once, as a running server would be
            stats: dict[str, Any] = summary_ms(timed_calls(first_page, filters))
            baseline = summary_ms(timed_calls(deep_offset, filters[:10]))
            emit(f"audit_log.first_page.{name}", size, stats["p95_ms"] / 1000,
                 baseline_seconds=baseline["p95_ms"] / 1000, database=connection.vendor, page_size=50,
                 baseline=f"same filter, OFFSET {offset:,} (a numbered page that deep), p95",
                 baseline_p50_ms=baseline["p50_ms"], **stats)

        def ten_pages(filters: TrailFilters) -> None:
            cursor = ""
            for _ in range(10):
                page = trail_page(filters, codes=None, cursor=cursor)
                if not page.next_cursor:
                    return
                cursor = page.next_cursor

        stats = dict(summary_ms(timed_calls(ten_pages, views["area"][:20])))
        emit("audit_log.ten_pages_by_cursor.area", size, stats["p95_ms"] / 1000, database=connection.vendor,
             pages=10, page_size=50, **stats)
