"""memberships_create_drafts: the set-based twin of membership_enrol (used when a round is approved)."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from conftest import KLAWASI, REMU
from jaring.accounts.services import user_create
from jaring.contributions.services import billing_run
from jaring.core.errors import PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_end, membership_enrol, memberships_create_drafts


def _start() -> dt.date:
    return dt.date(timezone.localdate().year + 1, 1, 1)


def test_drafts_in_the_given_order_with_one_audit_event_listing_them(personas, payers, register_person):
    people = [register_person(full_name=f"Pekerja {i}", birth_date=dt.date(1980, 5, 1 + i),
                              transport_sector=(i == 1)) for i in range(4)]
    order = [people[2].pk, people[0].pk, people[3].pk, people[1].pk, people[2].pk]  # a repeat is asked once
    created = memberships_create_drafts(actor=personas["admin_sorong"], payer=payers["city"], person_ids=order,
                                        start_date=_start(), declared_income_idr=1_000_000, reason="test:1")
    assert set(created) == {p.pk for p in people}
    assert [created[pk] for pk in order[:4]] == sorted(created.values())  # ids follow the order asked
    drafts = Membership.objects.filter(payer=payers["city"])
    assert drafts.count() == 4 and set(drafts.values_list("status", flat=True)) == {"draft"}
    assert set(drafts.values_list("start_date", "has_jht", "declared_income_idr")) == {(_start(), False, 1_000_000)}
    assert drafts.get(person=people[1]).sector == "transport" and drafts.get(person=people[0]).sector == "other"
    assert set(drafts.values_list("created_by", flat=True)) == {personas["admin_sorong"].pk}
    event = AuditEvent.objects.get(action="membership.create_drafts")
    assert event.after["created"] == 4 and event.after["asked"] == 4 and event.after["reason"] == "test:1"
    assert sorted(map(tuple, event.after["memberships"])) == sorted((m, p) for p, m in created.items())
    # Asking again creates nothing: everyone has an open membership now.
    again = memberships_create_drafts(actor=personas["admin_sorong"], payer=payers["city"], person_ids=order,
                                      start_date=_start(), declared_income_idr=1_000_000, reason="test:2")
    assert again == {} and drafts.count() == 4


def test_whoever_membership_enrol_refuses_is_left_out(personas, payers, register_person):
    operator, start = personas["operator_sorong"], _start()
    fine = register_person(full_name="Boleh")
    enrolled = register_person(full_name="Sudah Mandiri")
    membership_enrol(actor=operator, person=enrolled, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=start)
    dead = register_person(full_name="Almarhum", death_date=dt.date(2024, 1, 1))
    too_old = register_person(full_name="Terlalu Tua", birth_date=dt.date(start.year - 70, 1, 1))
    elsewhere = register_person(full_name="Di Klawasi", kelurahan=KLAWASI)
    remu_operator = user_create(actor=None, username="operator_remu", name="Operator Remu", role="operator",
                                password="rahasia-jaring-2026", areas=[REMU])
    asked = [p.pk for p in (fine, enrolled, dead, too_old, elsewhere)]
    created = memberships_create_drafts(actor=remu_operator, payer=payers["city"], person_ids=asked,
                                        start_date=start, declared_income_idr=1_000_000, reason="test")
    assert set(created) == {fine.pk}
    assert AuditEvent.objects.get(action="membership.create_drafts").after["left_out"] == 4
    assert not (Membership.objects.filter(status__in=Membership.OPEN_STATUSES).values("person")
                .annotate(n=Count("id")).filter(n__gt=1).exists())


def test_a_month_already_billed_by_another_payer_is_left_out(personas, payers, register_person):
    operator = personas["operator_sorong"]
    month = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # drafts never start past
    person = register_person(full_name="Pernah Mandiri")
    own = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                           declared_income_idr=1_000_000, start_date=month, kpj="26010000001")
    billing_run(actor=operator, period=month)
    membership_end(actor=operator, membership=own, reason="withdrawn", ended_on=month)
    created = memberships_create_drafts(actor=operator, payer=payers["city"], person_ids=[person.pk],
                                        start_date=month, declared_income_idr=1_000_000, reason="test")
    assert created == {}
    following = (month + dt.timedelta(days=32)).replace(day=1)
    assert set(memberships_create_drafts(actor=operator, payer=payers["city"], person_ids=[person.pk],
                                         start_date=following, declared_income_idr=1_000_000,
                                         reason="test")) == {person.pk}


def test_roles_and_inputs_are_refused_before_anything_is_written(personas, payers, register_person):
    person = register_person()
    for username in ("facilitator_remu", "liaison", "auditor"):
        with pytest.raises(PermissionDenied):
            memberships_create_drafts(actor=personas[username], payer=payers["city"], person_ids=[person.pk],
                                      start_date=_start(), declared_income_idr=1_000_000, reason="test")
    with pytest.raises(ValidationFailed):  # not an income bracket
        memberships_create_drafts(actor=personas["admin_sorong"], payer=payers["city"], person_ids=[person.pk],
                                  start_date=_start(), declared_income_idr=1_234_567, reason="test")
    with pytest.raises(ValidationFailed):
        memberships_create_drafts(actor=personas["admin_sorong"], payer=payers["city"], person_ids=[person.pk],
                                  start_date=_start(), declared_income_idr=1_000_000, reason=" ")
    assert not Membership.objects.exists()
    assert not AuditEvent.objects.filter(action="membership.create_drafts").exists()
