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
def payers(personas: dict[str, Any]) -> dict[str, Any]:
    """The demo city's three payers: the worker (self), the city's APBD and the province's APBD."""
    from jaring.membership.services import payer_create

    admin = personas["admin_sorong"]
    return {
        "self": payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self"),
        "city": payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                             wadah_code="SG", region_code="96.71"),
        "province": payer_create(actor=admin, code="APBD-PROV", name="APBD Provinsi Papua Barat Daya",
                                 kind="government_province", wadah_code="SG", region_code="96"),
    }


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


def _is_transactional(request: Any) -> bool:
    """pytest-django's own test: will this test's tables be emptied by ``flush`` afterwards?"""
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


@pytest.fixture
def _audit_triggers_after_flush(request: Any, django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Torn down right after pytest-django's flush: puts the audit triggers back as 0002/0004 made them."""
    yield
    if _is_transactional(request):
        from django.db import connection

        from jaring.core.db import install_audit_triggers

        with django_db_blocker.unblock():
            install_audit_triggers(connection)


@pytest.fixture
def _django_db_helper(_audit_triggers_after_flush: Any, _django_db_helper: Any, request: Any,
                      django_db_blocker: Any) -> Any:
    """pytest-django's database set-up, plus the one thing the append-only audit table needs.

    Every test sees the audit table exactly as the real migrations left it: nothing installs the
    triggers before a test. (A fixture once did, and so hid that migration core/0003 had dropped them
    on SQLite; tests/security/test_audit_tamper.py migrates a fresh database without any fixture.)

    The exception is outside test bodies. After a transactional test (``transaction=True``,
    ``transactional_db``, ``live_server``) pytest-django empties every table with Django's ``flush`` —
    DELETE on SQLite, TRUNCATE on PostgreSQL — which the triggers refuse. This override wraps
    pytest-django's ``_django_db_helper`` (which runs that flush when it is torn down): for such a test
    only, its teardown removes the triggers after the test body and its fixtures, immediately before
    the flush, and ``_audit_triggers_after_flush`` (set up before, so torn down after the flush)
    installs them again with the function the migrations run. The triggers are thus on during every
    test body. Making the flush skip ``core_auditevent`` was the other way: rejected because audit rows
    would leak from one test into the next, and rows whose actor was flushed would break their
    PROTECT foreign key.
    """
    yield
    if _is_transactional(request):
        from django.db import connection

        from jaring.core.db import remove_audit_triggers

        with django_db_blocker.unblock():
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
