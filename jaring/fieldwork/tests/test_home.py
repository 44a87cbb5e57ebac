"""The facilitator's own coverage and work on the home page (issue 12 §6): the user linked to their
person record (a service, the CLI, audited), their protection with its reason, the workers they
brought in (registered, enrolled, through their events) and kept (still protected), this week's
to-do; the "kept" count agrees with contributions.selectors.protection person by person."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jaring.contributions.selectors import protection
from jaring.core.errors import Conflict, PermissionDenied
from jaring.core.models import AuditEvent
from jaring.fieldwork.models import FieldProfile
from jaring.fieldwork.selectors import brought_in, field_summary, protected_count
from jaring.fieldwork.services import event_attendee_add, event_create, field_profile_link
from jaring.registry.models import Person
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(personas, register_person, enrol, bill, today):  # type: ignore[no-untyped-def]
    """facilitator_remu registered A (enrolled by the office, now two months behind) and C (never
    enrolled), enrolled B (protected), brought D through an event (protected); E is her own record,
    paid by the city."""
    facilitator, operator = personas["facilitator_remu"], personas["operator_sorong"]
    a = register_person(actor=facilitator, full_name="Anton Wamafma")
    enrol(a, months_back=2)
    bill(2)
    b = register_person(full_name="Benny Kareth")
    enrol(b, actor=facilitator)
    c = register_person(actor=facilitator, full_name="Corry Mambrasar")
    event = event_create(actor=facilitator, held_on=today - dt.timedelta(days=14), place="Gereja Remu",
                         kelurahan_code="96.71.01.1004", attendees_count=30)
    d = register_person(full_name="Dorkas Rumbewas")
    event_attendee_add(actor=facilitator, event=event, person=d)
    enrol(d)
    e = register_person(full_name="Maria Mobalen", actor=operator)
    enrol(e, payer="city")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_linking_a_user_to_their_person(personas, week, capsys):
    admin, facilitator = personas["admin_sorong"], personas["facilitator_remu"]
    profile = field_profile_link(actor=admin, user=facilitator, person=week["e"])
    assert profile.person == week["e"]
    assert AuditEvent.objects.filter(action="field_profile.link").count() == 1
    assert field_profile_link(actor=admin, user=facilitator, person=week["e"]) == profile  # no change, no event
    assert AuditEvent.objects.filter(action="field_profile.link").count() == 1
    with pytest.raises(Conflict):  # one person is one user's record
        field_profile_link(actor=admin, user=personas["facilitator_klawasi"], person=week["e"])
    with pytest.raises(PermissionDenied):
        field_profile_link(actor=facilitator, user=facilitator, person=week["a"])
    code, out, _err = jaring(capsys, "facilitator", "link", "--user", "facilitator_remu", "--unlink", "--json")
    assert code == 0 and json.loads(out) == {"user": "facilitator_remu", "person": None}
    code, out, _err = jaring(capsys, "facilitator", "link", "--user", "facilitator_remu", "--nik", week["e"].nik)
    assert code == 0 and FieldProfile.objects.get(user=facilitator).person_id == week["e"].pk
    code, _out, err = jaring(capsys, "facilitator", "link", "--user", "nobody", "--nik", week["e"].nik)
    assert code == 4 and "nobody" in err


def test_the_summary_counts(personas, week, today):
    facilitator = personas["facilitator_remu"]
    field_profile_link(actor=personas["admin_sorong"], user=facilitator, person=week["e"])
    summary = field_summary(user=facilitator, today=today)
    assert summary.person == week["e"] and summary.protection is not None and summary.protection.protected
    assert (summary.registered, summary.enrolled, summary.via_events) == (2, 1, 1)
    assert (summary.brought_in, summary.kept) == (4, 2)  # A, B, C, D; B and D protected
    assert summary.todo == 1  # A, two months behind, in her area
    ids = set(brought_in(user=facilitator).values_list("id", flat=True))
    assert ids == {week[k].pk for k in "abcd"}
    # "Kept" is the one rule of protection, person by person.
    assert summary.kept == sum(protection(person=p, day=today).protected for p in Person.objects.filter(pk__in=ids))


def test_protected_count_agrees_with_protection_for_everyone(personas, week, behind, today):
    everyone = Person.objects.all()
    assert protected_count(everyone, today) == sum(protection(person=p, day=today).protected for p in everyone)


def test_the_home_card(client, personas, week, today, django_assert_max_num_queries):
    facilitator = personas["facilitator_remu"]
    client.force_login(facilitator)
    page = client.get("/").content.decode()
    assert "Kerja lapangan Anda" in page and "Perlindungan Anda sendiri" not in page  # not linked yet
    field_profile_link(actor=personas["admin_sorong"], user=facilitator, person=week["e"])
    with django_assert_max_num_queries(32):  # the card's 25, and the tasks inbox (core.tasks) above it
        page = client.get("/").content.decode()
    assert "Perlindungan Anda sendiri" in page and "Terlindungi" in page
    assert protection(person=week["e"], day=today).message.text("id") in page
    assert "<b>4</b> <span>pekerja yang Anda bawa masuk" in page
    assert "<b>2</b> <span>di antaranya masih terlindungi" in page
    assert "<b>1</b> <span>harus dikunjungi" in page
    client.force_login(personas["auditor"])
    assert "Kerja lapangan Anda" not in client.get("/").content.decode()  # reads only: no field card
    client.force_login(personas["operator_sorong"])
    assert "Kerja lapangan Anda" not in client.get("/").content.decode()  # the office: the whole city
    field_profile_link(actor=personas["admin_sorong"], user=personas["operator_sorong"], person=week["a"])
    assert "Kerja lapangan Anda" in client.get("/").content.decode()  # unless covered as a person too
