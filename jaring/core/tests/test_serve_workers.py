"""``jaring serve --workers N``: gunicorn's settings, the SQLite rule, the proxy's client address."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jaring.core.prodserver import client_address_from, gunicorn_options, workers_problem


def test_sqlite_serves_with_one_worker_only() -> None:
    assert workers_problem(1, "sqlite") is None
    assert "PostgreSQL" in (workers_problem(2, "sqlite") or "")
    assert workers_problem(5, "postgresql") is None
    assert workers_problem(0, "postgresql") and workers_problem(-3, "postgresql")


@pytest.mark.django_db
def test_serve_refuses_a_bad_worker_count_before_starting() -> None:
    from django.db import connection

    with pytest.raises(CommandError, match="1 or more"):
        call_command("serve", workers=-1)
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="SQLite"):
            call_command("serve", workers=3)


def test_gunicorn_options() -> None:
    options = gunicorn_options(host="127.0.0.1", port=8001, workers=3, threads=4)
    assert options["bind"] == "127.0.0.1:8001"
    assert options["workers"] == 3 and options["threads"] == 4 and options["worker_class"] == "gthread"
    assert options["forwarded_allow_ips"] == ""  # nobody's X-Forwarded-Proto is trusted by default
    assert options["accesslog"] is None  # the application writes the access line
    assert "logconfig_dict" not in options
    proxied = gunicorn_options(host="0.0.0.0", port=8000, workers=2, threads=2, trusted_proxy="10.0.0.2",  # noqa: S104
                               json_logs=True)
    assert proxied["forwarded_allow_ips"] == "10.0.0.2"
    config = proxied["logconfig_dict"]
    assert config["formatters"]["json"]["()"] == "jaring.core.logs.JsonFormatter"
    assert config["root"]["handlers"] == ["error_console"]


def test_gunicorn_accepts_every_option() -> None:
    from gunicorn.config import Config

    config = Config()
    for key, value in gunicorn_options(host="127.0.0.1", port=8001, workers=2, threads=2, json_logs=True).items():
        config.set(key, value)
    assert config.workers == 2 and config.worker_class_str == "gthread"


def _seen(app: Any, environ: dict[str, str]) -> str:
    seen = {}

    def inner(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["addr"] = env["REMOTE_ADDR"]
        return []

    app(inner)(environ, lambda *a: None)
    return seen["addr"]


def test_client_address_only_from_the_trusted_proxy() -> None:
    forwarded = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    # The proxy appends the address it saw: the last entry, never one the client wrote itself.
    assert _seen(lambda a: client_address_from(a, "10.0.0.2"), dict(forwarded)) == "203.0.113.9"
    assert _seen(lambda a: client_address_from(a, "*"), dict(forwarded)) == "203.0.113.9"
    # A client that talks to the server directly cannot claim another address.
    direct = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    assert _seen(lambda a: client_address_from(a, "10.0.0.2"), dict(direct)) == "198.51.100.7"
    assert _seen(lambda a: client_address_from(a, ""), dict(forwarded)) == "10.0.0.2"
