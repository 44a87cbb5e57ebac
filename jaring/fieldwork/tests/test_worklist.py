"""The facilitator's week (issue 12 §3): the worklist is the at-risk list paged, filtered and sorted by
lapse date, each person with the next action and the last visit; a visit moves its person to
"visited" until the next due date; another area's person is not found; the page's queries are
bounded."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import KLAWASI, REMU
from jaring.core.errors import NotFound
from jaring.fieldwork.models import Visit
from jaring.fieldwork.selectors import WorkFilter, next_due_after, worklist
from jaring.fieldwork.services import visit_record
from jaring.registry.models import Person

pytestmark = pytest.mark.django_db


def names(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [r.risk.full_name for r in rows]


def test_first_to_lapse_first_with_next_action_and_filters(personas, behind, today):
    facilitator = personas["facilitator_remu"]
    work = worklist(actor=facilitator, today=today)
    # Self-payers of Remu only: the city-paid member is the office's, the Klawasi one another area's.
    assert set(names(work.rows)) == {"Peserta two_a", "Peserta two_b", "Peserta one"}
    assert names(work.rows)[-1] == "Peserta one"  # one month behind lapses last
    lapses = [r.risk.lapses_on for r in work.rows]
    assert lapses == sorted(lapses)
    first = work.rows[0]
    assert first.risk.unpaid_months == 2 and first.risk.owed_idr > 0 and first.last_visit is None
    assert first.action in ("visit", "urgent") and first.action_text
    assert (work.todo, work.visited) == (3, 0)

    assert names(worklist(actor=facilitator, today=today, where=WorkFilter(months=1)).rows) == ["Peserta one"]
    collective = worklist(actor=facilitator, today=today, where=WorkFilter(payer_group="collective")).rows
    assert names(collective) == ["Peserta city"] and collective[0].action == "funder"
    assert len(worklist(actor=facilitator, today=today, where=WorkFilter(payer_group="")).rows) == 4
    operator = personas["operator_sorong"]
    assert "Peserta far" in names(worklist(actor=operator, today=today).rows)
    assert names(worklist(actor=operator, today=today, where=WorkFilter(region_code=KLAWASI)).rows) == ["Peserta far"]
    assert "Peserta far" not in names(worklist(actor=operator, today=today,
                                               where=WorkFilter(region_code="96.71.01")).rows)  # Remu's distrik
    soon = worklist(actor=operator, today=today, where=WorkFilter(this_week=True)).rows
    assert all(r.risk.lapses_on and r.risk.lapses_on <= today + dt.timedelta(days=7) for r in soon)


def test_a_visit_moves_the_person_to_visited_until_the_next_due_date(personas, behind, today):
    facilitator = personas["facilitator_remu"]
    person = behind["two_a"]
    visit_record(actor=facilitator, person=person, visited_on=today, outcome="promised",
                 promised_on=today + dt.timedelta(days=3), note="Janji bayar hari Kamis")
    work = worklist(actor=facilitator, today=today)
    assert "Peserta two_a" not in names(work.rows) and (work.todo, work.visited) == (2, 1)
    visited = worklist(actor=facilitator, today=today, where=WorkFilter(tab="visited")).rows
    assert names(visited) == ["Peserta two_a"]
    row = visited[0]
    assert row.last_visit is not None and row.last_visit.outcome == "promised" and row.action == "promise"
    due = next_due_after(today)
    assert row.visited_until == due > today
    # Still visited the day before the next due date; back in "to do" on it.
    assert "Peserta two_a" not in names(worklist(actor=facilitator, today=due - dt.timedelta(days=1)).rows)
    again = worklist(actor=facilitator, today=due)
    assert "Peserta two_a" in names(again.rows)
    back = next(r for r in again.rows if r.risk.full_name == "Peserta two_a")
    assert back.last_visit is not None and back.action == "broken_promise"  # the promise date has passed


def test_another_areas_person_is_not_found(personas, behind, today):
    with pytest.raises(NotFound):
        visit_record(actor=personas["facilitator_remu"], person=behind["far"], visited_on=today, outcome="paid")
    assert not Visit.objects.exists()


def test_the_page_pages_filters_and_records_a_visit(client, personas, register_person, enrol, bill, today,
                                                    django_assert_max_num_queries):
    for i in range(30):
        enrol(register_person(full_name=f"Orang {i:02d}", kelurahan=REMU), months_back=2 - i % 2)
    bill(2)
    client.force_login(personas["facilitator_remu"])
    with django_assert_max_num_queries(15):
        first = client.get("/kerja/")
    assert first.status_code == 200
    page1 = first.content.decode()
    page2 = client.get("/kerja/", {"page": "2"}).content.decode()
    assert "dari 30" in page1
    everyone = {f"Orang {i:02d}" for i in range(30)}
    shown1, shown2 = {n for n in everyone if n in page1}, {n for n in everyone if n in page2}
    assert len(shown1) == 25 and shown1 | shown2 == everyone and not shown1 & shown2
    # The fifteen two months behind lapse first: all on the first page; the second holds one-month ones.
    assert {n for n in everyone if int(n[-2:]) % 2 == 0} <= shown1 and all(int(n[-2:]) % 2 for n in shown2)
    one_month = client.get("/kerja/", {"bulan": "1"}).content.decode()
    assert "Orang 01" in one_month and "Orang 00" not in one_month
    assert client.get("/kerja/", {"bulan": "x"}).status_code == 400
    assert client.get("/kerja/", {"tab": "semua"}).status_code == 400
    assert client.get("/kerja/", {"wilayah": KLAWASI}).status_code == 200  # outside the area: ignored

    person = Person.objects.get(full_name="Orang 00")
    response = client.post(f"/orang/{person.pk}/kunjungan/", {
        "visited_on": today.isoformat(), "channel": "call", "outcome": "not_found", "note": "Tidak diangkat",
        "next": "/kerja/?bulan=2"})
    assert response.status_code == 302 and response["Location"] == "/kerja/?bulan=2"
    after = client.get("/kerja/", {"bulan": "2"}).content.decode()
    assert "Kunjungan ke Orang 00 dicatat." in after and f'id="p{person.pk}"' not in after
    visited = client.get("/kerja/", {"tab": "visited"}).content.decode()
    assert f'id="p{person.pk}"' in visited and "Tidak ditemui" in visited and "Tidak diangkat" in visited
    # An outside "next" is never followed.
    response = client.post(f"/orang/{person.pk}/kunjungan/", {
        "visited_on": today.isoformat(), "channel": "visit", "outcome": "paid", "next": "https://evil.example/"})
    assert response["Location"] == f"/orang/{person.pk}/"


def test_the_query_count_does_not_grow_with_visits(client, personas, register_person, enrol, bill, today,
                                                   django_assert_max_num_queries):
    people = [register_person(full_name=f"Orang {i:02d}") for i in range(12)]
    for person in people:
        enrol(person, months_back=2)
    bill(2)
    facilitator = personas["facilitator_remu"]
    for person in people[:6]:  # visited long ago (the last visit shows, but the person is to do)
        visit_record(actor=facilitator, person=person, visited_on=today - dt.timedelta(days=120), outcome="refused")
    for person in people[6:9]:
        visit_record(actor=facilitator, person=person, visited_on=today, outcome="not_found")
    client.force_login(facilitator)
    with django_assert_max_num_queries(15):
        page = client.get("/kerja/").content.decode()
    assert "Menolak" in page  # the old visit's outcome, fetched for the page in one query
    with django_assert_max_num_queries(15):
        assert client.get("/kerja/", {"tab": "visited"}).status_code == 200


def test_the_person_page_has_the_visit_panel(client, personas, behind, today):
    person = behind["two_b"]
    visit_record(actor=personas["facilitator_remu"], person=person, visited_on=today, outcome="moved",
                 note="Pindah ke Aimas")
    client.force_login(personas["operator_sorong"])
    page = client.get(f"/orang/{person.pk}/").content.decode()
    assert "Kunjungan dan telepon" in page and "Pindah ke Aimas" in page and "Maria Mobalen" in page
    assert f"/orang/{person.pk}/kunjungan/" in page
    client.force_login(personas["auditor"])
    page = client.get(f"/orang/{person.pk}/").content.decode()
    assert "Pindah ke Aimas" in page and f"/orang/{person.pk}/kunjungan/" not in page  # reads, never writes
    assert client.get(f"/orang/{person.pk}/kunjungan/").status_code == 403
    client.force_login(personas["facilitator_klawasi"])
    assert client.get(f"/orang/{person.pk}/kunjungan/").status_code == 404


def test_the_worklist_api(api_client_for, personas, behind, today):
    api = api_client_for("facilitator_remu")
    body = api.get("/api/v1/worklist/", {"page_size": "2"}).json()
    assert (body["count"], body["todo"], body["visited"], body["pages"]) == (3, 3, 0, 2)
    assert [r["full_name"] for r in body["results"]] == ["Peserta two_a", "Peserta two_b"]  # by lapse date, then id
    assert body["next"] and "page=2" in body["next"] and body["previous"] is None
    row = body["results"][0]
    assert row["months_behind"] == 2 and row["todo"] and row["next_action"] and row["last_visit"] is None
    assert api.get("/api/v1/worklist/", {"payer": "collective"}).json()["results"][0]["full_name"] == "Peserta city"
    assert api.get("/api/v1/worklist/", {"region": KLAWASI}).json()["count"] == 0
    assert api.get("/api/v1/worklist/", {"months": "13"}).status_code == 400
    assert api.get("/api/v1/worklist/", {"tab": "x"}).json()["error"]["code"] == "invalid_parameter"
