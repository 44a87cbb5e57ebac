"""Another government's payer is absent for a city's users on every channel (decision 0048): the API's
payer list, enrolment, invoices, targeting and reactivation, the web's reactivation page and the CLI
all look a payer up through ``membership.selectors.payer_for``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from jaring.core.errors import NotFound
from jaring.reports.tests.test_tenancy import province  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_city_admin_does_not_see_another_regencys_payer_through_the_api(province: dict[str, Any],  # noqa: F811
                                                                          api_client_for: Any) -> None:
    api = api_client_for("admin_sorong")
    codes = {p["code"] for p in api.get("/api/v1/payers/").json()}
    assert {"APBD-KOTA", "MANDIRI"} <= codes and "APBD-CONTOH" not in codes
    refused = [
        api.post("/api/v1/invoices/issue/", {"payer": "APBD-CONTOH", "period": "2026-01", "months": 1}, format="json"),
        api.post("/api/v1/invoices/pay/", {"payer": "APBD-CONTOH", "period": "2026-01", "paid_on": "2026-01-20",
                                           "reference": "SP2D 1"}, format="json"),
        api.post("/api/v1/payers/APBD-CONTOH/reactivate/", {"reference": "SK 1", "confirm": True}, format="json"),
    ]
    assert [r.status_code for r in refused] == [404, 404, 404], [r.content[:200] for r in refused]
    # The province admin sees every government's payer.
    codes = {p["code"] for p in api_client_for_province(province).get("/api/v1/payers/").json()}
    assert {"APBD-KOTA", "APBD-CONTOH", "APBD-PROV"} <= codes


def api_client_for_province(province: dict[str, Any]) -> Any:  # noqa: F811
    from rest_framework.test import APIClient

    from jaring.accounts.services import api_token_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=None, user=province['province_admin'])}")
    return client


def test_the_web_and_the_cli_do_not_reach_another_regencys_payer(province: dict[str, Any],  # noqa: F811
                                                                 client: Any) -> None:
    client.force_login(province["sorong_admin"])
    assert client.get("/wadah/APBD-CONTOH/aktifkan-kembali/").status_code == 404
    with pytest.raises(SystemExit) as refused:
        call_command("invoice_issue", "--payer", "APBD-CONTOH", "--period", "2026-01", "--as", "admin_sorong")
    assert refused.value.code == NotFound.exit_code  # "not found", as for a payer that does not exist
