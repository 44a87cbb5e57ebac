"""Writes that moved into their owners' services (issue 9, point 3) do what the code did before:
the arrears close ends memberships through membership's set-based service and voids later dues
through contributions'; a membership's end and a merge write dues through contributions; an import's
changes to registered persons go through the registry's service, which also guards the area; a
password hash upgrade and a token's last use go through accounts; the home page's registry counts
come through a registered card. Each test fails if the write stops happening (or happens twice)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings

from conftest import KLAWASI, PASSWORD
from jaring.accounts.models import ApiToken
from jaring.accounts.services import api_token_create, api_token_touch, hash_token, user_create
from jaring.contributions.models import Due
from jaring.contributions.services import billing_close, billing_run, payment_record
from jaring.core.errors import PermissionDenied
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_end, membership_enrol, move_memberships, payer_create
from jaring.registry.models import Person
from jaring.registry.services import persons_fill_from_import

pytestmark = pytest.mark.django_db


def _months(first: int, last: int) -> list[dt.date]:
    return [dt.date(2026, m, 1) for m in range(first, last + 1)]


@pytest.fixture
def member(personas: dict[str, Any], register_person: Any) -> Membership:
    """An active self-paying member since January 2026, billed January to October."""
    operator = personas["operator_sorong"]
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    membership = membership_enrol(actor=operator, person=register_person(occupation="market_trader"), payer=payer,
                                  programs="JKK,JKM", declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1),
                                  kpj="26010000009")
    for period in _months(1, 10):
        billing_run(actor=operator, period=period)
    return membership


def _statuses(membership: Membership) -> dict[int, str]:
    return {period.month: status for period, status in
            Due.objects.filter(membership=membership).values_list("period", "status")}


def test_billing_close_ends_through_membership_and_voids_later_dues(personas, member):  # type: ignore[no-untyped-def]
    operator = personas["operator_sorong"]
    for due in Due.objects.filter(membership=member, period__lte=dt.date(2026, 5, 1)).order_by("period"):
        payment_record(actor=operator, membership=member, amount_idr=due.amount_idr,
                       paid_on=due.period.replace(day=10), reference=f"PAY-{due.period:%m}")
    assert billing_close(actor=operator, as_of=dt.date(2026, 9, 16)).ended == 1
    member.refresh_from_db()
    assert (member.status, member.end_reason, member.ended_on) == ("ended", "arrears", dt.date(2026, 9, 16))
    statuses = _statuses(member)
    assert [statuses[m] for m in range(1, 11)] == ["paid"] * 5 + ["open"] * 4 + ["void"]  # October is not owed
    events = AuditEvent.objects.filter(action="membership.end", object_id=str(member.pk))
    assert [e.after for e in events] == [{"status": "ended", "end_reason": "arrears", "ended_on": "2026-09-16",
                                          "by": "billing.close"}]
    assert events.get().actor == operator
    assert billing_close(actor=operator, as_of=dt.date(2026, 9, 20)).ended == 0
    assert AuditEvent.objects.filter(action="membership.end").count() == 1


def test_membership_end_voids_the_open_dues_after_its_month(personas, member):  # type: ignore[no-untyped-def]
    membership_end(actor=personas["operator_sorong"], membership=member, reason="moved", ended_on=dt.date(2026, 3, 20))
    statuses = _statuses(member)
    assert [statuses[m] for m in range(1, 11)] == ["open"] * 3 + ["void"] * 7


def test_a_merge_moves_dues_with_the_memberships(personas, member, register_person):  # type: ignore[no-untyped-def]
    kept = register_person(full_name="Yohanes Kalami Dua", birth_date=dt.date(1985, 3, 15))
    other = member.person
    move_memberships(actor=personas["operator_sorong"], kept=kept, other=other)
    assert set(Due.objects.values_list("person_id", flat=True)) == {kept.pk}
    assert Due.objects.filter(person=kept).count() == 10
    member.refresh_from_db()
    assert member.person_id == kept.pk


def test_import_changes_to_registered_persons(personas, register_person):  # type: ignore[no-untyped-def]
    facilitator = personas["facilitator_remu"]
    here = register_person(phone="")
    before = AuditEvent.objects.count()
    changed = persons_fill_from_import(actor=facilitator, job_id=7,
                                       changes={here.pk: ({"phone": ""}, {"phone": "081299990000"})})
    assert changed == 1
    here.refresh_from_db()
    assert here.phone == "081299990000"
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_id, event.before, event.after) == (
        "person.import_update", str(here.pk), {"job": 7, "phone": ""}, {"phone": "081299990000"})

    with pytest.raises(ValueError, match="full_name"):  # a file never renames anyone
        persons_fill_from_import(actor=facilitator, changes={here.pk: ({"full_name": "A"}, {"full_name": "B"})})


def test_import_service_refuses_a_person_outside_the_area(personas, register_person):  # type: ignore[no-untyped-def]
    there = register_person(kelurahan=KLAWASI, phone="081200001111")
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        persons_fill_from_import(actor=personas["facilitator_remu"],
                                 changes={there.pk: ({"phone": "081200001111"}, {"phone": "081299990000"})})
    assert Person.objects.get(pk=there.pk).phone == "081200001111"
    assert AuditEvent.objects.count() == before
    # The same change by someone whose area holds the person goes through.
    assert persons_fill_from_import(actor=personas["facilitator_klawasi"], changes={
        there.pk: ({"phone": "081200001111"}, {"phone": "081299990000"})}) == 1


def test_a_login_upgrades_an_old_password_hash(db):  # type: ignore[no-untyped-def]
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher",
                                             "django.contrib.auth.hashers.MD5PasswordHasher"]):
        user = user_create(actor=None, username="pengguna_lama", name="Pengguna Lama", role="operator",
                           password=PASSWORD, validate=False)
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    assert authenticate(request=None, username="pengguna_lama", password=PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # the preferred hasher of the test settings
    assert authenticate(request=None, username="pengguna_lama", password=PASSWORD) == user


def test_a_token_use_is_written_at_most_every_few_minutes(personas):  # type: ignore[no-untyped-def]
    user = personas["facilitator_remu"]
    token = ApiToken.objects.get(key_hash=hash_token(api_token_create(actor=user, user=user)))
    first = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    assert api_token_touch(actor=user, token=token, now=first) is True
    assert api_token_touch(actor=user, token=token, now=first + dt.timedelta(minutes=1)) is False
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    later = first + dt.timedelta(minutes=6)
    assert api_token_touch(actor=user, token=token, now=later) is True
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


def test_the_home_page_shows_the_registry_card(client, personas, register_person):  # type: ignore[no-untyped-def]
    register_person()
    register_person(kelurahan=KLAWASI, full_name="Siti Rahma", sex="F", birth_date=dt.date(1990, 2, 2))
    client.force_login(personas["facilitator_remu"])
    page = client.get("/").content.decode()
    assert 'class="searchbar"' in page and "Daftarkan orang baru" in page
    assert "<b>1</b><span>orang terdaftar</span>" in page  # Remu only: the Klawasi person is not counted
    client.force_login(personas["admin_sorong"])
    assert "<b>2</b><span>orang terdaftar</span>" in client.get("/").content.decode()
