"""Recording a visit (issue 12 §3): what it answers, hostile input refused with the field named, the
offline outbox's retries recorded once (client_id and Idempotency-Key), the CLI, and a merge."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from jaring.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.core.money import add_months, month_start
from jaring.fieldwork.models import Visit
from jaring.fieldwork.services import move_fieldwork, visit_record
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db


def test_a_visit_answers_the_membership_and_its_oldest_unpaid_month(personas, behind, today):
    person = behind["two_a"]
    visit = visit_record(actor=personas["facilitator_remu"], person=person, visited_on=today, outcome="paid",
                         channel="call", note="Sudah bayar di kantor pos\nbukti difoto")
    assert visit.membership is not None and visit.membership.person_id == person.pk
    assert visit.period == add_months(month_start(today), -2)
    assert visit.note == "Sudah bayar di kantor pos\nbukti difoto"  # a line break is kept
    event = AuditEvent.objects.get(action="visit.record")
    assert event.actor == personas["facilitator_remu"] and event.after["outcome"] == "paid"
    assert event.region_code == person.kelurahan.code


@pytest.mark.parametrize(("field", "kwargs"), [
    ("note", {"note": "x" * 501}),
    ("note", {"note": "nol\x00byte"}),
    ("note", {"note": "lonceng\x07"}),
    ("visited_on", {"days": -1}),  # tomorrow
    ("visited_on", {"days": 400}),  # more than a year back
    ("outcome", {"outcome": "bribed"}),
    ("outcome", {"outcome": ""}),
    ("channel", {"channel": "pigeon"}),
    ("promised_on", {"outcome": "paid", "promised_on": 3}),  # a promise without "promised"
    ("promised_on", {"outcome": "promised", "promised_on": -2}),  # before the visit
    ("promised_on", {"outcome": "promised", "promised_on": 120}),  # too far ahead
    ("client_id", {"client_id": "not-a-uuid"}),
])
def test_hostile_input_is_refused_on_its_field(personas, behind, today, field, kwargs):
    values = {"outcome": "promised", "channel": "visit", "note": ""}
    days = kwargs.pop("days", 0)
    promise = kwargs.pop("promised_on", None)
    values.update(kwargs)
    with pytest.raises(ValidationFailed) as refused:
        visit_record(actor=personas["facilitator_remu"], person=behind["one"],
                     visited_on=today - dt.timedelta(days=days),
                     promised_on=today + dt.timedelta(days=promise) if promise is not None else None, **values)
    assert field in refused.value.fields
    assert not Visit.objects.exists()


def test_who_may_record(personas, behind, today):
    for username in ("auditor", "liaison"):
        with pytest.raises(PermissionDenied):
            visit_record(actor=personas[username], person=behind["one"], visited_on=today, outcome="paid")
    with pytest.raises(NotFound):  # another area's person: not found, never forbidden
        visit_record(actor=personas["facilitator_klawasi"], person=behind["one"], visited_on=today, outcome="paid")
    assert visit_record(actor=personas["operator_sorong"], person=behind["far"], visited_on=today, outcome="other")


def test_the_same_client_id_records_once(personas, behind, today):
    key = uuid.uuid4()
    first = visit_record(actor=personas["facilitator_remu"], person=behind["one"], visited_on=today, outcome="refused",
                         client_id=key)
    again = visit_record(actor=personas["facilitator_remu"], person=behind["one"], visited_on=today, outcome="refused",
                         client_id=str(key))
    assert again.pk == first.pk and Visit.objects.count() == 1
    with pytest.raises(Conflict):  # someone else's record under that id
        visit_record(actor=personas["operator_sorong"], person=behind["one"], visited_on=today, outcome="paid",
                     client_id=key)


def test_the_api_records_a_visit_once_per_idempotency_key(api_client_for, behind, today):
    api = api_client_for("facilitator_remu")
    key = str(uuid.uuid4())
    body = {"person": behind["two_b"].pk, "visited_on": today.isoformat(), "outcome": "promised",
            "promised_on": (today + dt.timedelta(days=5)).isoformat(), "channel": "message",
            "note": "WA: bayar Jumat", "client_id": key}
    first = api.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["outcome"], data["channel"], data["client_id"], data["by"]) == (
        "promised", "message", key, "facilitator_remu")
    replay = api.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.json() == data
    # The outbox lost the stored answer (another key) but kept its client_id: still one visit.
    assert api.post("/api/v1/visits/", body, format="json").json()["id"] == data["id"]
    assert Visit.objects.count() == 1
    by_nik = api.post("/api/v1/visits/", {"nik": behind["one"].nik, "visited_on": today.isoformat(),
                                          "outcome": "not_found"}, format="json")
    assert by_nik.status_code == 201 and by_nik.json()["person"] == behind["one"].pk


def test_the_api_refuses_in_its_error_shape(api_client_for, behind, today):
    api = api_client_for("facilitator_remu")
    far = api.post("/api/v1/visits/", {"person": behind["far"].pk, "visited_on": today.isoformat(),
                                       "outcome": "paid"}, format="json")
    assert far.status_code == 404 and far.json()["error"]["code"] == "not_found"
    long = api.post("/api/v1/visits/", {"person": behind["one"].pk, "visited_on": today.isoformat(),
                                        "outcome": "paid", "note": "x" * 501}, format="json")
    assert long.status_code == 400 and "note" in long.json()["error"]["fields"]
    future = api.post("/api/v1/visits/", {"person": behind["one"].pk, "outcome": "paid",
                                          "visited_on": (today + dt.timedelta(days=1)).isoformat()}, format="json")
    assert future.status_code == 400 and "visited_on" in future.json()["error"]["fields"]
    control = api.post("/api/v1/visits/", {"person": behind["one"].pk, "visited_on": today.isoformat(),
                                           "outcome": "paid", "note": "a\x1bb"}, format="json")
    assert control.status_code == 400
    assert api_client_for("auditor").post("/api/v1/visits/", {}, format="json").status_code == 403
    assert not Visit.objects.exists()


def test_the_cli_records_a_visit(capsys, personas, behind, today):
    nik = behind["one"].nik
    code, out, _err = jaring(capsys, "visit", "record", "--nik", nik, "--outcome", "promised", "--date",
                             today.isoformat(), "--promised-on", (today + dt.timedelta(days=2)).isoformat(),
                             "--as", "facilitator_remu", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["person"], data["outcome"], data["by"]) == (behind["one"].pk, "promised", "facilitator_remu")
    code, _out, err = jaring(capsys, "visit", "record", "--nik", behind["far"].nik, "--outcome", "paid",
                             "--as", "facilitator_remu")
    assert code == 4 and "error:" in err  # another area: not found
    code, _out, err = jaring(capsys, "visit", "record", "--nik", nik, "--outcome", "paid", "--date", "2026-13-01")
    assert code == 2 and "date" in err
    future = (today + dt.timedelta(days=3)).isoformat()
    code, _out, err = jaring(capsys, "visit", "record", "--nik", nik, "--outcome", "paid", "--date", future)
    assert code == 2 and "visited_on" in err


def test_a_merge_moves_the_visits(personas, behind, register_person, today):
    kept, other = behind["two_a"], register_person(full_name="Peserta two_a (ganda)")
    visit = visit_record(actor=personas["facilitator_remu"], person=other, visited_on=today, outcome="moved")
    move_fieldwork(actor=personas["operator_sorong"], kept=kept, other=other)
    visit.refresh_from_db()
    assert visit.person_id == kept.pk
    assert AuditEvent.objects.filter(action="fieldwork.move", object_id=str(kept.pk)).exists()
