"""The demo city's claims (issue 11, point 9): every state, an unprotected case, one about to miss
its 2 × 24-hour report at the top of its facilitator's list, a paid death that ended its membership."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from jaring.accounts.models import Role, User
from jaring.claims.models import Claim
from jaring.claims.selectors import claim_deadlines_list, deadlines_of, next_deadline
from jaring.contributions.models import CreditEntry
from jaring.core.models import AuditEvent
from jaring.demo import seed_demo
from jaring.membership.models import Membership

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def seeded_counts() -> dict[str, Any]:
    event = AuditEvent.objects.get(action="demo.seed")
    return {k: v for k, v in event.after.items() if k.startswith("claims")}


def fingerprint() -> list[tuple[Any, ...]]:
    return sorted(Claim.objects.values_list("person__full_name", "type", "status", "event_date",
                                            "protected_on_event_date", "stage1_reported_on", "paid_idr"))


class Undo(Exception):
    pass


@pytest.fixture
def demo() -> dict[str, Any]:
    seed_demo(persons=600, seed=5, today=TODAY)
    return seeded_counts()


def test_demo_claims_cover_every_state(demo):
    assert 30 <= demo["claims"] - demo["claims_follow_ups"] <= 40 and Claim.objects.count() == demo["claims"]
    for status in Claim.Status.values:
        assert demo[f"claims_{status}"] >= 1, status
        assert Claim.objects.filter(status=status).count() == demo[f"claims_{status}"]
    # Spread over the city and its payers.
    assert Claim.objects.values("person__kelurahan").distinct().count() >= 15
    payers = set(Claim.objects.exclude(membership=None).values_list("membership__payer__code", flat=True))
    assert payers == {"MANDIRI", "APBD-KOTA", "APBD-PROV"}
    # Reported ones: some with documents partly in, some with the stage-I report made.
    reported = Claim.objects.filter(status=Claim.Status.REPORTED)
    assert reported.filter(documents__received_on__isnull=False).distinct().exists()
    assert reported.exclude(stage1_reported_on=None).exists()
    # A work accident whose outcome is known and whose stage-II report is still due.
    assert Claim.objects.filter(type="jkk", status=Claim.Status.REPORTED, stage2_reported_on=None).exclude(
        outcome_date=None).exists()
    # Every protected case has its membership; every chronology is written out.
    assert not Claim.objects.filter(protected_on_event_date=True, membership=None).exists()
    assert not Claim.objects.filter(chronology="", origin=None).exists()


def test_demo_has_unprotected_cases(demo):
    unprotected = Claim.objects.filter(protected_on_event_date=False)
    assert unprotected.count() == demo["claims_unprotected"] >= 2
    assert set(unprotected.values_list("coverage_reason", flat=True)) & {"in_arrears", "ended", "no_membership",
                                                                         "not_started"}


def test_one_case_is_about_to_miss_its_report_and_heads_its_facilitators_list(demo):
    due = [c for c in Claim.objects.filter(status=Claim.Status.REPORTED, type="jkk", stage1_reported_on=None)
           if deadlines_of(c).stage1_report in (TODAY, TODAY + dt.timedelta(days=1))]
    assert due
    claim = due[0]
    facilitator = User.objects.get(role=Role.FACILITATOR, areas__region=claim.person.kelurahan)
    rows = claim_deadlines_list(actor=facilitator, today=TODAY)
    assert rows[0].claim == claim and rows[0].kind == "stage1_report" and not rows[0].overdue
    # Another facilitator's cases stay out of this list.
    codes = set(facilitator.areas.values_list("region__code", flat=True))
    assert all(row.claim.person.kelurahan.code in codes for row in rows)


def test_one_submitted_claim_is_past_bpjstks_payment_promise(demo):
    submitted = [next_deadline(c, TODAY) for c in Claim.objects.filter(status=Claim.Status.SUBMITTED)]
    assert any(d is not None and d.kind == "payment_due" and d.overdue for d in submitted)
    assert any(d is not None and d.kind == "payment_due" and not d.overdue for d in submitted)


def test_a_paid_death_ended_its_membership_and_refunded_the_later_months(demo):
    deaths = Claim.objects.filter(status=Claim.Status.PAID, type="jkm")
    assert deaths.exists()
    for claim in deaths:
        assert claim.paid_idr == 42_000_000 == sum(p.amount_idr for p in claim.payments.all())
        assert claim.heirs.exists()
        membership = Membership.objects.get(pk=claim.membership_id)
        assert (membership.status, membership.end_reason, membership.ended_on) == (
            Membership.Status.ENDED, Membership.EndReason.DEATH, claim.event_date)
        claim.person.refresh_from_db()
        assert claim.person.death_date == claim.event_date
    assert CreditEntry.objects.filter(reason=CreditEntry.Reason.REFUND,
                                      membership__in=deaths.values("membership")).exists()
    # The work-accident death too, on the day it killed; its children at school get their first
    # scholarship year as follow-ups (a JKM death under 36 paid months opens none).
    fatal = Claim.objects.get(status=Claim.Status.PAID, outcome=Claim.Outcome.DEATH)
    assert Membership.objects.get(pk=fatal.membership_id).ended_on == fatal.outcome_date
    follow_ups = Claim.objects.filter(type=Claim.Type.SCHOLARSHIP, origin=fatal)
    assert fatal.children.exists() and follow_ups.exists()
    assert follow_ups.count() == demo["claims_follow_ups"] <= 2
    assert all(f.child is not None and f.child.claim == fatal and f.school_year == 1 for f in follow_ups)
    assert not Claim.objects.filter(type=Claim.Type.SCHOLARSHIP, origin__in=deaths).exists()
    recovered = Claim.objects.filter(status=Claim.Status.PAID, outcome=Claim.Outcome.RECOVERED).first()
    assert recovered is not None and recovered.payments.count() >= 2


def test_rejected_and_lapsed_cases(demo):
    assert not Claim.objects.filter(status=Claim.Status.REJECTED, rejection_reason="").exists()
    lapsed = Claim.objects.get(status=Claim.Status.LAPSED)
    assert deadlines_of(lapsed).lapses_on < TODAY and lapsed.submitted_on is None


def test_the_demo_claims_are_deterministic():
    with pytest.raises(Undo), transaction.atomic():
        seed_demo(persons=600, seed=5, today=TODAY)
        first = (seeded_counts(), fingerprint())
        raise Undo
    assert not Claim.objects.exists()
    seed_demo(persons=600, seed=5, today=TODAY)
    assert (seeded_counts(), fingerprint()) == first
