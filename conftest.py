"""Test personas (the healthchecks way): each role with its area, and one who must see nothing.

- admin_sorong, operator_sorong: the whole city (96.71)
- facilitator_remu: kelurahan Remu only; facilitator_klawasi: kelurahan Klawasi only
- liaison (BPJSTK branch) and auditor: the whole city
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

REMU = "96.71.01.1004"
KLAWASI = "96.71.03.1002"
CITY = "96.71"
PASSWORD = "rahasia-jaring-2026"  # noqa: S105 - test persona password

_serials = itertools.count(1)


@pytest.fixture
def personas(db: Any) -> dict[str, Any]:
    from jaring.accounts.services import user_create

    spec = [
        ("admin_sorong", "Yohana Kambu", "admin", [CITY]),
        ("operator_sorong", "Rudi Latumahina", "operator", [CITY]),
        ("facilitator_remu", "Maria Mobalen", "facilitator", [REMU]),
        ("facilitator_klawasi", "Siti Aisyah", "facilitator", [KLAWASI]),
        ("liaison", "Andi Pasolo", "liaison", [CITY]),
        ("auditor", "Frans Rumbiak", "auditor", [CITY]),
    ]
    return {
        username: user_create(actor=None, username=username, name=name, role=role,
                              password=PASSWORD, areas=areas)
        for username, name, role, areas in spec
    }


@pytest.fixture
def client() -> Any:
    """pytest-django's ``client``, but logins of 2FA roles (admin, operator) come with a verified
    second factor, through a real TOTP device of the user (see jaring/accounts/testing.py).
    Tests of the second factor itself use ``OtpClient(verify_otp=False)``."""
    from jaring.accounts.testing import OtpClient

    return OtpClient()


@pytest.fixture
def register_person(personas: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Register a valid person through the service; keyword arguments override the defaults."""
    from jaring.registry.services import PersonInput, person_register
    from jaring.registry.testing import make_nik

    def register(actor: Any = None, **overrides: Any):  # type: ignore[no-untyped-def]
        birth_date = overrides.pop("birth_date", dt.date(1985, 3, 14))
        sex = overrides.pop("sex", "M")
        nik = overrides.pop("nik", None) or make_nik(birth_date=birth_date, sex=sex,
                                                     serial=next(_serials))
        values = {"nik": nik, "full_name": "Yohanes Kalami", "birth_date": birth_date, "sex": sex,
                  "kelurahan": REMU, "occupation": "ojek_driver", "phone": "081234567890"}
        values.update(overrides)
        return person_register(actor=actor or personas["operator_sorong"],
                               data=PersonInput.of(**values))

    return register


@pytest.fixture(autouse=True)
def _audit_triggers(request: Any) -> Any:
    """Keep the append-only triggers on, except while a transactional test flushes its tables."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    from jaring.core.db import install_audit_triggers, remove_audit_triggers

    install_audit_triggers(connection)
    yield
    if transactional:
        remove_audit_triggers(connection)


@pytest.fixture
def api_client_for(personas: dict[str, Any]):  # type: ignore[no-untyped-def]
    """An API client authenticated with a fresh Bearer token of the named persona."""
    from rest_framework.test import APIClient

    from jaring.accounts.services import api_token_create

    def make(username: str) -> APIClient:
        client = APIClient()
        token = api_token_create(actor=None, user=personas[username])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make
