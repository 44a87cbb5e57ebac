"""Checking a NIK with Dukcapil (decision 0041). BPJSTK refuses a registration whose NIK Dukcapil
does not know, so the office wants to know which NIKs were confirmed before it sends the file.

A verifier takes one NIK with the name and birth date on record and answers with a
``VerificationResult``: ``verified``, ``not_found``, ``mismatch`` (Dukcapil knows the NIK but not
with this name or birth date) or ``error`` (no usable answer: a refusal, a timeout, a broken
answer). It never raises for such a problem and never writes to the database:
``registry.services.person_verify_nik`` / ``persons_verify_nik`` record the outcome (an ``error``
leaves the person's state as it was). The NIK is never put in an answer's ``detail``.

Backends, chosen by ``JARING_NIK_VERIFIER`` (Django settings, else the environment):

- ``none`` (default): nothing is verified; every person stays "belum diverifikasi" and the
  services refuse to run (``not_configured``);
- ``dukcapil_http``: a generic HTTP JSON adapter, for when the city gets access through a
  cooperation agreement (*perjanjian kerja sama*) with Dukcapil. **[UNVERIFIED]** Dukcapil's API
  is not public: the request and answer shapes below are a guess to be replaced by the agreement's
  technical documentation, and every key and word is configurable (``JARING_DUKCAPIL_MAPPING``,
  a JSON object overriding ``DEFAULT_MAPPING``). By default it sends ``POST`` JSON
  ``{"nik", "nama_lengkap", "tanggal_lahir": "dd-mm-yyyy", "client_id"}`` with a bearer token and
  an ``X-Client-Id`` header to ``JARING_DUKCAPIL_URL``, and reads the answer's ``status``
  (``verified``/``sesuai``…, ``not_found``/``tidak ditemukan``…, ``mismatch``/``tidak sesuai``…)
  and ``message``; an HTTP 404 is ``not_found``;
- or the dotted path of a class of the deployment's own with the same ``verify`` method.

=============================== ==================================================== ==========
``JARING_NIK_VERIFIER``         ``none``, ``dukcapil_http`` or a dotted class path    ``none``
``JARING_DUKCAPIL_URL``         the verification endpoint (http/https)
``JARING_DUKCAPIL_CLIENT_ID``   the city's client id under the agreement
``JARING_DUKCAPIL_TOKEN``       its bearer token
``JARING_DUKCAPIL_TIMEOUT``     seconds to wait for an answer                        ``10``
``JARING_DUKCAPIL_MAPPING``     JSON overriding ``DEFAULT_MAPPING`` (keys, words)
=============================== ==================================================== ==========
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed
from jaring.registry.identity import mask_identifier

VERIFIED, NOT_FOUND, MISMATCH, ERROR = "verified", "not_found", "mismatch", "error"
STATUSES = (VERIFIED, NOT_FOUND, MISMATCH, ERROR)
MAX_DETAIL = 300
MAX_ANSWER_BYTES = 64 * 1024
DEFAULTS: dict[str, Any] = {
    "JARING_NIK_VERIFIER": "none",
    "JARING_DUKCAPIL_URL": "",
    "JARING_DUKCAPIL_CLIENT_ID": "",
    "JARING_DUKCAPIL_TOKEN": "",
    "JARING_DUKCAPIL_TIMEOUT": 10,
    "JARING_DUKCAPIL_MAPPING": "",
}
# [UNVERIFIED] The request/answer mapping of the dukcapil_http backend: a guess until the
# cooperation agreement's documentation is at hand. ``request``: our name → the key sent (a key
# mapped to "" is not sent); ``status_field``/``detail_field``: a dotted path in the answer
# (``content.0.status`` for a list); ``statuses``: the answer's words (any case) for each outcome.
DEFAULT_MAPPING: dict[str, Any] = {
    "request": {"nik": "nik", "full_name": "nama_lengkap", "birth_date": "tanggal_lahir", "client_id": "client_id"},
    "date_format": "%d-%m-%Y",
    "status_field": "status",
    "detail_field": "message",
    "statuses": {
        VERIFIED: ["verified", "sesuai", "match", "valid", "ditemukan"],
        NOT_FOUND: ["not_found", "tidak ditemukan", "tidak dikenal", "unknown"],
        MISMATCH: ["mismatch", "tidak sesuai", "not_match"],
    },
    "not_found_http": [404],
}
_NIK_LIKE = re.compile(r"\d{16}")


def setting(name: str) -> Any:
    """``name`` from Django's settings, else the environment, else ``DEFAULTS``."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    return value


def scrub(text: str) -> str:
    """``text`` with every 16-digit run masked (an answer may echo the NIK), whitespace folded, cut short."""
    return _NIK_LIKE.sub(lambda m: mask_identifier(m.group()), " ".join(str(text).split()))[:MAX_DETAIL]


@dataclass(frozen=True)
class VerificationResult:
    status: str  # verified | not_found | mismatch | error
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verification status: {self.status!r}")
        object.__setattr__(self, "detail", scrub(self.detail))


class NikVerifier(Protocol):
    name: str

    def verify(self, nik: str, *, full_name: str, birth_date: dt.date) -> VerificationResult: ...


class NoVerifier:
    """The default: no access to Dukcapil, nothing is verified."""

    name = "none"

    def verify(self, nik: str, *, full_name: str, birth_date: dt.date) -> VerificationResult:
        return VerificationResult(ERROR, "none: no NIK verifier configured (JARING_NIK_VERIFIER)")


def _bad_setting(message: str, name: str, value: str) -> ValidationFailed:
    return ValidationFailed(message, fields={name: [value]}, code="bad_setting")


def _mapping(value: Any) -> dict[str, Any]:
    if not value:
        return DEFAULT_MAPPING
    try:
        override = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        override = None
    if not isinstance(override, dict):
        raise _bad_setting(_("Pengaturan %(name)s harus objek JSON.") % {"name": "JARING_DUKCAPIL_MAPPING"},
                           "JARING_DUKCAPIL_MAPPING", str(value)[:200])
    merged = {**DEFAULT_MAPPING, **override}
    for key in ("request", "statuses"):
        if not isinstance(merged[key], dict):
            raise _bad_setting(_("Pengaturan %(name)s harus objek JSON.") % {"name": "JARING_DUKCAPIL_MAPPING"},
                               "JARING_DUKCAPIL_MAPPING", key)
    return merged


def _dig(data: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class DukcapilHttpVerifier:
    """A generic HTTP JSON verification service (see the module's docstring; [UNVERIFIED] shape)."""

    name = "dukcapil_http"

    def __init__(self, *, url: str, token: str, client_id: str = "", timeout: float = 10,
                 mapping: dict[str, Any] | None = None):
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            name = "JARING_DUKCAPIL_URL"
            raise _bad_setting(_("Pengaturan %(name)s harus alamat http(s) yang lengkap.") % {"name": name}, name, url)
        if not token:
            raise _bad_setting(_("Pengaturan %(name)s belum diisi.") % {"name": "JARING_DUKCAPIL_TOKEN"},
                               "JARING_DUKCAPIL_TOKEN", "")
        self.url, self.token, self.client_id, self.timeout = url, token, client_id, timeout
        self.mapping = mapping or DEFAULT_MAPPING
        self.words = {str(word).strip().lower(): status for status, words in self.mapping["statuses"].items()
                      if status in (VERIFIED, NOT_FOUND, MISMATCH) for word in (words or [])}

    def payload(self, nik: str, *, full_name: str, birth_date: dt.date) -> dict[str, Any]:
        values = {"nik": nik, "full_name": full_name, "birth_date": birth_date.strftime(self.mapping["date_format"]),
                  "client_id": self.client_id}
        return {key: values[ours] for ours, key in self.mapping["request"].items() if key and ours in values}

    def verify(self, nik: str, *, full_name: str, birth_date: dt.date) -> VerificationResult:
        body = json.dumps(self.payload(nik, full_name=full_name, birth_date=birth_date)).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Authorization": f"Bearer {self.token}", "X-Client-Id": self.client_id,
                     "User-Agent": "Jaring-nik/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status, raw = answer.status, answer.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, (exc.read(MAX_ANSWER_BYTES) if exc.fp is not None else b"")
            exc.close()
        except TimeoutError:
            return VerificationResult(ERROR, "dukcapil: timeout")
        except urllib.error.URLError as exc:
            timed_out = isinstance(exc.reason, TimeoutError | socket.timeout)
            return VerificationResult(ERROR, "dukcapil: timeout" if timed_out else f"dukcapil: {exc.reason}")
        except (OSError, ValueError) as exc:
            return VerificationResult(ERROR, f"dukcapil: {exc}")
        text = raw.decode("utf-8", "replace")
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = None
        detail = _dig(data, self.mapping["detail_field"])
        detail_text = str(detail) if isinstance(detail, str | int | float) else ""
        if status in (self.mapping.get("not_found_http") or []):
            return VerificationResult(NOT_FOUND, detail_text or f"HTTP {status}")
        if not 200 <= status < 300:
            return VerificationResult(ERROR, f"dukcapil: HTTP {status}: {detail_text or text.strip()[:200]}")
        word = _dig(data, self.mapping["status_field"])
        outcome = self.words.get(str(word).strip().lower()) if isinstance(word, str | int | bool) else None
        if outcome is None:
            return VerificationResult(ERROR, f"dukcapil: answer without a known status: {text.strip()[:200]}")
        return VerificationResult(outcome, detail_text)


def make_verifier(name: str | None = None) -> NikVerifier:
    """The verifier called ``name`` (default ``JARING_NIK_VERIFIER``), configured from the settings.
    A missing or malformed setting is a ``ValidationFailed`` naming it, raised before any call."""
    name = str(name if name is not None else setting("JARING_NIK_VERIFIER")).strip()
    if name == "none":
        return NoVerifier()
    if name == "dukcapil_http":
        raw_timeout = setting("JARING_DUKCAPIL_TIMEOUT")
        try:
            timeout = float(raw_timeout)
        except (TypeError, ValueError):
            timeout = 0
        if not 0 < timeout <= 120:
            name = "JARING_DUKCAPIL_TIMEOUT"
            message = _("Pengaturan %(name)s harus jumlah detik, lebih dari 0 dan paling lama 120.") % {"name": name}
            raise _bad_setting(message, name, str(raw_timeout))
        return DukcapilHttpVerifier(url=str(setting("JARING_DUKCAPIL_URL")),
                                    token=str(setting("JARING_DUKCAPIL_TOKEN")),
                                    client_id=str(setting("JARING_DUKCAPIL_CLIENT_ID")), timeout=timeout,
                                    mapping=_mapping(setting("JARING_DUKCAPIL_MAPPING")))
    if "." in name:
        try:
            found = import_string(name)
        except ImportError:
            found = None
        # A class of the deployment's own (from the settings, never from a request) with a verify method.
        if isinstance(found, type) and callable(getattr(found, "verify", None)):
            return found()  # type: ignore[no-any-return]
    raise _bad_setting(_("Pemeriksa NIK tidak dikenal: %(name)s.") % {"name": name}, "JARING_NIK_VERIFIER", name)
