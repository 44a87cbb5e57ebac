"""The set-based rebuild against the per-month statements, and the refresh of what a write touched
(decision 0046), on a seeded city: late payments, arrears, lapses, voids, several payers, a merged
person's dues, persons living outside their household's kelurahan."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from jaring.contributions.models import Due
from jaring.contributions.services import StatementPayment, statement_payments_apply
from jaring.core.errors import PermissionDenied
from jaring.core.models import AuditEvent
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import Membership
from jaring.regions.models import Region
from jaring.registry.models import Household, Occupation, Person
from jaring.registry.services import household_deciles_record, persons_fill_from_import
from jaring.reports import legacy, rebuild
from jaring.reports.models import CoverageSnapshot, HouseholdSnapshot, SnapshotMark, SnapshotMonth
from jaring.reports.services import (
    extreme_poverty_decile,
    snapshot_refresh,
    snapshot_refresh_areas,
    snapshot_refresh_if_stale,
    snapshot_refresh_touched,
)

MONTHS = 24


def _seed(payers: dict[str, Any], today: dt.date, seed: int = 46) -> dict[str, Any]:
    """A city written straight into the tables (the services' paths are tested elsewhere): what
    matters here is variety the per-month statements and the one pass must agree on."""
    rng = random.Random(seed)
    now = timezone.now()
    kelurahan = list(Region.objects.filter(level="kelurahan").order_by("code").values_list("pk", flat=True)[:6])
    occupations = list(Occupation.objects.order_by("pk").values_list("pk", flat=True)[:4])
    households = Household.objects.bulk_create([
        Household(address="", kelurahan_id=kelurahan[i % len(kelurahan)],
                  welfare_decile=rng.choice([1, 1, 2, 5, None]), decile_source="P3KE", data_source="P3KE")
        for i in range(40)])
    persons = []
    for i in range(170):
        household = rng.choice(households) if rng.random() < 0.8 else None
        home = household.kelurahan_id if household and rng.random() < 0.9 else rng.choice(kelurahan)
        persons.append(Person(nik_encrypted=os.urandom(8), nik_index=f"seed{seed}-{i:057d}", full_name=f"Orang {i}",
                              name_key=f"orang {i}", name_key_last=f"{i} orang", birth_date=dt.date(1985, 1, 1),
                              sex=rng.choice("MF"), household=household, kelurahan_id=home,
                              occupation_id=rng.choice([*occupations, None]), data_source="P3KE"))
    persons = Person.objects.bulk_create(persons)
    current = month_start(today)
    kinds = list(payers.values())
    memberships, dues = [], []
    for person in persons[:130]:
        start_month = add_months(current, -rng.randint(0, 29))
        start = start_month.replace(day=rng.choice([1, 1, 10, 20]))
        roll = rng.random()
        status, reason, ended_on = "active", "", None
        if roll < 0.25:
            status = "ended"
            reason = "arrears" if rng.random() < 0.6 else "moved"
            ended_on = min(today, start + dt.timedelta(days=rng.randint(20, 800)))
        elif roll < 0.3:
            status = rng.choice(["draft", "submitted"])
        memberships.append(Membership(person=person, payer=rng.choice(kinds), has_jht=False,
                                      declared_income_idr=1_000_000, sector="other", status=status, start_date=start,
                                      end_reason=reason, ended_on=ended_on, created_at=now))
    memberships = Membership.objects.bulk_create(memberships)
    for m in memberships:
        period = month_start(m.start_date)
        last = month_start(m.ended_on) if m.ended_on else current
        while period <= last:
            due_date = max(period.replace(day=15), m.start_date)
            roll = rng.random()
            status, paid_on = "paid", due_date - dt.timedelta(days=rng.randint(0, 12))
            if roll < 0.15:
                status, paid_on = "open", None
            elif roll < 0.3:
                paid_on = due_date + dt.timedelta(days=rng.randint(1, 130))
            elif roll < 0.33:
                status = "void"
            if paid_on is not None and paid_on > today:
                status, paid_on = "open", None
            if m.status in ("draft", "submitted") and rng.random() < 0.7:
                break
            dues.append(Due(membership=m, person_id=m.person_id, payer_id=m.payer_id, period=period,
                            amount_idr=16_800, base_amount_idr=16_800, due_date=due_date, status=status,
                            paid_on=paid_on if status == "paid" else None))
            period = add_months(period, 1)
    # A merged person's dues moved to the person kept (who has no membership of their own).
    moved = [d for d in dues if d.membership_id == memberships[3].pk]
    for due in moved[len(moved) // 2:]:
        due.person_id = persons[160].pk
    Due.objects.bulk_create(dues, batch_size=500)
    return {"kelurahan": kelurahan, "persons": persons, "memberships": memberships, "households": households}


@pytest.fixture
def seeded(personas: dict[str, Any], payers: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    return {"today": today, **_seed(payers, today)}


def _snapshot(period: dt.date | None = None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    coverage = CoverageSnapshot.objects.all() if period is None else CoverageSnapshot.objects.filter(period=period)
    households = HouseholdSnapshot.objects.all() if period is None else HouseholdSnapshot.objects.filter(period=period)
    return (sorted(coverage.values_list("period", "kelurahan_id", "payer_kind", "occupation_id", "sex", "members",
                                        "protected", "at_risk", "lapsed"), key=repr),
            sorted(households.values_list("period", "kelurahan_id", "decile1_households", "decile1_protected"),
                   key=repr))


def test_the_one_pass_gives_the_per_month_figures(seeded, personas):  # type: ignore[no-untyped-def]
    today = seeded["today"]
    result = snapshot_refresh(actor=personas["operator_sorong"], months=MONTHS, today=today)
    assert len(result.months) == MONTHS
    assert sum(m.at_risk for m in result.months) and sum(m.lapsed for m in result.months)  # not vacuous
    for month in result.months:
        coverage, households = legacy.month_rows(month.period, month.as_of, extreme_poverty_decile())
        mine_coverage, mine_households = _snapshot(month.period)
        assert [row[1:] for row in mine_coverage] == coverage, format_month(month.period)
        assert [row[1:] for row in mine_households] == households, format_month(month.period)


def test_spans_longer_than_one_pass_give_the_same_figures(seeded, personas, monkeypatch):  # type: ignore[no-untyped-def]
    today = seeded["today"]
    snapshot_refresh(actor=personas["operator_sorong"], months=MONTHS, today=today)
    whole = _snapshot()
    monkeypatch.setattr(rebuild, "MAX_SPAN", 5)
    snapshot_refresh(actor=personas["operator_sorong"], months=MONTHS, today=today)
    assert _snapshot() == whole


def _late_payment(seeded: dict[str, Any]) -> Due:
    """An open due of a past month, in a month a snapshot counts, of an active membership."""
    oldest = add_months(month_start(seeded["today"]), -(MONTHS - 1))
    return (Due.objects.filter(status="open", period__gte=add_months(oldest, 2),
                               period__lt=add_months(month_start(seeded["today"]), -3), membership__status="active")
            .select_related("person").order_by("period", "pk").first())


def test_a_late_payment_refreshes_its_kelurahan_from_its_day(seeded, personas):  # type: ignore[no-untyped-def]
    today, operator = seeded["today"], personas["operator_sorong"]
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    due = _late_payment(seeded)
    kelurahan = {due.person.kelurahan_id, *([due.person.household.kelurahan_id] if due.person.household else [])}
    paid_on = due.due_date + dt.timedelta(days=3)
    before_ids = dict(CoverageSnapshot.objects.values_list("pk", "period"))
    untouched = {pk for pk, period in CoverageSnapshot.objects.values_list("pk", "period")
                 if period < month_start(paid_on)} | set(
        CoverageSnapshot.objects.exclude(kelurahan_id__in=kelurahan).values_list("pk", flat=True))
    statement_payments_apply(actor=personas["liaison"], payments=[StatementPayment(
        due_id=due.pk, membership_id=due.membership_id, amount_idr=due.amount_idr, paid_on=paid_on,
        channel="bpjstk_office", reference="TEST-LATE-1")])
    marks = list(SnapshotMark.objects.values_list("kelurahan_id", "since"))
    assert {k for k, _s in marks} == kelurahan and {s for _k, s in marks} == {paid_on}
    events = AuditEvent.objects.filter(action="reports.snapshot").count()
    result = snapshot_refresh_touched(actor=operator, today=today)
    touched = {month["period"] for month in result.months}
    assert min(touched) == format_month(month_start(paid_on)) and max(touched) == format_month(month_start(today))
    # Rows of other kelurahan, and of months counted before the payment's day, were not rewritten.
    after_ids = set(CoverageSnapshot.objects.values_list("pk", flat=True))
    assert untouched <= after_ids
    assert set(before_ids) - untouched - after_ids  # the touched rows were replaced
    assert not SnapshotMark.objects.exists()
    # One audit event per refreshed month, naming the kelurahan and the trigger.
    new = AuditEvent.objects.filter(action="reports.snapshot").order_by("id")[events:]
    assert [e.object_id for e in new] == sorted(touched)
    codes = sorted(Region.objects.filter(pk__in=kelurahan).values_list("code", flat=True))
    assert all(e.after["kelurahan"] == codes and e.after["trigger"] == "touched" for e in new)
    # The same figures as a whole rebuild.
    refreshed = _snapshot()
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    assert refreshed == _snapshot()


def test_an_import_that_changes_persons_or_deciles_refreshes_their_kelurahan(seeded, personas):  # type: ignore[no-untyped-def]
    today, operator = seeded["today"], personas["operator_sorong"]
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    member = Membership.objects.filter(status="active").select_related("person").first().person
    moved_to = next(h for h in seeded["households"] if h.kelurahan_id != member.kelurahan_id)
    occupation = Occupation.objects.exclude(pk=member.occupation_id).order_by("pk").first()
    persons_fill_from_import(actor=operator, changes={member.pk: (
        {"occupation_id": member.occupation_id, "household_id": member.household_id},
        {"occupation_id": occupation.pk, "household_id": moved_to.pk})})
    household = next(h for h in seeded["households"] if h.welfare_decile != 1 and h.kelurahan_id not in (
        member.kelurahan_id, moved_to.kelurahan_id))
    household_deciles_record([(household.pk, 1, "P3KE", today)], None)
    marked = set(SnapshotMark.objects.values_list("kelurahan_id", flat=True))
    assert {member.kelurahan_id, moved_to.kelurahan_id, household.kelurahan_id} <= marked
    assert set(SnapshotMark.objects.values_list("since", flat=True)) == {None}
    others = set(CoverageSnapshot.objects.exclude(kelurahan_id__in=marked).values_list("pk", flat=True))
    result = snapshot_refresh_touched(actor=operator, today=today)
    assert len(result.months) == MONTHS  # a person's occupation counts in every month
    assert others <= set(CoverageSnapshot.objects.values_list("pk", flat=True))
    refreshed = _snapshot()
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    assert refreshed == _snapshot()


def test_a_write_rolled_back_leaves_no_mark(seeded, personas):  # type: ignore[no-untyped-def]
    due = _late_payment(seeded)
    with pytest.raises(RuntimeError), transaction.atomic():
        statement_payments_apply(actor=personas["liaison"], payments=[StatementPayment(
            due_id=due.pk, membership_id=due.membership_id, amount_idr=due.amount_idr, paid_on=due.due_date,
            channel="bpjstk_office", reference="TEST-ROLLBACK")])
        assert SnapshotMark.objects.exists()
        raise RuntimeError("the import failed later")
    assert not SnapshotMark.objects.exists()


def test_a_full_rebuild_clears_the_marks_it_covers(seeded, personas):  # type: ignore[no-untyped-def]
    today, operator = seeded["today"], personas["operator_sorong"]
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    due = _late_payment(seeded)
    statement_payments_apply(actor=personas["liaison"], payments=[StatementPayment(
        due_id=due.pk, membership_id=due.membership_id, amount_idr=due.amount_idr, paid_on=due.due_date,
        channel="bpjstk_office", reference="TEST-FULL")])
    snapshot_refresh(actor=operator, period=month_start(today), today=today)
    assert SnapshotMark.objects.exists()  # earlier months still to refresh
    snapshot_refresh(actor=operator, months=MONTHS, today=today)
    assert not SnapshotMark.objects.exists()


def test_refreshing_areas_needs_the_capability_and_skips_months_without_a_snapshot(seeded, personas):  # type: ignore[no-untyped-def]
    today = seeded["today"]
    with pytest.raises(PermissionDenied):
        snapshot_refresh_touched(actor=personas["facilitator_remu"], today=today)
    with pytest.raises(PermissionDenied):
        snapshot_refresh_areas(actor=personas["auditor"], pairs={month_start(today): seeded["kelurahan"][:1]})
    result = snapshot_refresh_areas(actor=personas["operator_sorong"], pairs={dt.date(2001, 1, 1): [1]}, today=today)
    assert result.months == [] and not SnapshotMonth.objects.exists()


def _pay_late(seeded: dict[str, Any], personas: dict[str, Any], reference: str) -> Due:
    due = _late_payment(seeded)
    statement_payments_apply(actor=personas["liaison"], payments=[StatementPayment(
        due_id=due.pk, membership_id=due.membership_id, amount_idr=due.amount_idr, paid_on=due.due_date,
        channel="bpjstk_office", reference=reference)])
    return due


def test_the_command_refreshes_what_was_marked(seeded, personas, capsys):  # type: ignore[no-untyped-def]
    snapshot_refresh(actor=personas["operator_sorong"], months=MONTHS, today=seeded["today"])
    _pay_late(seeded, personas, "TEST-CLI")
    capsys.readouterr()
    call_command("reports_snapshot", "--touched", "--json", "--as", "operator_sorong")
    out = json.loads(capsys.readouterr().out)
    assert out["months"] and all(m["trigger"] == "cli" for m in out["months"])
    assert not SnapshotMark.objects.exists()


def test_opening_the_dashboard_refreshes_what_was_marked_when_cheap(seeded, personas, settings):  # type: ignore[no-untyped-def]
    today = seeded["today"]
    snapshot_refresh(actor=personas["operator_sorong"], months=MONTHS, today=today)
    _pay_late(seeded, personas, "TEST-VIEW")
    settings.JARING_SNAPSHOT_INLINE_SECONDS = 0.0  # every refresh is "too slow": left to the schedule
    assert snapshot_refresh_if_stale(viewer=personas["auditor"], today=today) == []
    assert SnapshotMark.objects.exists()
    settings.JARING_SNAPSHOT_INLINE_SECONDS = 1_000.0
    snapshot_refresh_if_stale(viewer=personas["auditor"], today=today)
    assert not SnapshotMark.objects.exists()
    last = AuditEvent.objects.filter(action="reports.snapshot").order_by("-id").first()
    assert last.after["trigger"] == "dashboard:auditor"
