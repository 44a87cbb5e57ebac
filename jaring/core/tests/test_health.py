"""Health and readiness: public, cheap, no personal data; readiness says which check fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from jaring.core import health


class BrokenCache(LocMemCache):
    """A cache whose server does not answer."""

    def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache server unreachable")


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrated", False)


def test_healthz_answers_anonymously_without_the_database(client: Any) -> None:
    # No django_db mark: any database access here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_ok_when_database_migrations_and_cache_answer(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_reads_the_migrations_once_per_process(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/readyz").status_code == 200
    from django.db.migrations import executor

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("migrations read again")

    monkeypatch.setattr(executor.MigrationExecutor, "migration_plan", fail)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_503_with_the_reason_when_migrations_are_pending(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.migrations import executor

    monkeypatch.setattr(executor.MigrationExecutor, "migration_plan",
                        lambda self, targets: [("a migration", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"] == "pending"
    assert body["reason"] == "migrations: pending"


@pytest.mark.django_db
def test_readyz_503_when_the_database_does_not_answer(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server at 10.0.0.7 as jaring_app")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "unreachable", "migrations": "unknown", "cache": "ok"}
    # The reason is a code: no server address, user or query leaks to an anonymous caller.
    assert "10.0.0.7" not in response.content.decode() and "jaring_app" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_503_when_the_cache_does_not_answer(client: Any) -> None:
    broken = {"default": {"BACKEND": "jaring.core.tests.test_health.BrokenCache"}}
    with override_settings(CACHES=broken):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unreachable"
    assert response.json()["reason"] == "cache: unreachable"


@pytest.mark.django_db
def test_health_routes_take_no_writes_and_show_no_personal_data(client: Any, register_person: Any) -> None:
    person = register_person(full_name="Yuliana Tapilatu")
    for path in ("/healthz", "/readyz"):
        assert client.post(path).status_code == 405
        text = client.get(path).content.decode()
        assert "Yuliana" not in text and str(person.pk) not in json.loads(text).get("reason", "")

