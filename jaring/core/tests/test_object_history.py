"""An object's history for its page (jaring.core.trail.object_history): newest first, bounded, one
query on the object index, page reads left out, identifiers never in clear."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from jaring.core.testing import audit_events_insert
from jaring.core.trail import HISTORY_ALL, HISTORY_SIZE, history_for, masked, object_history

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


def insert(rows: list[dict[str, Any]]) -> None:
    audit_events_insert(rows, at=T0, actor_label="operator_sorong", action="person.update",
                        object_type="registry.person")


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def test_newest_first_with_readable_action_and_changed_fields_only() -> None:
    insert([
        {"at": minutes(0), "action": "person.register", "after": {"full_name": "Ana", "phone": None}},
        {"at": minutes(5), "action": "person.update", "actor_label": "admin_sorong", "channel": "api",
         "before": {"phone": "0812", "full_name": "Ana"}, "after": {"phone": "0813", "full_name": "Ana"}},
        {"at": minutes(9), "object_id": "2", "action": "person.update"},  # another person
        {"at": minutes(9), "object_type": "registry.household", "action": "household.update"},  # another kind
    ])
    history = object_history("registry.person", [1])
    assert [r.event.action for r in history.rows] == ["person.update", "person.register"]
    assert not history.more and history.object_id == "1"
    update, register = history.rows
    assert update.label == "Data diubah" and update.event.actor_label == "admin_sorong"
    assert update.changes == [("Nomor HP", "0812", "0813")]  # the unchanged name is left out
    assert register.label == "Didaftarkan"
    assert register.changes == [("Nama lengkap", "", "Ana")]  # a field with no value either side is left out


def test_equal_timestamps_order_by_id_and_an_unknown_action_shows_its_code() -> None:
    insert([{"action": f"test.step{i}", "at": T0} for i in range(3)])
    history = object_history("registry.person", ["1"])
    assert [r.label for r in history.rows] == ["test.step2", "test.step1", "test.step0"]


def test_limit_and_more() -> None:
    insert([{"at": minutes(i), "action": f"test.n{i}"} for i in range(HISTORY_SIZE + 1)])
    history = object_history("registry.person", [1])
    assert len(history.rows) == HISTORY_SIZE and history.more
    assert history.rows[0].event.action == f"test.n{HISTORY_SIZE}"  # the oldest is the one left out
    assert history.rows[-1].event.action == "test.n1"
    exact = object_history("registry.person", [1], limit=HISTORY_SIZE + 1)
    assert len(exact.rows) == HISTORY_SIZE + 1 and not exact.more


def test_several_objects_in_one_query() -> None:
    insert([{"at": minutes(1), "object_type": "membership.membership", "object_id": "7", "action": "membership.enrol"},
            {"at": minutes(2), "object_type": "membership.membership", "object_id": "8", "action": "membership.end"},
            {"at": minutes(3), "object_type": "membership.membership", "object_id": "9", "action": "membership.end"}])
    with CaptureQueriesContext(connection) as queries:
        history = object_history("membership.membership", [8, 7, 8])
    assert len(queries) == 1
    assert [(r.event.object_id, r.label) for r in history.rows] == [("8", "Kepesertaan diakhiri"),
                                                                     ("7", "Didaftarkan sebagai peserta")]
    assert history.object_id == "8"  # the first one asked for: the audit trail link


def test_page_reads_are_not_changes_but_audited_actions_are() -> None:
    insert([
        {"at": minutes(1), "action": "person.view", "after": {"path": "/orang/1/", "query": {}}},
        {"at": minutes(2), "action": "person.reveal_nik", "after": {"reason": "Cek KTP"}},
        {"at": minutes(3), "action": "test.bare"},  # neither before nor after
        {"at": minutes(4), "action": "test.path_changed", "before": {"path": "a"}, "after": {"path": "b", "query": 1}},
    ])
    assert [r.event.action for r in object_history("registry.person", [1]).rows] == [
        "test.path_changed", "test.bare", "person.reveal_nik"]


def test_an_identifier_in_clear_is_shown_masked() -> None:
    insert([{"action": "test.leak", "actor_label": "9271014501900001",
             "before": {"nik": "9271014501900001", "note": "KK 9271010203150007 lama"},
             "after": {"nik": "9271********0002", "note": "", "flag": True}}])
    row = object_history("registry.person", [1]).rows[0]
    shown = json.dumps(row.changes)
    assert "9271014501900001" not in shown and "9271010203150007" not in shown
    assert ("NIK", "9271********0001", "9271********0002") in row.changes
    assert ("note", "KK 9271********0007 lama", "") in row.changes
    assert ("flag", "", "Ya") in row.changes
    assert masked("x" * 1000).endswith("…") and len(masked("x" * 1000)) == 300
    assert masked("081234567890") == "081234567890"  # a phone number is not an identifier


def test_no_object_and_no_capability_cost_no_query() -> None:
    request = RequestFactory().get("/orang/1/")
    with CaptureQueriesContext(connection) as queries:
        assert history_for(request, "registry.person", [1], allowed=False) is None
        empty = object_history("membership.membership", [])
    assert len(queries) == 0 and empty.rows == [] and not empty.more


def test_the_longer_list_on_request() -> None:
    insert([{"at": minutes(i), "action": f"test.n{i}"} for i in range(HISTORY_SIZE + 2)])
    short = history_for(RequestFactory().get("/orang/1/"), "registry.person", [1], allowed=True)
    assert short is not None and len(short.rows) == HISTORY_SIZE and short.more and not short.expanded
    full = history_for(RequestFactory().get("/orang/1/", {"riwayat": "semua"}), "registry.person", [1], allowed=True)
    assert full is not None and len(full.rows) == HISTORY_SIZE + 2 and not full.more and full.expanded
    assert HISTORY_ALL > HISTORY_SIZE
    odd = history_for(RequestFactory().get("/orang/1/", {"riwayat": "x" * 5000}), "registry.person", [1], allowed=True)
    assert odd is not None and len(odd.rows) == HISTORY_SIZE

