"""schemathesis against the API's own OpenAPI schema, in process (WSGI, no live server).

Every operation gets a bounded, derandomized set of generated requests as the admin and as a
facilitator (Bearer tokens). Whatever the input, the API never answers 5xx, and every 4xx is in
the documented error shape ``{"error": {"code", "message", ...}}``; a 2xx answer of an
operation whose response the schema describes in detail must conform to it.

The schema comes straight from drf-spectacular's generator, so the test does not depend on who
may read ``/api/v1/schema/``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import REMU


def _raw_schema() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


class _InTestTransaction(WSGIHandler):
    """Django's WSGI handler without the end-of-request connection close (as the test client does),
    so that every request runs inside the test's transaction and sees its fixtures."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(_raw_schema())
schema.app = _InTestTransaction()


def fuzz(examples: int) -> Any:
    """Bounded and repeatable: only generated cases (the coverage phase alone sends ~400 requests
    to one POST), no shrinking, the same examples on every run."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.generate])


@pytest.fixture
def world(personas: dict[str, Any], register_person: Any) -> dict[str, Any]:
    """A little of everything, so that generated ids and codes sometimes hit real rows."""
    import datetime as dt

    from jaring.accounts.services import api_token_create
    from jaring.membership.services import membership_enrol, payer_create
    from jaring.targeting.services import policy_create

    admin = personas["admin_sorong"]
    payer = payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self")
    payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota", kind="government_city", region_code="96.71")
    person = register_person(kelurahan=REMU)
    membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26010000001")
    policy_create(actor=admin, code="inpres", name="Inpres 4/2022", max_decile=4, min_age=18, max_age=64)
    return {name: api_token_create(actor=None, user=user) for name, user in personas.items()}


def _error_shape(response: Any) -> None:
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
        assert {"code", "message"} <= set(body["error"]), body


def _check(case: Any, token: str) -> None:
    # The in-process transport does not undo Content-Encoding: ask for plain bodies (decision 0037).
    response = case.call(headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}\n{case.as_curl_command()}\n"
        f"{response.text[:2000]}")
    _error_shape(response)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


@schema.parametrize()
@fuzz(12)
def test_admin_never_gets_a_server_error(case: Any, world: dict[str, str]) -> None:
    _check(case, world["admin_sorong"])


@schema.parametrize()
@fuzz(8)
def test_facilitator_never_gets_a_server_error(case: Any, world: dict[str, str]) -> None:
    _check(case, world["facilitator_remu"])
