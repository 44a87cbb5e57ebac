"""Outreach events (issue 12 §4): recorded in the facilitator's area, attendees found by NIK or named,
registrations and enrolments of attendees within the window attributed to the event (day 90 in,
day 91 out; the latest event first), and the report per facilitator and distrik on the web, the API
and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from conftest import KLAWASI, REMU
from jaring.core.errors import NotFound, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.fieldwork.models import OutreachAttendee, OutreachEvent
from jaring.fieldwork.selectors import conversions, outreach_report
from jaring.fieldwork.services import event_attendee_add, event_attendee_remove, event_create, move_fieldwork
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db


def held(personas, days_ago: int, *, who: str = "facilitator_remu", kelurahan: str = REMU, **kw) -> OutreachEvent:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return event_create(actor=personas[who], held_on=today - dt.timedelta(days=days_ago), place="Gereja GKI Remu",
                        kelurahan_code=kelurahan, partners=["church", "bpjstk"], attendees_count=kw.pop("count", 20),
                        **kw)


def test_an_event_is_recorded_in_the_area_with_its_team(personas):
    event = held(personas, 3, partner_names="GKI Maranatha; BPJSTK Sorong", note="Hujan, tetap ramai")
    assert list(event.facilitators.all()) == [personas["facilitator_remu"]]  # the actor by default
    assert event.partners == ["church", "bpjstk"] and event.partner_labels()[0] == "Gereja"
    assert AuditEvent.objects.get(action="outreach.create").after["facilitators"] == ["facilitator_remu"]
    with pytest.raises(NotFound):  # a kelurahan outside the area
        held(personas, 3, kelurahan=KLAWASI)
    with pytest.raises(ValidationFailed) as refused:  # a facilitator of another area is not this event's
        held(personas, 3, who="operator_sorong", facilitators=[personas["facilitator_klawasi"]])
    assert "facilitators" in refused.value.fields
    team = held(personas, 3, who="operator_sorong",
                facilitators=[personas["facilitator_remu"], personas["operator_sorong"]])
    assert set(team.facilitators.values_list("username", flat=True)) == {"facilitator_remu", "operator_sorong"}


@pytest.mark.parametrize(("field", "kwargs"), [
    ("held_on", {"days_ago": -1}),
    ("held_on", {"days_ago": 400}),
    ("place", {"place": ""}),
    ("place", {"place": "x" * 201}),
    ("place", {"place": "Pasar\x00Remu"}),
    ("partners", {"partners": ["casino"]}),
    ("attendees_count", {"count": -1}),
    ("attendees_count", {"count": 10**9}),
    ("note", {"note": "n" * 1001}),
])
def test_hostile_events_are_refused(personas, field, kwargs):
    days_ago = kwargs.pop("days_ago", 1)
    values = {"place": "Pasar Remu", "partners": [], "count": 5}
    values.update(kwargs)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as refused:
        event_create(actor=personas["facilitator_remu"], held_on=today - dt.timedelta(days=days_ago),
                     place=values["place"], kelurahan_code=REMU, partners=values["partners"],
                     attendees_count=values["count"], note=values.get("note", ""))
    assert field in refused.value.fields
    assert not OutreachEvent.objects.exists()


def test_attendees_by_person_or_name(personas, register_person):
    event = held(personas, 1, count=1)
    person = register_person(full_name="Markus Kambu")
    first = event_attendee_add(actor=personas["facilitator_remu"], event=event, person=person)
    assert event_attendee_add(actor=personas["facilitator_remu"], event=event, person=person).pk == first.pk
    event_attendee_add(actor=personas["facilitator_remu"], event=event, name="Ibu Yuliana (belum ber-KTP)")
    event.refresh_from_db()
    assert event.attendees.count() == 2 and event.attendees_count == 2  # the head count follows the names
    with pytest.raises(ValidationFailed):
        event_attendee_add(actor=personas["facilitator_remu"], event=event, name="  ")
    with pytest.raises(NotFound):  # another area's person
        event_attendee_add(actor=personas["facilitator_remu"], event=event,
                           person=register_person(full_name="Orang Klawasi", kelurahan=KLAWASI))
    with pytest.raises(NotFound):  # another area's event
        event_attendee_add(actor=personas["facilitator_klawasi"], event=event, name="Siapa")
    event_attendee_remove(actor=personas["facilitator_remu"], attendee=first)
    assert list(event.attendees.values_list("name", flat=True)) == ["Ibu Yuliana (belum ber-KTP)"]


def test_attribution_day_90_is_in_and_day_91_is_out(personas, register_person, enrol):
    """Persons registered and enrolled today, who attended an event 90 or 91 days ago."""
    day90, day91 = held(personas, 90), held(personas, 91)
    inside, outside = register_person(full_name="Hari Sembilan Puluh"), register_person(full_name="Hari 91")
    event_attendee_add(actor=personas["facilitator_remu"], event=day90, person=inside)
    event_attendee_add(actor=personas["facilitator_remu"], event=day91, person=outside)
    enrol(inside)
    enrol(outside)
    found = conversions(events=[day90.pk, day91.pk])
    assert found[day90.pk].registered == {inside.pk} and found[day90.pk].enrolled == {inside.pk}
    assert day91.pk not in found
    # The window is a parameter: 91 days takes day 91 in.
    assert conversions(events=[day91.pk], days=91)[day91.pk].persons == {outside.pk}


def test_a_registration_before_the_event_is_not_its_conversion_and_the_latest_event_wins(
        personas, register_person, enrol):
    earlier, later = held(personas, 30), held(personas, 10)
    person = register_person(full_name="Dua Kali Datang")
    for event in (earlier, later):
        event_attendee_add(actor=personas["facilitator_remu"], event=event, person=person)
    enrol(person)
    found = conversions(events=[earlier.pk, later.pk])
    assert set(found) == {later.pk}  # counted once, for the latest event before it


def test_the_report_per_facilitator_and_distrik(client, personas, register_person, enrol, capsys):
    remu, also_remu = held(personas, 20, count=30), held(personas, 5, count=12)
    klawasi = held(personas, 8, who="facilitator_klawasi", kelurahan=KLAWASI, count=7)
    a, b = register_person(full_name="Peserta A"), register_person(full_name="Peserta B")
    c = register_person(full_name="Peserta C", kelurahan=KLAWASI)
    event_attendee_add(actor=personas["facilitator_remu"], event=remu, person=a)
    event_attendee_add(actor=personas["facilitator_remu"], event=also_remu, person=b)
    event_attendee_add(actor=personas["facilitator_remu"], event=also_remu, name="Tanpa KTP")
    event_attendee_add(actor=personas["facilitator_klawasi"], event=klawasi, person=c)
    enrol(a)
    enrol(c)

    report = outreach_report(actor=personas["operator_sorong"])
    assert (report.totals.events, report.totals.attendees, report.totals.registered, report.totals.enrolled) == (
        3, 49, 3, 2)
    by_name = {r.key: r for r in report.by_facilitator}
    remu_row, klawasi_row = by_name["facilitator_remu"], by_name["facilitator_klawasi"]
    assert (remu_row.events, remu_row.attendees, remu_row.named, remu_row.registered, remu_row.enrolled) == (
        2, 42, 3, 2, 1)
    assert (klawasi_row.events, klawasi_row.registered, klawasi_row.enrolled) == (1, 1, 1)
    assert {r.key: r.events for r in report.by_district} == {"96.71.01": 2, "96.71.03": 1}
    # A facilitator's report holds their area's events only.
    mine = outreach_report(actor=personas["facilitator_remu"])
    assert mine.totals.events == 2 and [r.key for r in mine.by_facilitator] == ["facilitator_remu"]

    client.force_login(personas["facilitator_remu"])
    page = client.get("/sosialisasi/laporan/").content.decode()
    assert "Per pendamping" in page and "Maria Mobalen" in page and "Siti Aisyah" not in page
    assert client.get("/sosialisasi/laporan/", {"dari": "2026-02-30"}).status_code == 400
    assert client.get("/sosialisasi/laporan/", {"dari": "2030-01-01", "sampai": "2020-01-01"}).status_code == 200

    code, out, _err = jaring(capsys, "outreach", "report", "--json")
    data = json.loads(out)
    assert code == 0 and data["totals"]["events"] == 3 and data["attribution_days"] == 90
    assert {r["key"] for r in data["by_district"]} == {"96.71.01", "96.71.03"}
    code, out, _err = jaring(capsys, "outreach", "report", "--as", "facilitator_klawasi")
    assert code == 0 and "1 events" in out


def test_the_event_pages(client, personas, register_person, enrol, django_assert_max_num_queries):
    person = register_person(full_name="Agustina Mayor", phone="081311112222")
    client.force_login(personas["facilitator_remu"])
    form = client.get("/sosialisasi/baru/")
    assert form.status_code == 200 and "Gereja" in form.content.decode()
    today = timezone.localdate()
    response = client.post("/sosialisasi/baru/", {
        "held_on": today.isoformat(), "place": "Pasar Remu", "kelurahan": REMU, "partners": ["market"],
        "partner_names": "Paguyuban pedagang", "attendees_count": "25", "note": ""})
    event = OutreachEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sosialisasi/{event.pk}/"
    refused = client.post("/sosialisasi/baru/", {"held_on": (today + dt.timedelta(days=2)).isoformat(),
                                                 "place": "Pasar", "kelurahan": REMU, "attendees_count": "1"})
    assert refused.status_code == 200 and "belum terjadi" in refused.content.decode()
    outside = client.post("/sosialisasi/baru/", {"held_on": today.isoformat(), "place": "Pasar",
                                                 "kelurahan": KLAWASI, "attendees_count": "1"})
    assert outside.status_code == 200 and OutreachEvent.objects.count() == 1  # not a choice: the form refuses

    added = client.post(f"/sosialisasi/{event.pk}/peserta/", {"nik": person.nik, "name": ""})
    assert added.status_code == 302
    client.post(f"/sosialisasi/{event.pk}/peserta/", {"nik": "", "name": "Bapak Yunus"})
    unknown = client.post(f"/sosialisasi/{event.pk}/peserta/", {"nik": "9271010101010099", "name": ""})
    assert unknown.status_code == 200 and "NIK" in unknown.content.decode()
    enrol(person)
    with django_assert_max_num_queries(15):
        detail = client.get(f"/sosialisasi/{event.pk}/").content.decode()
    assert "Agustina Mayor" in detail and "Bapak Yunus" in detail and "jadi peserta: 1" in detail
    with django_assert_max_num_queries(15):
        listing = client.get("/sosialisasi/").content.decode()
    assert "Pasar Remu" in listing
    client.force_login(personas["facilitator_klawasi"])
    assert client.get(f"/sosialisasi/{event.pk}/").status_code == 404
    assert "Pasar Remu" not in client.get("/sosialisasi/").content.decode()
    assert client.post(f"/sosialisasi/{event.pk}/peserta/", {"name": "X"}).status_code == 404
    client.force_login(personas["auditor"])
    assert client.get(f"/sosialisasi/{event.pk}/").status_code == 200
    assert client.get("/sosialisasi/baru/").status_code == 403


def test_the_events_api(api_client_for, personas, register_person):
    person = register_person(full_name="Nikolas Ulim")
    api = api_client_for("facilitator_remu")
    key = str(uuid.uuid4())
    today = timezone.localdate()
    body = {"held_on": today.isoformat(), "place": "Balai Kelurahan Remu", "kelurahan_code": REMU,
            "partners": ["kelurahan", "bpjstk"], "attendees_count": 40, "client_id": key,
            "attendees": [{"nik": person.nik}, {"name": "Mama Ester"}]}
    created = api.post("/api/v1/outreach-events/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["named_attendees"], data["attendees_count"], data["facilitators"]) == (2, 40, ["facilitator_remu"])
    assert api.post("/api/v1/outreach-events/", body, format="json", HTTP_IDEMPOTENCY_KEY=key).json() == data
    assert OutreachEvent.objects.count() == 1 and OutreachAttendee.objects.count() == 2
    listed = api.get("/api/v1/outreach-events/").json()
    assert [e["id"] for e in listed["results"]] == [data["id"]] and listed["results"][0]["named_attendees"] == 2
    bad = api.post("/api/v1/outreach-events/", {**body, "client_id": None, "attendees": [{}]}, format="json")
    assert bad.status_code == 400 and OutreachEvent.objects.count() == 1  # all or nothing
    outside = api.post("/api/v1/outreach-events/", {**body, "client_id": None, "kelurahan_code": KLAWASI,
                                                    "attendees": []}, format="json")
    assert outside.status_code == 404
    stranger = api.post("/api/v1/outreach-events/", {**body, "client_id": None, "attendees": [],
                                                     "facilitators": ["facilitator_klawasi"]}, format="json")
    assert stranger.status_code == 400 and "facilitators" in stranger.json()["error"]["fields"]
    assert api_client_for("facilitator_klawasi").get("/api/v1/outreach-events/").json()["results"] == []


def test_the_cli_records_an_event_and_its_attendees(capsys, personas, register_person):
    person = register_person(full_name="Yakob Sapisa")
    today = timezone.localdate().isoformat()
    code, out, _err = jaring(capsys, "outreach", "create", "--date", today, "--place", "Masjid Raya",
                             "--kelurahan", REMU, "--partner", "mosque", "--attendees", "15",
                             "--facilitator", "facilitator_remu", "--as", "operator_sorong", "--json")
    assert code == 0
    event = json.loads(out)
    assert event["facilitators"] == ["facilitator_remu"] and event["partners"] == ["mosque"]
    code, out, _err = jaring(capsys, "outreach", "attendee", str(event["id"]), "--nik", person.nik,
                             "--as", "facilitator_remu", "--json")
    assert code == 0 and json.loads(out)["named_attendees"] == 1
    code, _out, err = jaring(capsys, "outreach", "attendee", str(event["id"]), "--name", "X",
                             "--as", "facilitator_klawasi")
    assert code == 4 and "error:" in err  # another area's event: not found


def test_a_merge_keeps_one_attendance(personas, register_person):
    event = held(personas, 2)
    kept, other = register_person(full_name="Asli"), register_person(full_name="Ganda")
    for person in (kept, other):
        event_attendee_add(actor=personas["facilitator_remu"], event=event, person=person)
    move_fieldwork(actor=personas["operator_sorong"], kept=kept, other=other)
    assert list(event.attendees.values_list("person_id", flat=True)) == [kept.pk]
