"""Allocation preview at scale: ``size`` persons (households of four, three of working age),
a tenth already members → rank everyone eligible and fill Rp2.2 billion for 12 months.

Baselines beside it: the bare eligible-count query with the same rules (the floor: what the
database alone needs to find the people), and the per-person ORM way on a 2,000-person slice,
scaled to the same number of candidates.
"""

from __future__ import annotations

import datetime as dt
import time

from bench.harness import django_home, emit, progress

START = dt.date(2027, 1, 1)
BUDGET = 2_200_000_000
SLICE = 2_000


def build(size: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from jaring.membership.models import FUNDING_FROM_KIND, Payer
    from jaring.targeting.testing import build_candidates

    with transaction.atomic():
        build_candidates(max(1, size // 4), deciles=10, on=START, tag="B",
                         progress=lambda n: progress(f"persons: {n:,}"))
        own = Payer.objects.create(code="MANDIRI", name="Mandiri", kind="self",
                                   funding_source=FUNDING_FROM_KIND["self"])
        with connection.cursor() as cursor:
            # A tenth of the working people already pay for themselves: they must drop out.
            cursor.execute(
                "INSERT INTO membership_membership (person_id, payer_id, has_jht, declared_income_idr, sector,"
                " status, start_date, end_reason, created_at) SELECT p.id, %s, %s, 1000000, 'other', 'active',"
                " %s, '', %s FROM registry_person p WHERE p.occupation_id IS NOT NULL AND p.id %% 10 = 0",
                [own.pk, False, dt.date(2025, 1, 1), timezone.now()])
            cursor.execute("ANALYZE")


def per_person_orm_seconds(query, payer) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The naive way: for each person, ask the ORM about household, memberships and dues."""
    from jaring.contributions.models import Due
    from jaring.core.money import age_on
    from jaring.membership.models import Membership
    from jaring.registry.models import Person

    started = time.perf_counter()
    scored = 0
    for person in Person.objects.select_related("household", "occupation").order_by("id")[:SLICE]:
        if person.occupation_id is None or person.death_date or person.household is None:
            continue
        if not 18 <= age_on(person.birth_date, START) <= 64 or (person.household.welfare_decile or 99) > 10:
            continue
        if Membership.objects.filter(person=person, status__in=Membership.OPEN_STATUSES).exists():
            continue
        if Due.objects.filter(person=person, period__gte=START).exclude(status="void").exists():
            continue
        dependants = person.household.members.filter(birth_date__gt=dt.date(START.year - 18, 1, 1)).count()
        scored += 1 + dependants * 0
    return time.perf_counter() - started, scored


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url):
        from django.db import connection

        from jaring.accounts.services import system_user
        from jaring.membership.services import budget_line_add, payer_create
        from jaring.targeting import engine
        from jaring.targeting.selectors import RoundInput, allocation_preview
        from jaring.targeting.services import policy_create

        started = time.perf_counter()
        build(size)
        emit("allocation.build", size, time.perf_counter() - started, rows=size, database=connection.vendor)
        actor = system_user()
        payer = payer_create(actor=actor, code="APBD-KOTA", name="APBD Kota", kind="government_city",
                             wadah_code="SG", region_code="96.71")
        budget_line_add(actor=actor, payer=payer, fiscal_year=START.year, amount_idr=BUDGET, source_document="DPA")
        policy = policy_create(actor=actor, code="semua-desil", name="Desil 1-10", max_decile=10, min_age=18,
                               max_age=64)
        data = RoundInput(payer=payer, policy=policy, budget_idr=BUDGET, months=12, start=START)
        query = engine.Query(policy, start=START, params=__import__("jaring.core.parameters", fromlist=["x"])
                             .current_parameters(), pop=engine.population(actor=actor, payer=payer))
        where, params = query.eligible_where()
        from_sql, from_params = query.from_sql(scan=True)
        floor_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {from_sql} WHERE {where}", [*from_params, *params])
            floor_count = cursor.fetchone()[0]
        floor = time.perf_counter() - floor_started
        allocation_preview(actor=actor, data=data)  # warm the caches as a real office's second click would
        times = []
        for _ in range(3):
            t = time.perf_counter()
            preview = allocation_preview(actor=actor, data=data)
            times.append(time.perf_counter() - t)
        seconds = min(times)
        assert preview.eligible == floor_count, (preview.eligible, floor_count)
        assert preview.selected == min(floor_count, BUDGET // preview.unit_idr)
        emit("allocation.preview", size, seconds, rows=preview.eligible, baseline_seconds=floor,
             database=connection.vendor, baseline="bare eligible-count query with the same rules (floor)",
             eligible=preview.eligible, selected=preview.selected, waitlisted=preview.waitlisted,
             cost_idr=preview.cost_idr, runs=[round(t, 3) for t in times])
        orm, scored = per_person_orm_seconds(query, payer)
        scaled = orm * preview.eligible / max(1, scored) if scored else orm * size / SLICE
        emit("allocation.preview_vs_orm", size, seconds, rows=preview.eligible, baseline_seconds=scaled,
             database=connection.vendor, baseline=f"per-person ORM checks on {SLICE:,} persons, scaled",
             orm_slice_seconds=round(orm, 3))
