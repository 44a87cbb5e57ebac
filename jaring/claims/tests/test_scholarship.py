"""Scholarship follow-ups per child (issue 11, point 6): the children named on a death or
total-disability claim, the first year opened when it is paid, the yearly chain until the end age,
the per-child ceiling or a level's years, the end by marriage, the JKM 36-month rule, idempotency,
area scoping, the deadlines list and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from jaring.claims.models import Claim, ClaimChild
from jaring.claims.selectors import claim_as_dict, claim_deadlines_list, claim_get
from jaring.claims.services import (
    claim_child_add,
    claim_child_update,
    claim_document_received,
    claim_open,
    claim_reject,
    claim_settle,
    claim_submit,
)
from jaring.contributions.models import Due
from jaring.contributions.services import billing_run, payment_record
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_enrol
from jaring.rules.claims import document_checklist, scholarship_reapply_on
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 12, 7)


@pytest.fixture
def member(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> Any:
    """A member of Remu since ``start`` who paid every month from then through ``through``."""
    operator = personas["operator_sorong"]
    serial = iter(range(1, 100))

    def make(start: dt.date, through: dt.date) -> Membership:
        n = next(serial)
        person = register_person(full_name="Yohanes Kalami", birth_date=D(1980, 3, n))
        membership = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                                      declared_income_idr=1_000_000, start_date=start, kpj=f"2605{n:07d}")
        month = start
        while month <= through:
            billing_run(actor=operator, period=month)
            month = D(month.year + month.month // 12, month.month % 12 + 1, 1)
        for due in Due.objects.filter(membership=membership).order_by("period"):
            payment_record(actor=operator, membership=membership, amount_idr=due.amount_idr, paid_on=due.due_date)
        return membership

    return make


@pytest.fixture
def person(register_person: Any) -> Any:
    return register_person(full_name="Markus Ulim", birth_date=D(1978, 4, 2))


def death(personas: dict[str, Any], person: Any, event: dt.date, outcome: str = "death") -> Claim:
    return claim_open(actor=personas["operator_sorong"], person=person, type="jkk", event_date=event,
                      outcome=outcome, outcome_date=event, today=TODAY)


def pay(personas: dict[str, Any], claim: Claim, day: dt.date, amount: int | None = None) -> Claim:
    """Walk a claim to paid on ``day``: documents received, submitted and settled that day."""
    operator = personas["operator_sorong"]
    for document in claim.documents.filter(required=True):
        claim = claim_document_received(actor=operator, claim=claim, code=document.code, received_on=day,
                                        today=TODAY)
    claim = claim_submit(actor=operator, claim=claim, bpjstk_number=f"KLAIM-{claim.pk}", submitted_on=day)
    paid = amount if amount is not None else (claim.estimate_idr or 0)
    return claim_settle(actor=operator, claim=claim, paid_idr=paid, paid_on=day)


def add(personas: dict[str, Any], claim: Claim, name: str, birth: dt.date, level: str = "", chosen: bool = False,
        actor: str = "operator_sorong") -> ClaimChild:
    return claim_child_add(actor=personas[actor], claim=claim, name=name, birth_date=birth, level=level,
                           chosen=chosen)


def follow_ups(child: ClaimChild) -> list[Claim]:
    return list(Claim.objects.filter(child=child).order_by("school_year"))


# --- The first year: who gets it ----------------------------------------------------------------------

def test_a_work_accident_death_with_three_children_opens_two_follow_ups_the_family_chose(personas, person):
    origin = death(personas, person, D(2026, 3, 2))
    anton = add(personas, origin, "Anton Ulim", D(2010, 5, 1), "SMP")
    bela = add(personas, origin, "Bela Ulim", D(2013, 7, 9), "SD")
    cici = add(personas, origin, "Cici Ulim", D(2016, 1, 20), "sd", chosen=True)  # any case: stored as SD
    assert cici.level == "SD" and not Claim.objects.filter(type="scholarship").exists()  # not paid yet
    data = claim_as_dict(claim_get(actor=personas["operator_sorong"], claim_id=origin.pk), full=True)
    assert [c["taken"] for c in data["children"]] == [True, False, True]  # Anton, Bela, Cici
    assert any("Keluarga boleh memilih 2 anak" in n["text"] for n in data["scholarship"]["notes"])
    origin = pay(personas, origin, D(2026, 4, 1), amount=60_000_000)

    assert follow_ups(bela) == []
    for child, amount in ((anton, 2_000_000), (cici, 1_500_000)):
        [first] = follow_ups(child)
        assert (first.type, first.origin_id, first.school_year, first.status) == ("scholarship", origin.pk, 1,
                                                                                  "reported")
        assert (first.event_date, first.estimate_idr, first.person_id) == (D(2026, 4, 1), amount, person.pk)
        assert (first.protected_on_event_date, first.coverage_reason) == (origin.protected_on_event_date,
                                                                          origin.coverage_reason)
        assert set(first.documents.values_list("code", flat=True)) == {
            d.code for d in document_checklist("scholarship", on=TODAY)}
    data = claim_as_dict(claim_get(actor=personas["operator_sorong"], claim_id=origin.pk), full=True)
    rows = {c["name"]: c for c in data["children"]}
    assert rows["Anton Ulim"]["follow_ups"] == [follow_ups(anton)[0].pk] and rows["Bela Ulim"]["follow_ups"] == []
    assert {"name", "birth_date", "level", "chosen", "ended_on", "end_reason", "follow_ups"} <= set(rows["Bela Ulim"])
    year_one = claim_as_dict(follow_ups(cici)[0], full=True)
    assert (year_one["origin"], year_one["child"], year_one["school_year"], year_one["child_name"]) == (
        origin.pk, cici.pk, 1, "Cici Ulim")
    settle = AuditEvent.objects.get(action="claim.settle", object_id=str(origin.pk))
    assert sorted(settle.after["scholarship"]["taken"]) == sorted([anton.pk, cici.pk])
    assert AuditEvent.objects.filter(action="claim.follow_up").count() == 2
    assert AuditEvent.objects.filter(action="claim.child_add", object_id=str(origin.pk)).count() == 3
    # A follow-up has no reports to make: the list shows when the next year's application is due.
    rows = [r for r in claim_deadlines_list(actor=personas["operator_sorong"], today=TODAY)
            if r.claim.type == "scholarship"]
    assert {(r.kind, r.date, r.overdue) for r in rows} == {("scholarship_reapply", D(2027, 4, 1), False)}


def test_a_total_disability_also_pays_it_and_a_partial_one_takes_no_children(personas, person):
    disabled = death(personas, person, D(2026, 3, 2), outcome="total_disability")
    child = add(personas, disabled, "Dina Ulim", D(2012, 2, 2), "SMP")
    pay(personas, disabled, D(2026, 4, 1), amount=1)
    assert [f.estimate_idr for f in follow_ups(child)] == [2_000_000]
    partial = claim_open(actor=personas["operator_sorong"], person=person, type="jkk", event_date=D(2026, 5, 5),
                         outcome="partial_disability", today=TODAY)
    with pytest.raises(ValidationFailed) as refused:
        add(personas, partial, "Dina Ulim", D(2012, 2, 2), "SMP")
    assert "claim" in refused.value.fields
    with pytest.raises(ValidationFailed):  # a follow-up is no origin
        add(personas, follow_ups(child)[0], "Dina Ulim", D(2012, 2, 2), "SMP")


def test_a_jkm_death_with_fewer_than_36_paid_months_opens_none_and_says_why(personas, member):
    membership = member(D(2026, 1, 1), D(2026, 11, 1))
    claim = claim_open(actor=personas["operator_sorong"], person=membership.person, type="jkm",
                       event_date=D(2026, 8, 10), today=TODAY)
    child = add(personas, claim, "Eka Kalami", D(2015, 9, 9), "SD")  # recorded all the same
    pay(personas, claim, D(2026, 8, 20))
    assert follow_ups(child) == []
    settle = AuditEvent.objects.get(action="claim.settle", object_id=str(claim.pk))
    assert settle.after["scholarship"]["none"] == "scholarship_min_contributions"
    data = claim_as_dict(claim_get(actor=personas["operator_sorong"], claim_id=claim.pk), full=True)
    assert data["scholarship"]["triggered"] is False
    assert "36" in data["scholarship"]["reasons"][0]["text"]
    late = add(personas, claim, "Fani Kalami", D(2017, 1, 1), "SD")  # after the payment: still none
    assert follow_ups(late) == []


def test_a_jkm_death_after_36_paid_months_opens_the_first_year(personas, member):
    membership = member(D(2023, 1, 1), D(2026, 7, 1))  # 43 months paid before the death
    claim = claim_open(actor=personas["operator_sorong"], person=membership.person, type="jkm",
                       event_date=D(2026, 8, 10), today=TODAY)
    child = add(personas, claim, "Gita Kalami", D(2008, 4, 4), "SMA")
    pay(personas, claim, D(2026, 8, 20))
    assert [(f.school_year, f.estimate_idr, f.event_date) for f in follow_ups(child)] == [
        (1, 3_000_000, D(2026, 8, 20))]


# --- The yearly chain ----------------------------------------------------------------------------------

def test_each_paid_year_opens_the_next_until_the_end_age(personas, person):
    origin = death(personas, person, D(2024, 1, 10))
    child = add(personas, origin, "Hana Ulim", D(2003, 6, 1), "PT")  # 23 on 1 June 2026
    pay(personas, origin, D(2024, 3, 1), amount=1)
    [year1] = follow_ups(child)
    assert (year1.event_date, year1.estimate_idr) == (D(2024, 3, 1), 12_000_000)
    row = next(r for r in claim_deadlines_list(actor=personas["operator_sorong"], today=TODAY)
               if r.claim.pk == year1.pk)
    assert (row.kind, row.date, row.overdue) == ("scholarship_reapply", D(2025, 3, 1), True)  # long overdue
    pay(personas, year1, D(2024, 5, 1))
    year2 = follow_ups(child)[1]
    assert (year2.school_year, year2.event_date, year2.origin_id) == (2, scholarship_reapply_on(D(2024, 3, 1)),
                                                                      origin.pk)
    pay(personas, year2, D(2025, 5, 1))
    year3 = follow_ups(child)[2]
    assert (year3.school_year, year3.event_date, year3.estimate_idr) == (3, D(2026, 3, 1), 12_000_000)
    pay(personas, year3, D(2026, 5, 1))  # the next year would begin on 1 March 2027: she is 23 by then
    child.refresh_from_db()
    assert len(follow_ups(child)) == 3
    assert (child.ended_on, child.end_reason) == (D(2026, 6, 1), "age")
    end = AuditEvent.objects.get(action="claim.child_end", object_id=str(origin.pk))
    assert end.after["reason"] == "scholarship_age_limit"
    settle = AuditEvent.objects.get(action="claim.settle", object_id=str(year3.pk))
    assert settle.after["scholarship"]["ended"] == "age"
    assert not [r for r in claim_deadlines_list(actor=personas["operator_sorong"], today=TODAY)
                if r.claim.type == "scholarship"]


def test_the_per_child_ceiling_cuts_the_last_year_and_ends_it(personas, person):
    origin = death(personas, person, D(2024, 1, 10))
    child = add(personas, origin, "Ika Ulim", D(2008, 1, 1), "SMA")
    pay(personas, origin, D(2024, 3, 1), amount=1)
    pay(personas, follow_ups(child)[0], D(2024, 4, 1), amount=86_000_000)  # whatever BPJSTK paid counts
    year2 = follow_ups(child)[1]
    assert year2.estimate_idr == 1_000_000  # Rp87.000.000 per child, not the SMA year's Rp3.000.000
    pay(personas, year2, D(2025, 4, 1))
    child.refresh_from_db()
    assert (len(follow_ups(child)), child.end_reason, child.ended_on) == (2, "limit", D(2025, 4, 1))


def test_a_levels_years_wait_for_the_next_level(personas, person):
    origin = death(personas, person, D(2022, 2, 10))
    child = add(personas, origin, "Joko Ulim", D(2008, 1, 1), "SMA")
    pay(personas, origin, D(2022, 3, 1), amount=1)
    for day in (D(2022, 4, 1), D(2023, 4, 1), D(2024, 4, 1)):
        pay(personas, follow_ups(child)[-1], day)
    child.refresh_from_db()
    assert [f.school_year for f in follow_ups(child)] == [1, 2, 3] and child.ended_on is None  # it waits
    settle = AuditEvent.objects.filter(action="claim.settle", object_id=str(follow_ups(child)[-1].pk)).get()
    assert settle.after["scholarship"]["waiting"] == "scholarship_level_years_used"
    claim_child_update(actor=personas["operator_sorong"], child=child, level="PT")  # he went on to university
    year4 = follow_ups(child)[-1]
    assert (year4.school_year, year4.estimate_idr) == (4, 12_000_000)
    assert year4.event_date >= D(2025, 3, 1)  # the chain's day, or the day the office learnt it, if later


def test_a_child_not_in_school_yet_gets_the_year_when_school_starts(personas, person):
    origin = death(personas, person, D(2026, 3, 2))
    child = add(personas, origin, "Kiki Ulim", D(2022, 8, 8), "belum_sekolah")
    pay(personas, origin, D(2026, 4, 1), amount=1)
    assert follow_ups(child) == []
    settle = AuditEvent.objects.get(action="claim.settle", object_id=str(origin.pk))
    assert settle.after["scholarship"]["steps"][0]["waiting"] == "scholarship_not_in_school"
    operator = personas["operator_sorong"]
    claim_child_update(actor=operator, child=child, level="TK")
    [year1] = follow_ups(child)
    assert (year1.school_year, year1.estimate_idr) == (1, 1_500_000) and year1.event_date >= D(2026, 4, 1)
    claim_child_update(actor=operator, child=child, level="SD")  # the same level (TK/SD): the same amount
    claim_child_update(actor=operator, child=child, level="SMP")  # a correction: the open year follows it
    year1.refresh_from_db()
    assert year1.estimate_idr == 2_000_000 and len(follow_ups(child)) == 1
    update = AuditEvent.objects.filter(action="claim.child_update").order_by("-id").first()
    assert update is not None and update.after["estimate_idr"] == [1_500_000, 2_000_000]


def test_marriage_ends_it_and_an_ended_child_is_not_changed_again(personas, person):
    operator = personas["operator_sorong"]
    origin = death(personas, person, D(2024, 1, 10))
    child = add(personas, origin, "Lina Ulim", D(2005, 5, 5), "PT")
    pay(personas, origin, D(2024, 3, 1), amount=1)
    pay(personas, follow_ups(child)[0], D(2024, 4, 1))
    year2 = follow_ups(child)[1]
    for bad, field in (({"end_reason": "married"}, "ended_on"), ({"end_reason": "eloped", "ended_on": D(2025, 1, 1)},
                                                                 "end_reason"),
                       # the service's own clock (the office's time zone), not the fixed TODAY of the other tests
                       ({"end_reason": "married", "ended_on": timezone.localdate() + dt.timedelta(days=1)}, "ended_on"),
                       ({"end_reason": "married", "ended_on": D(2000, 1, 1)}, "ended_on")):
        with pytest.raises(ValidationFailed) as refused:
            claim_child_update(actor=operator, child=child, **bad)
        assert field in refused.value.fields
    claim_child_update(actor=operator, child=child, end_reason="married", ended_on=D(2025, 6, 1))
    claim_child_update(actor=operator, child=child, end_reason="married", ended_on=D(2025, 6, 1))  # again: nothing
    assert AuditEvent.objects.filter(action="claim.child_update").count() == 1
    with pytest.raises(Conflict):
        claim_child_update(actor=operator, child=child, level="SMA")
    pay(personas, year2, D(2025, 7, 1))  # the year begun before the wedding is still paid
    assert len(follow_ups(child)) == 2
    child.refresh_from_db()
    assert (child.end_reason, child.ended_on) == ("married", D(2025, 6, 1))


def test_a_rejected_year_opens_the_next_only_on_the_offices_word(personas, person):
    operator = personas["operator_sorong"]
    origin = death(personas, person, D(2024, 1, 10))
    child = add(personas, origin, "Maya Ulim", D(2010, 1, 1), "SMP")
    pay(personas, origin, D(2024, 3, 1), amount=1)
    year1 = follow_ups(child)[0]
    for document in year1.documents.filter(required=True):
        year1 = claim_document_received(actor=operator, claim=year1, code=document.code,
                                        received_on=D(2024, 3, 5), today=TODAY)
    year1 = claim_submit(actor=operator, claim=year1, bpjstk_number="B-1", submitted_on=D(2024, 3, 6))
    claim_reject(actor=operator, claim=year1, reason="Surat sekolah tidak sah")
    assert len(follow_ups(child)) == 1
    claim_child_update(actor=operator, child=child, chosen=True)
    assert [f.school_year for f in follow_ups(child)] == [1, 2]


def test_a_child_who_ends_before_any_year_frees_the_place_and_a_started_one_keeps_it(personas, person):
    operator = personas["operator_sorong"]
    origin = death(personas, person, D(2026, 3, 2))
    ani = add(personas, origin, "Ani Ulim", D(2012, 1, 1), "SD")
    bayu = add(personas, origin, "Bayu Ulim", D(2022, 1, 1), "")  # not in school yet: holds a place, waits
    cahya = add(personas, origin, "Cahya Ulim", D(2014, 1, 1), "SD")
    pay(personas, origin, D(2026, 4, 1), amount=1)
    assert (len(follow_ups(ani)), follow_ups(bayu), follow_ups(cahya)) == (1, [], [])
    claim_child_update(actor=operator, child=bayu, end_reason="died", ended_on=D(2026, 10, 1))
    assert len(follow_ups(cahya)) == 1  # Bayu's place
    dewi = add(personas, origin, "Dewi Ulim", D(2015, 1, 1), "SD", chosen=True)  # chosen late: no place left
    assert follow_ups(dewi) == []
    data = claim_as_dict(claim_get(actor=operator, claim_id=origin.pk), full=True)
    assert [(c["name"], c["taken"]) for c in data["children"]] == [
        ("Ani Ulim", True), ("Cahya Ulim", True), ("Dewi Ulim", False), ("Bayu Ulim", False)]


# --- Idempotency, validation, scoping ------------------------------------------------------------------

def test_nothing_opens_twice(personas, person):
    operator = personas["operator_sorong"]
    origin = death(personas, person, D(2026, 3, 2))
    child = add(personas, origin, "Nina Ulim", D(2014, 4, 4), "SD")
    assert add(personas, origin, "nina  ulim", D(2014, 4, 4), "SD").pk == child.pk  # the same child
    origin = pay(personas, origin, D(2026, 4, 1), amount=5)
    claim_settle(actor=operator, claim=origin, paid_idr=5, paid_on=D(2026, 4, 1))  # settled again: nothing
    claim_child_update(actor=operator, child=child, chosen=True)  # a sync again: the open year stands
    claim_child_update(actor=operator, child=child, level="SD")
    assert len(follow_ups(child)) == 1 and ClaimChild.objects.count() == 1
    assert AuditEvent.objects.filter(action="claim.follow_up").count() == 1
    late = add(personas, origin, "Oki Ulim", D(2016, 6, 6), "SD")  # named after the payment: opens now
    assert [f.school_year for f in follow_ups(late)] == [1]
    third = add(personas, origin, "Putri Ulim", D(2018, 6, 6), "SD", chosen=True)  # two places are taken
    assert follow_ups(third) == []


@pytest.mark.parametrize(("kw", "field"), [
    ({"name": ""}, "name"),
    ({"name": "A" * 10_000}, "name"),
    ({"name": "Ani\x00"}, "name"),
    ({"birth_date": TODAY + dt.timedelta(days=1)}, "birth_date"),
    ({"birth_date": D(2026, 3, 3)}, "birth_date"),  # after the event
    ({"birth_date": "2014-01-01"}, "birth_date"),
    ({"level": "S3"}, "level"),
    ({"level": "SD" * 100}, "level"),
    ({"chosen": "ya"}, "chosen"),
])
def test_bad_children_are_refused_with_the_field_named(personas, person, kw, field):
    origin = death(personas, person, D(2026, 3, 2))
    args = {"name": "Ani Ulim", "birth_date": D(2014, 1, 1), "level": "SD", "chosen": False, **kw}
    with pytest.raises(ValidationFailed) as refused:
        claim_child_add(actor=personas["operator_sorong"], claim=origin, **args)
    assert field in refused.value.fields
    assert not ClaimChild.objects.exists()


def test_another_areas_facilitator_finds_nothing(personas, person):
    origin = death(personas, person, D(2026, 3, 2))
    child = add(personas, origin, "Rudi Ulim", D(2014, 1, 1), "SD", actor="facilitator_remu")
    stranger = personas["facilitator_klawasi"]
    with pytest.raises(NotFound):
        claim_child_add(actor=stranger, claim=origin, name="X", birth_date=D(2014, 1, 1))
    with pytest.raises(NotFound):
        claim_child_update(actor=stranger, child=child, level="SMP")
    child.refresh_from_db()
    assert child.level == "SD" and ClaimChild.objects.count() == 1


# --- CLI -----------------------------------------------------------------------------------------------

def test_the_cli_names_and_changes_a_child(personas, person, capsys):
    origin = death(personas, person, D(2026, 3, 2))
    claim_id = str(origin.pk)
    code, out, err = jaring(capsys, "claim", "child", claim_id, "--name", "Sari Ulim", "--birth-date", "2013-02-03",
                            "--level", "sd", "--chosen", "--json")
    assert code == 0, err
    data = json.loads(out)
    [child] = data["children"]
    assert {"id", "name", "birth_date", "level", "chosen", "taken", "ended_on", "end_reason",
            "follow_ups"} <= set(child)
    assert (child["level"], child["chosen"], child["taken"]) == ("SD", True, True)
    assert {"triggered", "reasons", "notes"} <= set(data["scholarship"])
    code, out, err = jaring(capsys, "claim", "child", claim_id, "--child", str(child["id"]), "--level", "SMP",
                            "--json")
    assert code == 0, err
    assert json.loads(out)["children"][0]["level"] == "SMP"
    code, out, err = jaring(capsys, "claim", "child", claim_id, "--child", str(child["id"]), "--end-reason",
                            "married", "--ended-on", "2026-11-01")
    assert code == 0, err
    assert "ended 2026-11-01 (married)" in out
    for argv in (["--name", "Tono"], ["--name", "Tono", "--birth-date", "3-2-2013"],
                 ["--end-reason", "married", "--ended-on", "2026-11-01"],
                 ["--child", str(child["id"])], ["--child", str(child["id"]), "--name", "Tono"],
                 ["--name", "Tono", "--birth-date", "2013-02-03", "--level", "S9"]):
        code, _out, err = jaring(capsys, "claim", "child", claim_id, *argv)
        assert code == 2 and err.startswith("error:"), (argv, err)
    code, _out, err = jaring(capsys, "claim", "child", claim_id, "--child", "999999", "--level", "SD")
    assert code == 4
    code, _out, _err = jaring(capsys, "claim", "child", claim_id, "--name", "Tono", "--birth-date", "2013-02-03",
                              "--as", "facilitator_klawasi")
    assert code == 4
    code, out, _err = jaring(capsys, "claim", "child", claim_id, "--child", str(child["id"]), "--level", "SMA",
                             "--json")
    assert code == 3 and json.loads(out)["error"]["code"] == "child_ended"
