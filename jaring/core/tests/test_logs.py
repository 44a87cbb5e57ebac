"""Structured logs: JSON lines with the request id and the user's id, never a name or a NIK."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from jaring.core.context import RequestInfo, current_request
from jaring.core.logs import ACCESS_LOGGER, JsonFormatter, logging_config

NIK = "9271014403880007"


class Lines(logging.Handler):
    """Collects the JSON lines a logger writes, as the console handler would format them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def access_lines() -> Iterator[Lines]:
    """The access logger at INFO, as JARING_LOG_FORMAT=json sets it."""
    logger = logging.getLogger(ACCESS_LOGGER)
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_line_is_one_json_object_with_the_request_id() -> None:
    token = current_request.set(RequestInfo(ip="10.1.2.3", request_id="b7c1", channel="web"))
    try:
        record = logging.getLogger("jaring.test").makeRecord("jaring.test", logging.WARNING, __file__, 1,
                                                             "import %s failed", ("12",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        current_request.reset(token)
    assert line["level"] == "WARNING" and line["logger"] == "jaring.test"
    assert line["message"] == "import 12 failed"
    assert line["request_id"] == "b7c1"
    assert line["timestamp"].endswith("+00:00")
    assert "ip" not in line  # the audit keeps addresses; the log does not need them


def test_an_exception_is_inside_the_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: broken" in json.loads(text)["exception"]


def test_the_format_setting_is_text_or_json() -> None:
    assert "formatter" not in logging_config("text", "WARNING")["handlers"]["console"]
    config = logging_config("json", "INFO")
    assert config["handlers"]["console"]["formatter"] == "json"
    assert config["loggers"][ACCESS_LOGGER]["level"] == "INFO"
    assert logging_config("text", "INFO")["loggers"][ACCESS_LOGGER]["level"] == "WARNING"
    with pytest.raises(ImproperlyConfigured, match="JARING_LOG_FORMAT"):
        logging_config("yaml", "INFO")


@pytest.mark.django_db
def test_access_line_per_request_with_user_id_and_no_name_or_nik(client: Any, personas: Any, register_person: Any,
                                                                 access_lines: Lines) -> None:
    register_person(nik=NIK, full_name="Yuliana Tapilatu", birth_date=dt.date(1988, 3, 4),
                    sex="F")
    facilitator = personas["facilitator_remu"]
    client.force_login(facilitator)
    response = client.get(f"/orang/?q={NIK}")
    assert response.status_code == 200
    client.get("/orang/?q=Yuliana")
    lines = access_lines.parsed()
    assert len(lines) == 2
    first = lines[0]
    assert first["logger"] == ACCESS_LOGGER
    assert first["status"] == 200 and first["method"] == "GET"
    assert first["path"] == "/orang/"  # the query string (a searched NIK or name) is left out
    assert first["user_id"] == facilitator.pk
    assert isinstance(first["duration_ms"], float)
    assert first["request_id"] == response["X-Request-ID"]
    text = "\n".join(access_lines.lines)
    for secret in (NIK, "Yuliana", "Tapilatu", facilitator.username, facilitator.name):
        assert secret not in text


@pytest.mark.django_db
def test_api_token_requests_log_the_token_owner(api_client_for: Any, personas: Any, access_lines: Lines) -> None:
    response = api_client_for("operator_sorong").get("/api/v1/me/")
    assert response.status_code == 200
    (line,) = access_lines.parsed()
    assert line["user_id"] == personas["operator_sorong"].pk
    assert line["path"] == "/api/v1/me/"


@pytest.mark.django_db
def test_anonymous_and_refused_requests_are_logged_too(client: Any, access_lines: Lines) -> None:
    client.get("/orang/")
    (line,) = access_lines.parsed()
    assert line["status"] == 302 and line["user_id"] is None


@pytest.mark.django_db
def test_the_response_request_id_is_the_audit_events(api_client_for: Any, personas: Any) -> None:
    """The id in the log line and the response header finds the request's audit events."""
    from conftest import REMU
    from jaring.core.models import AuditEvent
    from jaring.registry.testing import make_nik

    born = dt.date(1990, 2, 3)
    response = api_client_for("facilitator_remu").post("/api/v1/persons/", {
        "nik": make_nik(birth_date=born, sex="M", serial=8101), "full_name": "Markus Kambu",
        "birth_date": born.isoformat(), "sex": "M", "kelurahan_code": REMU}, format="json")
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.filter(request_id=response["X-Request-ID"], action="person.register").exists()


def test_lines_logged_inside_a_request_carry_its_user_and_path(rf: Any) -> None:
    from jaring.core.logs import _request

    class User:
        pk = 41

    request = rf.get("/orang/7/?q=x")
    request.user = User()
    token = _request.set(request)
    try:
        record = logging.getLogger("jaring.x").makeRecord("jaring.x", logging.INFO, __file__, 1, "hi", (), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        _request.reset(token)
    assert line["user_id"] == 41 and line["path"] == "/orang/7/" and line["method"] == "GET"
