"""Allocation rounds: the done-when (10,912 at Rp2.2 billion for 12 months), priority order,
quotas, maker-checker, every bad input of the issue, top-ups."""

import numpy as np
import pytest
from django.db.models import Count

from jaring.core.errors import Conflict, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.models import BudgetLine, Membership
from jaring.membership.services import budget_line_revise, membership_enrol, payer_create
from jaring.targeting import engine
from jaring.targeting.models import AllocationEntry, AllocationRound
from jaring.targeting.selectors import RoundInput, allocation_preview
from jaring.targeting.services import policy_create, round_approve, round_prepare, round_top_up
from jaring.targeting.tests.conftest import BUDGET, unit_cost


def _input(city, **overrides):  # type: ignore[no-untyped-def]
    values = {"payer": city["payer"], "policy": city["policy"], "budget_idr": BUDGET, "months": 12,
              "start": city["start"]}
    values.update(overrides)
    return RoundInput(**values)


def _ranked(preview):  # type: ignore[no-untyped-def]
    order = preview.allocation.order
    return preview.pool.ids[order], preview.pool.score[order], preview.allocation.selected[order]


def test_done_when_2_2_billion_for_12_months_selects_10912_in_priority_order(city, pool):
    pool(4_000)  # 12,000 working-age people in deciles 1–4
    operator, admin = city["operator_sorong"], city["admin_2"]
    # Three people of the best-scoring kind already pay for themselves: they must not be chosen.
    own = payer_create(actor=city["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    covered = list(Membership.objects.none())
    first = allocation_preview(actor=operator, data=_input(city))
    top_ids = [int(i) for i in _ranked(first)[0][:3]]
    from jaring.registry.models import Person

    for person in Person.objects.filter(pk__in=top_ids):
        covered.append(membership_enrol(actor=operator, person=person, payer=own, programs="JKK,JKM",
                                        declared_income_idr=1_000_000, start_date=city["start"], kpj=None))

    preview = allocation_preview(actor=operator, data=_input(city))
    unit = unit_cost(city["start"], 12)
    assert preview.unit_idr == unit
    assert preview.selected == BUDGET // unit == 10_912
    assert preview.eligible == 12_000 - 3 and preview.waitlisted == preview.eligible - 10_912
    assert preview.cost_idr == 10_912 * unit <= BUDGET
    ids, scores, selected = _ranked(preview)
    assert not set(top_ids) & {int(i) for i in ids}
    # Priority order: a strict prefix of the ranking; the ranking is score desc, then person id.
    assert selected[:10_912].all() and not selected[10_912:].any()
    keys = list(zip((-scores).tolist(), ids.tolist(), strict=True))
    assert keys == sorted(keys)
    assert scores[10_911] >= scores[10_912]

    allocation_round = round_prepare(actor=operator, data=_input(city))
    assert allocation_round.selected_count == 10_912
    approved = round_approve(actor=admin, allocation_round=allocation_round)
    assert approved.enrolled_count == 10_912 and approved.skipped_count == 0
    drafts = Membership.objects.filter(payer=city["payer"], status="draft")
    assert drafts.count() == 10_912
    assert not drafts.filter(person_id__in=top_ids).exists()
    assert drafts.filter(start_date=city["start"], has_jht=False).count() == 10_912
    # At most one open membership per person, and every enrolled entry points at its membership.
    assert not (Membership.objects.filter(status__in=Membership.OPEN_STATUSES).values("person")
                .annotate(n=Count("id")).filter(n__gt=1).exists())
    entries = AllocationEntry.objects.filter(round=approved, status="enrolled")
    assert entries.count() == 10_912 and not entries.filter(membership__isnull=True).exists()
    assert set(entries.values_list("membership__person_id", flat=True)) == set(
        entries.values_list("person_id", flat=True))
    assert AuditEvent.objects.filter(action="targeting.round_approve", object_id=str(approved.pk)).count() == 1
    assert approved.committed_by_year == {str(city["start"].year): 10_912 * unit}


def test_snapshot_points_match_the_why_page_and_scores(city, pool):
    pool(60)
    allocation_round = round_prepare(actor=city["operator_sorong"], data=_input(city, budget_idr=5_000_000))
    entries = list(AllocationEntry.objects.filter(round=allocation_round).order_by("rank"))
    assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
    query = engine.Query(city["policy"], start=city["start"], params=__import__(
        "jaring.core.parameters", fromlist=["x"]).current_parameters(),
        pop=engine.population(actor=city["operator_sorong"], payer=city["payer"]))
    live = engine.points_of(query, [e.person_id for e in entries])
    for entry in entries:
        assert entry.points == live[entry.person_id]  # numpy dependants == SQL dependants
        assert entry.score == sum(entry.points.values())
    assert any("dependants" in e.points for e in entries) and any("decile" in e.points for e in entries)


def test_fixed_quotas_hold_without_and_with_spill(city, pool):
    pool(400)
    operator = city["operator_sorong"]
    unit = unit_cost(city["start"], 12)
    quotas = {"96.71.01": 10 * unit + 5, "96.71.02": 3 * unit, "96.71.05": 0}
    preview = allocation_preview(actor=operator, data=_input(city, budget_idr=20 * unit, quota_mode="fixed",
                                                             quotas=quotas, spill_unused=False))
    rows = {r.code: r for r in preview.by_distrik()}
    assert rows["96.71.01"].selected == 10 and rows["96.71.02"].selected == 3 and rows["96.71.05"].selected == 0
    assert all(rows[c].cost_idr <= q for c, q in quotas.items())
    assert preview.selected == 13 and sum(r.selected for r in rows.values()) == 13
    # Within a distrik, its quota goes in its own ranking order.
    order = preview.allocation.order
    in_d1 = order[preview.pool.distrik[order] == next(d for d, (c, _n) in preview.distrik.items() if c == "96.71.01")]
    assert preview.allocation.selected[in_d1][:10].all() and not preview.allocation.selected[in_d1][10:].any()
    spill = allocation_preview(actor=operator, data=_input(city, budget_idr=20 * unit, quota_mode="fixed",
                                                           quotas=quotas, spill_unused=True))
    spilled = {r.code: r for r in spill.by_distrik()}
    assert spill.selected == 20 and spilled["96.71.01"].selected >= 10 and spilled["96.71.02"].selected >= 3


def test_proportional_quotas_follow_eligible_counts_by_largest_remainder(city, pool):
    pool(400)
    unit = unit_cost(city["start"], 12)
    preview = allocation_preview(actor=city["operator_sorong"], data=_input(
        city, budget_idr=101 * unit, quota_mode="proportional", spill_unused=False))
    rows = preview.by_distrik()
    total = sum(r.eligible for r in rows)
    assert sum(r.quota_idr for r in rows) == 101 * unit and preview.selected == 101
    for r in rows:
        exact = r.eligible * 101 / total
        assert int(exact) <= r.selected <= int(exact) + 1
        assert r.quota_idr == r.selected * unit and r.cost_idr <= r.quota_idr
    allocation_round = round_prepare(actor=city["operator_sorong"], data=_input(
        city, budget_idr=101 * unit, quota_mode="proportional", spill_unused=False))
    assert sum(allocation_round.quotas.values()) == 101 * unit


def test_operator_alone_cannot_approve_and_the_preparer_never_approves(city, pool):
    pool(30)
    operator, admin, admin_2 = city["operator_sorong"], city["admin_sorong"], city["admin_2"]
    allocation_round = round_prepare(actor=operator, data=_input(city, budget_idr=3_000_000))
    with pytest.raises(PermissionDenied):
        round_approve(actor=operator, allocation_round=allocation_round)
    own = round_prepare(actor=admin, data=_input(city, budget_idr=1_000_000))
    with pytest.raises(PermissionDenied) as refused:
        round_approve(actor=admin, allocation_round=own)
    assert refused.value.code == "maker_checker"
    for user in (city["auditor"], city["liaison"], city["facilitator_remu"]):
        with pytest.raises(PermissionDenied):
            round_approve(actor=user, allocation_round=allocation_round)
    assert not Membership.objects.exists()
    round_approve(actor=admin_2, allocation_round=allocation_round)
    assert Membership.objects.filter(status="draft").count() == allocation_round.selected_count


def _nothing_changed(before):  # type: ignore[no-untyped-def]
    return before == (Membership.objects.count(), AllocationRound.objects.count(), AllocationEntry.objects.count(),
                      list(AllocationRound.objects.values_list("status", flat=True)))


def _state():  # type: ignore[no-untyped-def]
    return (Membership.objects.count(), AllocationRound.objects.count(), AllocationEntry.objects.count(),
            list(AllocationRound.objects.values_list("status", flat=True)))


def test_bad_inputs_give_a_clear_message_and_change_nothing(city, pool):
    pool(30)
    operator = city["operator_sorong"]
    unit = unit_cost(city["start"], 12)
    before = _state()
    with pytest.raises(ValidationFailed) as small:
        round_prepare(actor=operator, data=_input(city, budget_idr=unit - 1))
    assert small.value.code == "budget_below_one_person" and "satu orang" in str(small.value.message)
    with pytest.raises(ValidationFailed) as zero:
        round_prepare(actor=operator, data=_input(city, months=0))
    assert "months" in zero.value.fields
    with pytest.raises(ValidationFailed) as quota:
        round_prepare(actor=operator, data=_input(city, budget_idr=10 * unit, quota_mode="fixed",
                                                  quotas={"96.71.01": 6 * unit, "96.71.02": 5 * unit}))
    assert quota.value.code == "quota_above_budget" and "melebihi anggaran" in str(quota.value.message)
    with pytest.raises(ValidationFailed) as unknown:
        allocation_preview(actor=operator, data=_input(city, quota_mode="fixed", quotas={"99.99.99": 1}))
    assert "quotas" in unknown.value.fields
    assert _nothing_changed(before)
    with pytest.raises(ValidationFailed) as contradiction:
        policy_create(actor=city["admin_sorong"], code="terbalik", name="Terbalik", max_decile=2, min_age=70,
                      max_age=18)
    assert contradiction.value.code == "invalid_policy" and "bertentangan" in str(contradiction.value.message)
    with pytest.raises(ValidationFailed):
        policy_create(actor=city["admin_sorong"], code="tua", name="Tua", max_decile=2, min_age=70, max_age=90)

    allocation_round = round_prepare(actor=operator, data=_input(city, budget_idr=5 * unit))
    round_approve(actor=city["admin_sorong"], allocation_round=allocation_round)
    before = _state()
    with pytest.raises(Conflict) as twice:
        round_approve(actor=city["admin_2"], allocation_round=allocation_round)
    assert twice.value.code == "already_approved" and "sudah disetujui" in str(twice.value.message)
    assert _nothing_changed(before)

    # The budget line is cut (a revised DPA) after a round was prepared: approval refuses.
    second = round_prepare(actor=operator, data=_input(city, budget_idr=10 * unit))
    for line in BudgetLine.objects.filter(payer=city["payer"]):
        budget_line_revise(actor=city["admin_sorong"], line=line, amount_idr=12 * unit,
                           source_document="APBD-P (dipotong)")
    before = _state()
    with pytest.raises(Conflict) as reduced:
        round_approve(actor=city["admin_sorong"], allocation_round=second)
    assert reduced.value.code == "budget_line_exceeded" and "tinggal" in str(reduced.value.message)
    assert _nothing_changed(before)
    assert AllocationRound.objects.get(pk=second.pk).status == "prepared"


def test_self_payer_backdating_and_no_budget_line_are_refused(city, pool):
    pool(10)
    own = payer_create(actor=city["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    with pytest.raises(ValidationFailed):
        allocation_preview(actor=city["operator_sorong"], data=_input(city, payer=own))
    with pytest.raises(ValidationFailed) as backdated:
        round_prepare(actor=city["operator_sorong"], data=_input(city, start=city["start"].replace(year=2020)))
    assert backdated.value.code == "backdated"
    province = payer_create(actor=city["admin_sorong"], code="APBD-PROV", name="APBD Provinsi",
                            kind="government_province", wadah_code="SG", region_code="96")
    allocation_round = round_prepare(actor=city["operator_sorong"], data=_input(city, payer=province,
                                                                                budget_idr=2_000_000))
    with pytest.raises(Conflict) as no_line:
        round_approve(actor=city["admin_sorong"], allocation_round=allocation_round)
    assert no_line.value.code == "no_budget_line"


def test_a_round_whose_month_has_begun_is_refused_when_prepared_or_approved(city, pool, monkeypatch):
    """The drafts start on the 1st of the round's month: once the 1st has passed, neither preparing
    nor approving the round may create them (protection is never backdated); on the 1st it may."""
    from django.utils import timezone

    from jaring.core.money import add_months, format_month

    real_localdate = timezone.localdate

    def today_is(day):  # type: ignore[no-untyped-def]
        return lambda value=None, tz=None: day if value is None else real_localdate(value, tz)

    pool(10)
    operator, admin, start = city["operator_sorong"], city["admin_sorong"], city["start"]
    prepared = round_prepare(actor=operator, data=_input(city))  # its month is still ahead
    monkeypatch.setattr(timezone, "localdate", today_is(start.replace(day=2)))
    with pytest.raises(ValidationFailed) as begun:
        round_prepare(actor=operator, data=_input(city))
    message = str(begun.value.message)
    assert begun.value.code == "backdated" and set(begun.value.fields) == {"start"}
    assert message.startswith(f"Bulan mulai {format_month(start)}") and format_month(add_months(start, 1)) in message
    before = _state()
    with pytest.raises(Conflict) as passed:
        round_approve(actor=admin, allocation_round=prepared)
    assert passed.value.code == "start_passed" and f"#{prepared.pk}" in str(passed.value.message)
    assert _nothing_changed(before)
    monkeypatch.setattr(timezone, "localdate", today_is(start))  # the 1st itself: still in time
    approved = round_approve(actor=admin, allocation_round=prepared)
    assert approved.status == "approved" and approved.enrolled_count == approved.selected_count > 0
    assert set(Membership.objects.values_list("start_date", flat=True)) == {start}


def test_approval_skips_people_covered_since_preparation(city, pool):
    pool(30)
    operator = city["operator_sorong"]
    allocation_round = round_prepare(actor=operator, data=_input(city, budget_idr=5 * unit_cost(city["start"], 12)))
    first = AllocationEntry.objects.filter(round=allocation_round, status="selected").order_by("rank").first()
    own = payer_create(actor=city["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    membership_enrol(actor=operator, person=first.person, payer=own, programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=city["start"], kpj=None)
    approved = round_approve(actor=city["admin_sorong"], allocation_round=allocation_round)
    assert approved.enrolled_count == 4 and approved.skipped_count == 1
    assert AllocationEntry.objects.get(pk=first.pk).status == "skipped"
    assert approved.committed_by_year == {str(city["start"].year): 4 * unit_cost(city["start"], 12)}


def test_top_up_takes_the_waitlist_in_its_frozen_order(city, pool):
    pool(30)
    operator, unit = city["operator_sorong"], unit_cost(city["start"], 12)
    allocation_round = round_prepare(actor=operator, data=_input(city, budget_idr=5 * unit))
    round_approve(actor=city["admin_sorong"], allocation_round=allocation_round)
    waitlist = list(AllocationEntry.objects.filter(round=allocation_round, status="waitlisted")
                    .order_by("rank").values_list("person_id", flat=True))
    top_up = round_top_up(actor=operator, parent=allocation_round, budget_idr=3 * unit, start=city["start"],
                          months=12)
    chosen = list(AllocationEntry.objects.filter(round=top_up, status="selected").order_by("rank")
                  .values_list("person_id", flat=True))
    assert chosen == waitlist[:3] and top_up.eligible_count == len(waitlist)
    round_approve(actor=city["admin_sorong"], allocation_round=top_up)
    again = round_top_up(actor=operator, parent=allocation_round, budget_idr=2 * unit, start=city["start"],
                         months=12)
    assert list(AllocationEntry.objects.filter(round=again, status="selected").order_by("rank")
                .values_list("person_id", flat=True)) == waitlist[3:5]
    assert Membership.objects.filter(payer=city["payer"]).count() == 8


def test_rule_counts_show_a_rule_that_lets_everyone_through(city, pool):
    from jaring.targeting.selectors import policy_rule_counts

    pool(20, deciles=4)
    counts = {c.code: c for c in policy_rule_counts(actor=city["operator_sorong"], policy=city["policy"],
                                                    start=city["start"])}
    assert counts["decile"].suspicious and counts["decile"].matches == counts["decile"].population == 80
    assert counts["age"].matches == 60 and not counts["age"].suspicious
    assert counts["not_employee"].remaining == 60


def test_ties_break_by_person_id(city, pool):
    pool(10)
    preview = allocation_preview(actor=city["operator_sorong"], data=_input(city, budget_idr=3_000_000))
    ids, scores, _sel = _ranked(preview)
    for score in np.unique(scores):
        same = ids[scores == score]
        assert (np.diff(same) > 0).all()
