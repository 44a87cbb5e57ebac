"""Who carries a reminder to the phone (decision 0038). A sender takes one message and answers
with a ``SendResult``; it never raises for a delivery problem (a refusal, a timeout, a broken
answer) and never writes to the database — ``reminders.services`` records the outcome.

Backends, chosen by ``JARING_REMINDER_SENDER`` (``conf``; per channel by
``JARING_REMINDER_SENDER_SMS`` / ``_WHATSAPP``):

- ``console`` (default): one JSON line per message in ``$JARING_HOME/reminders/outbox-YYYY-MM-DD.jsonl``
  — for a pilot, a demo, or an office that sends the texts by hand;
- ``sms_http``: a generic HTTP SMS gateway: ``POST`` JSON ``{"to", "message", "from", "reference"}``
  with a bearer token to ``JARING_REMINDER_SMS_URL``;
- ``whatsapp_cloud``: the WhatsApp Business Cloud API, ``POST {base}/{version}/{phone_number_id}/messages``
  with a bearer token and an approved template message (business-initiated WhatsApp messages must
  be templates, and only to persons who agreed to them);
- or the dotted path of a class with the same ``send`` method.

The HTTP backends use the standard library (``urllib``), only ``http``/``https`` URLs, a timeout,
and a base URL from the settings, so the tests point them at a local fake server.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed
from jaring.reminders.conf import int_setting, setting

MAX_ERROR = 500
MAX_ANSWER_BYTES = 64 * 1024
# The order of a WhatsApp template's body parameters ({{1}}, {{2}}…) for each kind (decision 0038).
TEMPLATE_PARAMS = {
    "due_soon": ("name", "month", "amount", "date", "kpj"),
    "overdue": ("name", "months", "oldest", "owed", "pay_by", "kpj"),
}


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    kind: str  # due_soon | overdue
    channel: str  # sms | whatsapp
    to: str  # 62…, no "+"
    body: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = True  # False: the gateway refused the message itself (4xx); trying again will not help

    @classmethod
    def failed(cls, error: str, *, retryable: bool = True) -> SendResult:
        return cls(ok=False, error=error[:MAX_ERROR], retryable=retryable)


class Sender(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> SendResult: ...


class ConsoleSender:
    """Writes each message as a JSON line to a file under ``$JARING_HOME/reminders`` (owner-only)."""

    name = "console"

    def __init__(self, folder: Path | None = None):
        self.folder = folder or Path(settings.JARING_HOME) / "reminders"

    def send(self, message: OutgoingMessage) -> SendResult:
        now = timezone.now()
        line = json.dumps({"id": message.id, "at": now.isoformat(), "kind": message.kind,
                           "channel": message.channel, "to": message.to, "body": message.body}, ensure_ascii=False)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.folder / f"outbox-{timezone.localdate(now).isoformat()}.jsonl"
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as exc:
            return SendResult.failed(f"console: {exc.strerror or exc}")
        return SendResult(ok=True, provider_id=f"console-{message.id}")


def _checked_url(url: str, setting_name: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed(_("Pengaturan %(name)s harus alamat http(s) yang lengkap.") % {"name": setting_name},
                               fields={setting_name: [url]}, code="bad_setting")
    return url


def _required(value: str, setting_name: str) -> str:
    if not value:
        raise ValidationFailed(_("Pengaturan %(name)s belum diisi.") % {"name": setting_name},
                               fields={setting_name: []}, code="bad_setting")
    return value


def post_json(url: str, payload: dict[str, Any], *, token: str, timeout: float) -> tuple[int, Any, str]:
    """POST ``payload`` as JSON with a bearer token. Returns (HTTP status, parsed JSON answer or
    None, the answer's text); raises ``OSError`` (timeouts and connection errors included) when
    there is no answer at all."""
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked when the sender is made
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": f"Bearer {token}", "User-Agent": "Jaring-reminders/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            status, raw = answer.status, answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, (exc.read(MAX_ANSWER_BYTES) if exc.fp is not None else b"")
        exc.close()
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    return status, data, text


def _http_outcome(label: str, call: Any) -> SendResult | tuple[int, Any, str]:
    """Run ``call``; a transport problem becomes a retryable failure naming ``label``."""
    try:
        return call()  # type: ignore[no-any-return]
    except TimeoutError:
        return SendResult.failed(f"{label}: timeout")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return SendResult.failed(f"{label}: timeout")
        return SendResult.failed(f"{label}: {reason}")
    except (OSError, ValueError) as exc:
        return SendResult.failed(f"{label}: {exc}")


def _refused(label: str, status: int, text: str, detail: str = "") -> SendResult:
    # 408 and 429 and the 5xx are the gateway's trouble: try again later. Other 4xx: the message itself.
    retryable = status >= 500 or status in (408, 429)
    return SendResult.failed(f"{label}: HTTP {status}: {(detail or text).strip()[:300]}", retryable=retryable)


class SmsHttpSender:
    """A generic HTTP SMS gateway: ``POST`` JSON ``{"to", "message", "from", "reference"}``, a bearer
    token; any 2xx is accepted, and the message id is read from ``id``, ``message_id`` or
    ``messageId`` of the answer (or of its ``data``) when there is one."""

    name = "sms_http"

    def __init__(self, *, url: str, token: str, sender: str = "", timeout: float = 10):
        self.url = _checked_url(url, "JARING_REMINDER_SMS_URL")
        self.token = _required(token, "JARING_REMINDER_SMS_TOKEN")
        self.sender = sender
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> SendResult:
        payload = {"to": message.to, "message": message.body, "reference": str(message.id),
                   **({"from": self.sender} if self.sender else {})}
        outcome = _http_outcome("sms", lambda: post_json(self.url, payload, token=self.token, timeout=self.timeout))
        if isinstance(outcome, SendResult):
            return outcome
        status, data, text = outcome
        if not 200 <= status < 300:
            return _refused("sms", status, text)
        return SendResult(ok=True, provider_id=_first_id(data))


def _first_id(data: Any) -> str:
    for holder in (data, data.get("data") if isinstance(data, dict) else None):
        if isinstance(holder, dict):
            for key in ("id", "message_id", "messageId"):
                if holder.get(key) not in (None, ""):
                    return str(holder[key])[:200]
    return ""


class WhatsAppCloudSender:
    """The WhatsApp Business Cloud API: a template message (``type: template``, the template's
    name and language, the body parameters in ``TEMPLATE_PARAMS`` order). Success is a 2xx
    answer with ``messages[0].id`` (``wamid.…``); an error answer ``{"error": {"message", "code"}}``
    is kept as the reason."""

    name = "whatsapp_cloud"

    def __init__(self, *, base_url: str, version: str, phone_number_id: str, token: str,
                 templates: dict[str, str], language: str = "id", timeout: float = 10):
        base = _checked_url(base_url, "JARING_REMINDER_WHATSAPP_URL").rstrip("/")
        phone_id = _required(phone_number_id, "JARING_REMINDER_WHATSAPP_PHONE_ID")
        if not phone_id.isascii() or not phone_id.isdigit():
            name = "JARING_REMINDER_WHATSAPP_PHONE_ID"
            raise ValidationFailed(_("Pengaturan %(name)s harus angka.") % {"name": name},
                                   fields={name: [phone_id]}, code="bad_setting")
        self.url = f"{base}/{version.strip('/')}/{phone_id}/messages"
        self.token = _required(token, "JARING_REMINDER_WHATSAPP_TOKEN")
        self.templates = templates
        self.language = language
        self.timeout = timeout

    def payload(self, message: OutgoingMessage) -> dict[str, Any]:
        values = [str(message.params.get(key, "")) or "-" for key in TEMPLATE_PARAMS[message.kind]]
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to,
                "type": "template",
                "template": {"name": self.templates[message.kind], "language": {"code": self.language},
                             "components": [{"type": "body",
                                             "parameters": [{"type": "text", "text": v} for v in values]}]}}

    def send(self, message: OutgoingMessage) -> SendResult:
        payload = self.payload(message)
        outcome = _http_outcome("whatsapp", lambda: post_json(self.url, payload, token=self.token,
                                                              timeout=self.timeout))
        if isinstance(outcome, SendResult):
            return outcome
        status, data, text = outcome
        if not 200 <= status < 300:
            error = data.get("error") if isinstance(data, dict) else None
            detail = (f"({error.get('code')}) {error.get('message', '')}" if isinstance(error, dict) else "")
            return _refused("whatsapp", status, text, detail)
        messages = data.get("messages") if isinstance(data, dict) else None
        if not (isinstance(messages, list) and messages and isinstance(messages[0], dict) and messages[0].get("id")):
            return SendResult.failed(f"whatsapp: HTTP {status} without a message id: {text.strip()[:300]}")
        return SendResult(ok=True, provider_id=str(messages[0]["id"])[:200])


def make_sender(name: str) -> Sender:
    """The sender called ``name``, configured from the settings (``conf``). A missing or malformed
    setting is a ``ValidationFailed`` naming it, raised before anything is sent."""
    timeout = int_setting("JARING_REMINDER_TIMEOUT", minimum=1)
    if name == "console":
        return ConsoleSender()
    if name == "sms_http":
        return SmsHttpSender(url=str(setting("JARING_REMINDER_SMS_URL")),
                             token=str(setting("JARING_REMINDER_SMS_TOKEN")),
                             sender=str(setting("JARING_REMINDER_SMS_FROM")), timeout=timeout)
    if name == "whatsapp_cloud":
        return WhatsAppCloudSender(
            base_url=str(setting("JARING_REMINDER_WHATSAPP_URL")),
            version=str(setting("JARING_REMINDER_WHATSAPP_VERSION")),
            phone_number_id=str(setting("JARING_REMINDER_WHATSAPP_PHONE_ID")),
            token=str(setting("JARING_REMINDER_WHATSAPP_TOKEN")),
            templates={"due_soon": str(setting("JARING_REMINDER_WHATSAPP_TEMPLATE_DUE_SOON")),
                       "overdue": str(setting("JARING_REMINDER_WHATSAPP_TEMPLATE_OVERDUE"))},
            language=str(setting("JARING_REMINDER_WHATSAPP_LANGUAGE")), timeout=timeout)
    if "." in name:
        try:
            found = import_string(name)
        except ImportError:
            found = None
        # A class of the deployment's own (from the settings, never from a request) with a send method.
        if isinstance(found, type) and callable(getattr(found, "send", None)):
            return found()  # type: ignore[no-any-return]
    raise ValidationFailed(_("Pengirim pengingat tidak dikenal: %(name)s.") % {"name": name},
                           fields={"JARING_REMINDER_SENDER": [name]}, code="bad_setting")


def sender_for(channel: str) -> Sender:
    """The sender of a channel's messages: ``JARING_REMINDER_SENDER_<CHANNEL>``, else ``JARING_REMINDER_SENDER``."""
    name = str(setting(f"JARING_REMINDER_SENDER_{channel.upper()}") or setting("JARING_REMINDER_SENDER"))
    return make_sender(name.strip())
