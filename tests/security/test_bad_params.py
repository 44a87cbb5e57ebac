"""Malformed query parameters and identifiers: 400 (or 404), never a server error.

Replays the probes of issue 9 on the API (JSON error shape) and the web (the 400 page), for an
office persona and a facilitator; payer codes; API errors outside DRF; lists that used to be cut
silently at a fixed number of rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import REMU
from jaring.core.errors import ValidationFailed
from jaring.membership.models import Payer
from jaring.membership.services import membership_enrol, payer_create

# Digits Python's str.isdigit() accepts but int() does not (or that are not ASCII).
SUPERSCRIPT = "³"
HUGE = "9" * 30


@pytest.fixture
def member(personas: dict[str, Any], register_person: Any) -> Any:
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    person = register_person(kelurahan=REMU)
    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=timezone.localdate())


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if code:
        assert error["code"] == code
    return error


API_PROBES = [
    ("/api/v1/memberships/", {"person": "abc"}, "person"),
    ("/api/v1/memberships/", {"person": SUPERSCRIPT}, "person"),
    ("/api/v1/memberships/", {"person": HUGE}, "person"),
    ("/api/v1/memberships/", {"status": "x\x00"}, "status"),
    ("/api/v1/dues/", {"membership": "abc"}, "membership"),
    ("/api/v1/dues/", {"membership": SUPERSCRIPT}, "membership"),
    ("/api/v1/dues/", {"period": "Januari"}, "period"),
    ("/api/v1/dues/", {"period": "٢٠٢٦-٠١"}, "period"),
    ("/api/v1/persons/", {"decile": SUPERSCRIPT}, "decile"),
    ("/api/v1/persons/", {"kelurahan": "96.71/../x"}, "kelurahan"),
    ("/api/v1/persons/", {"q": "nama\x00"}, "q"),
    ("/api/v1/households/", {"kelurahan": "\x00"}, "kelurahan"),
    ("/api/v1/regions/", {"level": "galaxy"}, "level"),
    ("/api/v1/dashboard/", {"period": "0000-00"}, "period"),
]


@pytest.mark.parametrize("persona", ["operator_sorong", "facilitator_remu"])
@pytest.mark.parametrize(("url", "query", "field"), API_PROBES)
def test_api_bad_query_parameters_are_400_in_the_error_shape(api_client_for: Any, member: Any, persona: str,
                                                              url: str, query: dict[str, str], field: str) -> None:
    response = api_client_for(persona).get(url, query)
    error = assert_error_shape(response, 400, "invalid_parameter")
    assert field in error["fields"]


@pytest.mark.parametrize("persona", ["operator_sorong", "facilitator_remu"])
def test_api_bad_identifiers(api_client_for: Any, member: Any, persona: str) -> None:
    api = api_client_for(persona)
    assert_error_shape(api.get(f"/api/v1/persons/{member.person_id}/coverage/", {"months": SUPERSCRIPT}), 400)
    assert_error_shape(api.get("/api/v1/regions/96.71%00/"), 400, "invalid_parameter")
    assert_error_shape(api.get("/api/v1/regions/99.99/"), 404, "not_found")
    assert_error_shape(api.get(f"/api/v1/persons/{HUGE}/"), 404)
    assert_error_shape(api.get("/api/v1/nowhere/"), 404, "not_found")  # outside DRF: still JSON
    assert_error_shape(api.delete("/api/v1/me/"), 405, "method_not_allowed")
    assert_error_shape(api.post("/api/v1/memberships/", "person=1", content_type="text/plain"), 415,
                       "unsupported_media_type")
    # The good values still work.
    ok = api.get("/api/v1/memberships/", {"person": str(member.person_id), "status": "draft"})
    assert ok.status_code == 200 and [m["id"] for m in ok.json()["results"]] == [member.pk]


def test_api_unexpected_error_is_a_json_500_with_a_request_id(api_client_for: Any, personas: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import jaring.api.views

    def broken(user: Any) -> Any:
        raise RuntimeError("secret internals /srv/jaring/app.py")

    monkeypatch.setattr(jaring.api.views, "scope_for", broken)
    response = api_client_for("operator_sorong").get("/api/v1/me/")
    error = assert_error_shape(response, 500, "server_error")
    assert len(error["request_id"]) == 36
    assert b"secret internals" not in response.content and b"Traceback" not in response.content


WEB_PROBES_EVERYONE = [
    ("/orang/", {"decile": SUPERSCRIPT}),
    ("/orang/", {"kelurahan": "96.71/x"}),
    ("/orang/", {"q": "a\x00b"}),
    ("/dasbor/", {"bulan": "99999-01"}),
]
WEB_PROBES_OFFICE = [
    ("/wadah/MANDIRI/", {"year": SUPERSCRIPT}),
    ("/wadah/MANDIRI/", {"year": HUGE}),
    ("/sasaran/kebijakan/1/", {"start": "2026-13"}),
]


@pytest.mark.parametrize(("url", "query"), WEB_PROBES_EVERYONE)
@pytest.mark.parametrize("persona", ["operator_sorong", "facilitator_remu"])
def test_web_bad_query_parameters_show_the_400_page(client: Any, personas: Any, persona: str, url: str,
                                                    query: dict[str, str]) -> None:
    client.force_login(personas[persona])
    response = client.get(url, query)
    assert response.status_code == 400
    assert "Permintaan tidak sah" in response.content.decode()


@pytest.mark.parametrize(("url", "query"), WEB_PROBES_OFFICE)
def test_web_office_pages_bad_query_parameters_show_the_400_page(client: Any, personas: Any, member: Any,
                                                                 url: str, query: dict[str, str]) -> None:
    from jaring.targeting.services import policy_create

    policy = policy_create(actor=personas["admin_sorong"], code="inpres", name="Inpres", max_decile=4,
                           min_age=18, max_age=64)
    client.force_login(personas["operator_sorong"])
    response = client.get(url.replace("/1/", f"/{policy.pk}/"), query)
    assert response.status_code == 400
    assert "Permintaan tidak sah" in response.content.decode()


def test_person_why_bad_round(client: Any, personas: Any, member: Any) -> None:
    client.force_login(personas["operator_sorong"])
    url = reverse("targeting:person_why", args=[member.person_id])
    assert client.get(url, {"round": SUPERSCRIPT}).status_code == 400
    assert client.get(url, {"policy": HUGE}).status_code == 400


# --- Payer codes --------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["APBD/KOTA", "APBD KOTA", "a" * 33, "kode\x00", "ü-kota"])
def test_payer_code_with_a_slash_or_other_odd_characters_is_refused(personas: Any, api_client_for: Any,
                                                                      code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        payer_create(actor=personas["admin_sorong"], code=code, name="X", kind="csr")
    assert "code" in refused.value.fields
    response = api_client_for("admin_sorong").post("/api/v1/payers/", {"code": code, "name": "X", "kind": "csr"},
                                                  format="json")
    assert "code" in assert_error_shape(response, 400)["fields"]
    assert not Payer.objects.filter(name="X").exists()


def test_an_old_payer_code_with_a_slash_does_not_break_the_payer_pages(client: Any, personas: Any) -> None:
    payer = payer_create(actor=personas["admin_sorong"], code="CSR-LAMA", name="CSR lama", kind="csr")
    # A row created before codes were checked (no service creates such a code any more).
    Payer.objects.filter(pk=payer.pk).update(code="CSR/2019")
    client.force_login(personas["operator_sorong"])
    listing = client.get("/wadah/")
    assert listing.status_code == 200
    detail_url = reverse("membership:payer_detail", args=["CSR/2019"])
    assert detail_url in listing.content.decode()
    detail = client.get(detail_url)
    assert detail.status_code == 200 and "CSR lama" in detail.content.decode()
    assert client.get("/wadah/MANDIRI/").status_code == 404


# --- Lists are paged, never cut -----------------------------------------------------------------

def test_api_lists_page_through_every_row(personas: Any, register_person: Any, api_client_for: Any) -> None:
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    enrolled = {membership_enrol(actor=personas["operator_sorong"], person=register_person(), payer=payer,
                                 programs="JKK,JKM", declared_income_idr=1_000_000,
                                 start_date=timezone.localdate()).pk for _ in range(5)}
    api = api_client_for("operator_sorong")
    seen: list[int] = []
    page = api.get("/api/v1/memberships/", {"page_size": "2"}).json()
    pages = 1
    while True:
        seen += [m["id"] for m in page["results"]]
        if not page["next"]:
            break
        page = api.get(page["next"]).json()
        pages += 1
    assert sorted(seen) == sorted(enrolled) and pages == 3
    assert api.get("/api/v1/memberships/", {"page_size": "200"}).json()["next"] is None


def test_at_risk_list_shows_a_pager_instead_of_cutting(client: Any, personas: Any, register_person: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import jaring.membership.views
    from jaring.contributions.services import billing_run

    operator = personas["operator_sorong"]
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    today = dt.date.today()
    start = dt.date(today.year - (today.month <= 3), (today.month - 4) % 12 + 1, 1)  # three months ago
    names = [f"Orang Berisiko {letter}" for letter in "ABC"]
    for name in names:
        membership_enrol(actor=operator, person=register_person(full_name=name), payer=payer, programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=start, kpj=f"26010000{ord(name[-1]):03d}")
    billing_run(actor=operator, period=start)
    monkeypatch.setattr(jaring.membership.views, "AT_RISK_PAGE", 2)
    client.force_login(personas["facilitator_remu"])
    first = client.get("/risiko/").content.decode()
    assert sum(name in first for name in names) == 2
    assert "Menampilkan 1–2 dari 3" in first and "?page=2" in first
    second = client.get("/risiko/", {"page": "2"}).content.decode()
    assert sum(name in second for name in names) == 1
