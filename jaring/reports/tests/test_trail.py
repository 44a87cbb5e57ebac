"""The audit trail viewer (/jejak/): filters, keyset paging, the export, who sees what."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from conftest import PASSWORD, REMU
from jaring.core.models import AuditEvent
from jaring.core.testing import audit_events_insert
from jaring.core.trail import TrailFilters, decode_cursor, trail_page

T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


def insert(rows: list[dict[str, Any]]) -> None:
    audit_events_insert(rows, at=T0)


def login(client: Any, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)


@pytest.fixture
def events(personas: dict[str, Any]) -> None:
    insert([
        {"at": T0, "actor_label": "admin_sorong", "action": "person.update", "object_type": "registry.person",
         "object_id": "42", "region_code": REMU, "before": {"phone": "0812****01", "name": "Ana"},
         "after": {"phone": "0812****99", "name": "Ana"}, "channel": "web"},
        {"at": T0 + dt.timedelta(days=1), "actor_label": "operator_sorong", "action": "payment.record",
         "object_type": "contributions.payment", "object_id": "7", "region_code": "96.71.03.1002",
         "after": {"amount": 16800}, "channel": "api"},
        {"at": T0 + dt.timedelta(days=2), "actor_label": "facilitator_remu", "action": "person.register",
         "object_type": "registry.person", "object_id": "43", "region_code": REMU, "channel": "cli"},
    ])


def ids(page: Any) -> list[str]:
    return [e.object_id for e in page.events if e.object_type != "accounts.user"]


@pytest.mark.parametrize(("filters", "expected"), [
    (TrailFilters(actor="operator_sorong", object_type="contributions.payment"), ["7"]),
    (TrailFilters(action="person.update"), ["42"]),
    (TrailFilters(object_type="registry.person"), ["43", "42"]),
    (TrailFilters(object_type="registry.person", object_id="42"), ["42"]),
    (TrailFilters(area="96.71.01"), ["43", "42"]),
    (TrailFilters(area="96.71.03.1002"), ["7"]),
    (TrailFilters(area="96.7"), []),  # a prefix is a whole code, not its first characters
    (TrailFilters(date_from=dt.date(2026, 3, 11), date_to=dt.date(2026, 3, 11)), ["7"]),
    (TrailFilters(date_to=dt.date(2026, 3, 10)), ["42"]),
    (TrailFilters(channel="cli"), ["43"]),
])
def test_each_filter(events: None, filters: TrailFilters, expected: list[str]) -> None:
    assert ids(trail_page(filters, codes=None)) == expected


def test_area_scope_leaves_out_other_regions_and_region_less_events(events: None) -> None:
    page = trail_page(TrailFilters(), codes=["96.71.01"])
    assert [e.object_id for e in page.events] == ["43", "42"]


def test_cursor_pages_have_no_duplicates_or_gaps_with_equal_timestamps(personas: dict[str, Any]) -> None:
    insert([{"at": T0 + dt.timedelta(seconds=i // 4), "object_id": str(i)} for i in range(23)])
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = trail_page(TrailFilters(object_type="test.thing"), codes=None, cursor=cursor, size=5)
        seen += [e.object_id for e in page.events]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == 5
    assert sorted(seen, key=int) == [str(i) for i in range(23)] and len(set(seen)) == 23
    ats = list(AuditEvent.objects.filter(object_type="test.thing").order_by("-at", "-id")
               .values_list("object_id", flat=True))
    assert seen == ats


@pytest.mark.parametrize("raw", ["", "x", "_", "20260101T000000.000000_", "20260101T000000.000000_-1",
                                 "20269999T000000.000000_5", "20260101T000000.000000_99999999999999999999",
                                 "20260101T000000.000000_1' OR 1=1 --", "２０２６_１"])
def test_bad_cursors_mean_the_first_page(raw: str) -> None:
    assert decode_cursor(raw) is None


@pytest.mark.parametrize("username", ["admin_sorong", "auditor"])
def test_page_shows_events_with_before_after(client: Any, events: None, username: str) -> None:
    login(client, username)
    response = client.get(reverse("reports:trail"), {"object_type": "registry.person", "object_id": "42"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "person.update" in html and "<details" in html
    assert "<del>0812****01</del>" in html and "<ins>0812****99</ins>" in html
    assert "payment.record" not in html


def test_auditor_visit_is_recorded_admin_visit_is_not(client: Any, events: None) -> None:
    login(client, "auditor")
    client.get(reverse("reports:trail"), {"actor": "admin_sorong"})
    event = AuditEvent.objects.filter(action="audit.view").get()
    assert event.actor_label == "auditor" and (event.after or {})["query"] == {"actor": "admin_sorong"}
    client.logout()
    login(client, "admin_sorong")
    client.get(reverse("reports:trail"))
    assert AuditEvent.objects.filter(action="audit.view").count() == 1


@pytest.mark.parametrize("username", ["operator_sorong", "facilitator_remu", "liaison"])
def test_other_roles_are_refused(client: Any, events: None, username: str) -> None:
    login(client, username)
    assert client.get(reverse("reports:trail")).status_code == 403
    assert client.get(reverse("reports:trail_xlsx")).status_code == 403


def test_anonymous_goes_to_login(client: Any, events: None) -> None:
    assert client.get(reverse("reports:trail")).status_code == 302


def test_region_scoped_admin_sees_only_their_region(client: Any, events: None) -> None:
    from jaring.accounts.services import user_create

    user_create(actor=None, username="admin_remu", name="Admin Remu", role="admin", password=PASSWORD, areas=[REMU])
    login(client, "admin_remu")
    html = client.get(reverse("reports:trail")).content.decode()
    assert "person.update" in html and "person.register" in html
    assert "payment.record" not in html


def test_more_link_pages_through(client: Any, personas: dict[str, Any]) -> None:
    insert([{"at": T0 + dt.timedelta(minutes=i), "object_id": str(i)} for i in range(60)])
    login(client, "admin_sorong")
    first = client.get(reverse("reports:trail"), {"object_type": "test.thing"})
    assert first.context["more"]
    second = client.get(reverse("reports:trail") + "?" + first.context["more"])
    shown = [r["event"].object_id for r in first.context["rows"] + second.context["rows"]]
    assert shown == [str(i) for i in range(59, -1, -1)]
    assert not second.context["more"]


def test_export_is_xlsx_of_the_filtered_trail_and_audited(client: Any, events: None) -> None:
    from openpyxl import load_workbook

    login(client, "admin_sorong")
    response = client.get(reverse("reports:trail_xlsx"), {"object_type": "registry.person"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="jejak-audit-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["person.register", "person.update"]
    assert rows[2][4] == "42" and "phone: 0812****99" in rows[2][9]
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor_label == "admin_sorong"
    assert export.after == {"object_type": "registry.person", "format": "xlsx", "rows": 2}


@pytest.mark.parametrize("query", [
    {"date_from": "2026-13-45"}, {"date_to": "kemarin"}, {"date_from": "99999-01-01"},
    {"object_id": "9" * 500}, {"object_id": "1' OR '1'='1"}, {"actor": "x'; DROP TABLE core_auditevent; --"},
    {"area": "96.71%"}, {"channel": "smtp"}, {"action": "a\x00b"}, {"cursor": "9" * 500},
    {"cursor": "20260101T000000.000000_1 UNION SELECT 1"}, {"object_type": "<script>"},
])
def test_hostile_params_never_crash(client: Any, events: None, query: dict[str, str]) -> None:
    login(client, "auditor")
    assert client.get(reverse("reports:trail"), query).status_code in (200, 400)
    assert client.get(reverse("reports:trail_xlsx"), query).status_code in (200, 400)
    assert AuditEvent.objects.count() >= 3  # the table is still there


def test_person_page_links_to_its_trail(client: Any, register_person: Any) -> None:
    person = register_person()
    url = reverse("reports:trail") + f"?object_type=registry.person&amp;object_id={person.pk}"
    for username, shown in (("auditor", True), ("admin_sorong", True), ("operator_sorong", False)):
        client.logout()
        login(client, username)
        html = client.get(person.get_absolute_url()).content.decode()
        assert (url in html) is shown, username
    client.logout()
    login(client, "auditor")
    trail = client.get(reverse("reports:trail"), {"object_type": "registry.person", "object_id": str(person.pk)})
    assert any(r["event"].action.startswith("person") for r in trail.context["rows"])

