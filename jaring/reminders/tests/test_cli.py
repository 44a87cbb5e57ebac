"""``jaring reminders send|deliver|list``: the JSON shape, idempotency, hostile input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jaring.reminders import services
from jaring.reminders.models import ReminderMessage
from jaring.reminders.tests.conftest import pay
from jaring.testing import run_jaring

APRIL_10 = dt.date(2026, 4, 10)


@pytest.fixture
def april(personas, self_payer, bill, settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """One self-payer paid through March and one in arrears since January; today is 10 April 2026;
    the console sender writes under a temporary home."""
    settings.JARING_HOME = tmp_path
    monkeypatch.setattr(services, "today", lambda: APRIL_10)
    operator = personas["operator_sorong"]
    (_p, paid), _late = self_payer("Maria Kambu"), self_payer("Yohanes Kalami")
    bill(dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    pay(operator, paid, 3, paid_on=dt.date(2026, 3, 10))


def test_send_twice_json(capsys, april):
    code, out, err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10", "--json")
    assert (code, err) == (0, "")
    first = json.loads(out)
    assert first == {"due_soon": 2, "overdue": 1, "queued": 3,
                     "skipped": {"ended": 0, "deceased": 0, "paid": 0, "already_sent": 0, "opted_out": 0,
                                 "no_consent": 0, "no_phone": 0}}
    assert set(ReminderMessage.objects.values_list("status", flat=True)) == {"sent"}  # the console sender
    code, out, _err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10", "--json")
    second = json.loads(out)
    assert code == 0 and second["queued"] == 0 and second["skipped"]["already_sent"] == 3
    code, out, _err = run_jaring(capsys, "reminders", "list", "--status", "sent", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["count"] == 3
    assert {row["kind"] for row in listed["results"]} == {"due_soon", "overdue"}
    assert all(row["to"] == "6281234567890" and "Yth." in row["body"] for row in listed["results"])


def test_dry_run_and_queue_only(capsys, april):
    code, out, _err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["queued"] == 3 and not ReminderMessage.objects.exists()
    code, out, _err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10", "--queue-only")
    assert code == 0 and "queued=3" in out
    assert set(ReminderMessage.objects.values_list("status", flat=True)) == {"queued"}
    code, out, _err = run_jaring(capsys, "reminders", "deliver", "--limit", "2", "--json")
    assert code == 0 and json.loads(out) == {"sent": 2, "failed": 0, "stale": 0}
    code, out, _err = run_jaring(capsys, "reminders", "list", "--status", "queued")
    assert code == 0 and out.strip().endswith("1 of 1")


def test_the_underscore_commands_work_too(capsys, april):
    code, out, _err = run_jaring(capsys, "reminders_send", "--as-of", "2026-04-10", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["queued"] == 3


@pytest.mark.parametrize("argv", [
    ["reminders", "send", "--as-of", "2026-13-01", "--json"],
    ["reminders", "send", "--as-of", "10/04/2026"],
    ["reminders", "send", "--as-of", "2026-04-10\x00"],
    ["reminders", "send", "--as-of", "９９９９-01-01"],
    ["reminders", "send", "--as-of", "2026-04-11", "--json"],  # tomorrow: refused for a real run
    ["reminders", "send", "--as-of", "2026-03-01"],  # stale
    ["reminders", "send", "--as-of", "9999-12-31", "--dry-run"],
    ["reminders", "send", "--as-of", "0001-01-01", "--dry-run"],
    ["reminders", "launch"],
    ["reminders", "deliver", "--limit", "abc"],
    ["reminders", "deliver", "--limit", "0"],
    ["reminders", "deliver", "--limit", "9" * 40],
    ["reminders", "list", "--limit", "-1"],
])
def test_hostile_input_is_refused(capsys, april, argv):
    code, out, err = run_jaring(capsys, *argv)
    assert code == 2 and err.startswith("error:")
    if "--json" in argv:
        assert json.loads(out)["error"]["code"] in ("invalid", "as_of_future")
    assert not ReminderMessage.objects.exists()


def test_only_the_office_sends(capsys, april):
    code, _out, err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10", "--as", "facilitator_remu")
    assert code == 5 and err.startswith("error:")
    code, _out, _err = run_jaring(capsys, "reminders", "list", "--as", "facilitator_remu")
    assert code == 5


def test_a_misconfigured_gateway_queues_nothing(capsys, april, settings):
    settings.JARING_REMINDER_SENDER = "sms_http"
    settings.JARING_REMINDER_SMS_URL = ""
    code, _out, err = run_jaring(capsys, "reminders", "send", "--as-of", "2026-04-10")
    assert code == 2 and "JARING_REMINDER_SMS_URL" in err
    assert not ReminderMessage.objects.exists()


def test_the_job_queues_and_delivers(personas, april, django_capture_on_commit_callbacks):
    from jaring.core.models import Job
    from jaring.reminders.services import reminders_send_queue

    with django_capture_on_commit_callbacks(execute=True):
        job = reminders_send_queue(actor=personas["operator_sorong"], as_of=APRIL_10)
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.SUCCEEDED and job.kind == "reminders.send"
    assert job.result["queued"] == 3 and job.result["delivery"] == {"sent": 3, "failed": 0, "stale": 0}
