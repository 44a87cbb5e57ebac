"""The senders against a local fake gateway (success, 4xx, 500, timeout) and the outbox's
delivery: outcomes recorded with attempts and reasons, retries, stale messages skipped."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jaring.core.errors import ValidationFailed
from jaring.core.models import AuditEvent
from jaring.reminders.models import ReminderMessage
from jaring.reminders.senders import (
    ConsoleSender,
    OutgoingMessage,
    SmsHttpSender,
    WhatsAppCloudSender,
    make_sender,
)
from jaring.reminders.services import reminders_deliver, reminders_send
from jaring.reminders.tests.conftest import pay
from jaring.reminders.tests.fake_gateway import FakeGateway, Reply

APRIL_10 = dt.date(2026, 4, 10)
MESSAGE = OutgoingMessage(id=7, kind="due_soon", channel="sms", to="6281234567890", body="Yth. Maria, …",
                          params={"name": "Maria", "month": "April 2026", "amount": "Rp8.400", "date": "15/04/2026",
                                  "kpj": "26010000001"})


@pytest.fixture
def gateway():  # type: ignore[no-untyped-def]
    fake = FakeGateway().start()
    yield fake
    fake.stop()


@pytest.fixture
def sms_settings(settings, gateway):  # type: ignore[no-untyped-def]
    settings.JARING_REMINDER_SENDER = "sms_http"
    settings.JARING_REMINDER_SMS_URL = gateway.url + "/send"
    settings.JARING_REMINDER_SMS_TOKEN = "sms-token"
    settings.JARING_REMINDER_TIMEOUT = 1
    return settings


def sms(gateway: FakeGateway) -> SmsHttpSender:
    return SmsHttpSender(url=gateway.url + "/send", token="sms-token", sender="DINSOS", timeout=1)


def whatsapp(gateway: FakeGateway) -> WhatsAppCloudSender:
    return WhatsAppCloudSender(base_url=gateway.url, version="v21.0", phone_number_id="1234567890",
                               token="wa-token", templates={"due_soon": "iuran_jatuh_tempo",
                                                            "overdue": "iuran_tertunggak"}, timeout=1)


def test_sms_gateway_success(gateway):
    gateway.reply = Reply(200, {"data": {"message_id": "abc-123"}})
    result = sms(gateway).send(MESSAGE)
    assert result.ok and result.provider_id == "abc-123"
    request = gateway.requests[0]
    assert request["path"] == "/send" and request["headers"]["Authorization"] == "Bearer sms-token"
    assert request["json"] == {"to": "6281234567890", "message": MESSAGE.body, "reference": "7", "from": "DINSOS"}


@pytest.mark.parametrize(("reply", "retryable", "error"), [
    (Reply(500, {"error": "down"}), True, "sms: HTTP 500"),
    (Reply(503, b"<html>maintenance</html>"), True, "sms: HTTP 503: <html>maintenance</html>"),
    (Reply(429, {}), True, "sms: HTTP 429"),
    (Reply(400, {"error": "bad number"}), False, "sms: HTTP 400"),
    (Reply(200, {}, delay=2.5), True, "sms: timeout"),
])
def test_sms_gateway_failures_never_raise(gateway, reply, retryable, error):
    gateway.reply = reply
    result = sms(gateway).send(MESSAGE)
    assert not result.ok and result.retryable is retryable and result.error.startswith(error)
    assert "sms-token" not in result.error


def test_sms_gateway_unreachable():
    closed = FakeGateway().start()
    url = closed.url
    closed.stop()
    result = SmsHttpSender(url=url, token="t", timeout=1).send(MESSAGE)
    assert not result.ok and result.retryable and result.error.startswith("sms: ")


def test_whatsapp_cloud_template_message(gateway):
    gateway.reply = Reply(200, {"messaging_product": "whatsapp", "contacts": [{"input": "6281234567890",
                                                                                "wa_id": "6281234567890"}],
                                "messages": [{"id": "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjA="}]})
    result = whatsapp(gateway).send(MESSAGE)
    assert result.ok and result.provider_id == "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjA="
    request = gateway.requests[0]
    assert request["path"] == "/v21.0/1234567890/messages"
    assert request["headers"]["Authorization"] == "Bearer wa-token"
    assert request["json"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890", "type": "template",
        "template": {"name": "iuran_jatuh_tempo", "language": {"code": "id"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": t} for t in
                                            ("Maria", "April 2026", "Rp8.400", "15/04/2026", "26010000001")]}]}}


@pytest.mark.parametrize(("reply", "retryable", "error"), [
    (Reply(400, {"error": {"message": "Message undeliverable", "type": "OAuthException", "code": 131026}}), False,
     "whatsapp: HTTP 400: (131026) Message undeliverable"),
    (Reply(500, {"error": {"message": "Service temporarily unavailable", "code": 131000}}), True,
     "whatsapp: HTTP 500: (131000) Service temporarily unavailable"),
    (Reply(200, {"messaging_product": "whatsapp"}), True, "whatsapp: HTTP 200 without a message id"),
    (Reply(200, b"not json"), True, "whatsapp: HTTP 200 without a message id"),
    (Reply(200, {}, delay=2.5), True, "whatsapp: timeout"),
])
def test_whatsapp_cloud_failures(gateway, reply, retryable, error):
    gateway.reply = reply
    result = whatsapp(gateway).send(MESSAGE)
    assert not result.ok and result.retryable is retryable and result.error.startswith(error)


@pytest.mark.parametrize(("name", "values"), [
    ("sms_http", {"JARING_REMINDER_SMS_URL": "", "JARING_REMINDER_SMS_TOKEN": "t"}),
    ("sms_http", {"JARING_REMINDER_SMS_URL": "file:///etc/passwd", "JARING_REMINDER_SMS_TOKEN": "t"}),
    ("sms_http", {"JARING_REMINDER_SMS_URL": "https://sms.example/api", "JARING_REMINDER_SMS_TOKEN": ""}),
    ("whatsapp_cloud", {"JARING_REMINDER_WHATSAPP_PHONE_ID": "", "JARING_REMINDER_WHATSAPP_TOKEN": "t"}),
    ("whatsapp_cloud", {"JARING_REMINDER_WHATSAPP_PHONE_ID": "12/../x", "JARING_REMINDER_WHATSAPP_TOKEN": "t"}),
    ("pigeon", {}),
    ("os.system", {}),
])
def test_misconfigured_senders_are_refused(settings, name, values):
    for key, value in values.items():
        setattr(settings, key, value)
    with pytest.raises(ValidationFailed):
        make_sender(name)


def test_console_sender_writes_a_line_per_message(settings, tmp_path):
    settings.JARING_HOME = tmp_path
    result = ConsoleSender().send(MESSAGE)
    assert result.ok and result.provider_id == "console-7"
    [outbox] = (tmp_path / "reminders").iterdir()
    assert json.loads(outbox.read_text(encoding="utf-8"))["body"] == MESSAGE.body


@pytest.fixture
def queued(personas, self_payer, bill):  # type: ignore[no-untyped-def]
    """Two self-payers paid through March, each with a five-day reminder for April queued."""
    operator = personas["operator_sorong"]
    members = [self_payer(f"Pekerja {i}") for i in range(2)]
    bill(dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    for _person, membership in members:
        pay(operator, membership, 3, paid_on=dt.date(2026, 3, 10))
    assert reminders_send(actor=operator, as_of=APRIL_10, on=APRIL_10).queued == 2
    return members


def test_console_delivery_marks_sent(personas, queued, settings, tmp_path):
    settings.JARING_HOME = tmp_path
    summary = reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10)
    assert summary.as_dict() == {"sent": 2, "failed": 0, "stale": 0}
    for message in ReminderMessage.objects.all():
        assert (message.status, message.attempts, message.claim) == ("sent", 1, "")
        assert message.sent_at is not None and message.provider_id == f"console-{message.pk}"
    lines = next((tmp_path / "reminders").iterdir()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert AuditEvent.objects.filter(action="reminder.deliver").count() == 2
    assert reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10).sent == 0  # nothing twice


def test_failures_are_recorded_and_retried_up_to_the_limit(personas, queued, sms_settings, gateway):
    operator = personas["operator_sorong"]
    gateway.reply = Reply(500, {"error": "down"})
    sms_settings.JARING_REMINDER_MAX_ATTEMPTS = 2
    assert reminders_deliver(actor=operator, on=APRIL_10).as_dict() == {"sent": 0, "failed": 2, "stale": 0}
    message = ReminderMessage.objects.order_by("id").first()
    assert (message.status, message.attempts, message.retryable) == ("failed", 1, True)
    assert message.last_error.startswith("sms: HTTP 500")
    gateway.replies = [Reply(200, {"id": "ok-1"})]  # the first succeeds, the second fails again
    assert reminders_deliver(actor=operator, on=APRIL_10).as_dict() == {"sent": 1, "failed": 1, "stale": 0}
    statuses = list(ReminderMessage.objects.order_by("id").values_list("status", "attempts", "provider_id"))
    assert statuses == [("sent", 2, "ok-1"), ("failed", 2, "")]
    assert reminders_deliver(actor=operator, on=APRIL_10).as_dict() == {"sent": 0, "failed": 0, "stale": 0}
    assert len(gateway.requests) == 4


def test_a_refused_message_is_not_tried_again(personas, queued, sms_settings, gateway):
    gateway.reply = Reply(400, {"error": "invalid destination"})
    assert reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10).failed == 2
    assert set(ReminderMessage.objects.values_list("retryable", flat=True)) == {False}
    gateway.reply = Reply(200, {"id": "x"})
    assert reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10).sent == 0


def test_timeouts_do_not_stop_the_batch(personas, queued, sms_settings, gateway):
    gateway.replies = [Reply(200, {}, delay=2.5), Reply(200, {"id": "second"})]
    summary = reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10)
    assert (summary.sent, summary.failed) == (1, 1)
    assert ReminderMessage.objects.get(status="failed").last_error == "sms: timeout"


class ExplodingSender:
    name = "exploding"

    def send(self, message):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in a sender")


def test_a_sender_bug_is_recorded_not_raised(personas, queued, settings):
    settings.JARING_REMINDER_SENDER = "jaring.reminders.tests.test_delivery.ExplodingSender"
    assert reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10).failed == 2
    assert ReminderMessage.objects.first().last_error == "exploding: RuntimeError: bug in a sender"


def test_messages_that_no_longer_say_the_truth_are_skipped(personas, queued, settings, tmp_path):
    settings.JARING_HOME = tmp_path
    operator = personas["operator_sorong"]
    (_person, paid_since), _other = queued
    pay(operator, paid_since, 1, paid_on=dt.date(2026, 4, 11))  # April paid before the message went
    summary = reminders_deliver(actor=operator, on=dt.date(2026, 4, 11))
    assert summary.as_dict() == {"sent": 1, "failed": 0, "stale": 1}
    skipped = ReminderMessage.objects.get(status="skipped")
    assert skipped.membership == paid_since and skipped.last_error == "stale" and skipped.attempts == 0


def test_a_reminder_not_sent_before_its_due_date_is_skipped(personas, queued, settings, tmp_path):
    settings.JARING_HOME = tmp_path
    summary = reminders_deliver(actor=personas["operator_sorong"], on=dt.date(2026, 4, 16))
    assert summary.as_dict() == {"sent": 0, "failed": 0, "stale": 2}
    assert AuditEvent.objects.filter(action="reminder.skip").count() == 2


def test_deliver_limit(personas, queued, settings, tmp_path):
    settings.JARING_HOME = tmp_path
    assert reminders_deliver(actor=personas["operator_sorong"], on=APRIL_10, limit=1).sent == 1
    assert ReminderMessage.objects.filter(status="queued").count() == 1
