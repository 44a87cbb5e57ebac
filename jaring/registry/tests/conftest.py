"""A pair of records of one woman, the other carrying everything a merge moves (set up through services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jaring.claims.services import claim_open
from jaring.contributions.services import billing_run, payment_record
from jaring.fieldwork.services import event_attendee_add, event_create, visit_record
from jaring.membership.services import membership_enrol
from jaring.registry.models import DuplicateCandidate
from jaring.registry.services import dedup_scan, person_set_reminders
from jaring.reminders.services import reminders_send

BORN = dt.date(1979, 5, 4)
JAN, APR = dt.date(2026, 1, 1), dt.date(2026, 4, 1)


@pytest.fixture
def pair(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Any]:
    """Two records of one woman. The other one has a self-payer membership with a KPJ, dues from
    January to April (three paid), a claim, a visit, a reminder message, an opt-out of reminders,
    an outreach attendance (one event both attended, one only she did), and fields the kept one lacks."""
    operator, facilitator = personas["operator_sorong"], personas["facilitator_remu"]
    kept = register_person(full_name="Soekarni Wanma", sex="F", birth_date=BORN, nik="9271014405790001", phone="",
                           occupation="")
    other = register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=BORN, nik="9271014405790002",
                            phone="081298765432", occupation="market_trader", consent_basis="consent",
                            birth_place="Sorong")
    membership = membership_enrol(actor=operator, person=other, payer=payers["self"], programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=JAN, kpj="26010000042")
    for period in (JAN, dt.date(2026, 2, 1), dt.date(2026, 3, 1), APR):
        billing_run(actor=operator, period=period)
    payment_record(actor=operator, membership=membership, amount_idr=3 * 16_800, paid_on=dt.date(2026, 3, 10))
    assert reminders_send(actor=operator, as_of=dt.date(2026, 4, 10), on=dt.date(2026, 4, 10)).queued == 1
    person_set_reminders(actor=operator, person=other, opt_out=True)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    claim_open(actor=facilitator, person=other, type="jkk", event_date=yesterday, chronology="Jatuh di Pasar Remu")
    visit_record(actor=facilitator, person=other, visited_on=yesterday, outcome="other", note="Dikunjungi")
    both = event_create(actor=facilitator, held_on=yesterday, place="Gereja GKI Remu", kelurahan_code="96.71.01.1004",
                        attendees_count=10)
    alone = event_create(actor=facilitator, held_on=yesterday, place="Balai Remu", kelurahan_code="96.71.01.1004",
                         attendees_count=5)
    for person in (kept, other):
        event_attendee_add(actor=facilitator, event=both, person=person)
    event_attendee_add(actor=facilitator, event=alone, person=other)
    assert dedup_scan(actor=operator)["candidates"] == 1
    return {"kept": kept, "other": other, "candidate": DuplicateCandidate.objects.get(), "membership": membership}


