import datetime as dt
import json

import pytest
from django.db import connection

from conftest import KLAWASI, REMU
from jaring.registry.models import Person
from jaring.registry.testing import make_nik

NIK = "9271015508900001"  # a woman born 15-08-1990 (day 55 = 15 + 40)


def body(**overrides):  # type: ignore[no-untyped-def]
    data = {"nik": NIK, "full_name": "Agustina Sawaki", "birth_date": "1990-08-15", "sex": "F",
            "kelurahan_code": REMU, "occupation": "market_trader", "phone": "081344556677",
            "kk_number": "9271010203150007"}
    data.update(overrides)
    return data


def test_register_and_read_back_masked(api_for):
    client = api_for("operator_sorong")
    response = client.post("/api/v1/persons/", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["nik"] == "9271********0001"
    assert data["kk_number"] == "9271********0007"
    assert data["kelurahan_code"] == REMU
    assert NIK not in response.content.decode()
    detail = client.get(f"/api/v1/persons/{data['id']}/").json()
    assert detail["full_name"] == "Agustina Sawaki"
    listing = client.get("/api/v1/persons/", {"q": "agus"}).json()
    assert [p["id"] for p in listing["results"]] == [data["id"]]
    assert client.get("/api/v1/persons/", {"q": NIK}).json()["results"][0]["id"] == data["id"]


def test_legacy_kelurahan_code_accepted(api_for):
    response = api_for("operator_sorong").post("/api/v1/persons/", body(kelurahan_code="92.71.01.1008"),
                                                format="json")
    assert response.status_code == 201
    assert response.json()["kelurahan_code"] == REMU


@pytest.mark.parametrize("nik, rule", [
    ("3.27E+15", "Excel"), ("927101550890001", "16 digit"), ("92710155089000011", "16 digit"),
    ("9271013208900001", "01–31"), ("9271011513900001", "01–12"), ("9271011508900000", "0000"),
    ("92710115O8900001", "angka"),
])
def test_malformed_nik_is_400_naming_field_and_rule(api_for, nik, rule):
    response = api_for("operator_sorong").post("/api/v1/persons/", body(nik=nik), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert rule in " ".join(error["fields"]["nik"])
    assert Person.objects.count() == 0


def test_sex_mismatch_needs_confirmation(api_for):
    client = api_for("operator_sorong")
    response = client.post("/api/v1/persons/", body(sex="M"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "needs_confirmation"
    assert "sex" in response.json()["error"]["fields"]
    response = client.post("/api/v1/persons/", body(sex="M", confirm_warnings=True), format="json")
    assert response.status_code == 201


def test_duplicate_nik_is_409_with_link_inside_area_only(api_for):
    first = api_for("operator_sorong").post("/api/v1/persons/", body(), format="json").json()
    inside = api_for("facilitator_remu").post("/api/v1/persons/", body(), format="json")
    assert inside.status_code == 409
    assert inside.json()["error"]["existing_id"] == first["id"]
    outside = api_for("facilitator_klawasi").post(
        "/api/v1/persons/", body(kelurahan_code=KLAWASI, kk_number=""), format="json")
    assert outside.status_code == 409
    text = outside.content.decode()
    assert "existing_id" not in text and "Sawaki" not in text and "Remu" not in text


@pytest.mark.parametrize("code", ["99.99.99.9999", "96.71.01", "Atlantis", ""])
def test_unknown_region_is_400(api_for, code):
    response = api_for("operator_sorong").post("/api/v1/persons/", body(kelurahan_code=code), format="json")
    assert response.status_code == 400
    assert "kelurahan_code" in response.json()["error"]["fields"]


def test_html_in_name_is_stored_as_text(api_for):
    name = "<script>alert(1)</script> Yakob"
    response = api_for("operator_sorong").post("/api/v1/persons/", body(full_name=name), format="json")
    assert response.status_code == 201
    assert Person.objects.get().full_name == name
    assert response.json()["full_name"] == name


def test_oversized_body_is_413(api_for, settings):
    client = api_for("operator_sorong")
    big = body(full_name="x" * (settings.JARING_MAX_BODY_BYTES + 10))
    response = client.post("/api/v1/persons/", json.dumps(big), content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_wrong_or_missing_token_is_401(personas, client):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get("/api/v1/persons/").status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer jrg_not-a-real-token")
    response = anonymous.get("/api/v1/persons/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_revoked_token_is_401(personas):
    from rest_framework.test import APIClient

    from jaring.accounts.models import ApiToken
    from jaring.accounts.services import api_token_create, api_token_revoke

    token = api_token_create(actor=None, user=personas["operator_sorong"])
    api_token_revoke(actor=None, token=ApiToken.objects.get())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me/").status_code == 401


def test_other_area_person_is_404_and_never_listed(api_for, register_person):
    remu = register_person(full_name="Markus Osok", kelurahan=REMU)
    klawasi = api_for("facilitator_klawasi")
    assert klawasi.get(f"/api/v1/persons/{remu.pk}/").status_code == 404
    assert klawasi.patch(f"/api/v1/persons/{remu.pk}/", {"phone": "0811111111"},
                         format="json").status_code == 404
    assert klawasi.get("/api/v1/persons/", {"q": "markus"}).json()["results"] == []
    assert klawasi.get("/api/v1/persons/", {"q": remu.nik}).json()["results"] == []
    assert api_for("facilitator_remu").get(f"/api/v1/persons/{remu.pk}/").status_code == 200


def test_liaison_cannot_register(api_for):
    response = api_for("liaison").post("/api/v1/persons/", body(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_patch_updates_and_validates(api_for, register_person):
    person = register_person()
    client = api_for("operator_sorong")
    response = client.patch(f"/api/v1/persons/{person.pk}/", {"phone": "0813 1111 2222"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "081311112222"
    response = client.patch(f"/api/v1/persons/{person.pk}/", {"birth_date": "2999-01-01"}, format="json")
    assert response.status_code == 400
    assert "birth_date" in response.json()["error"]["fields"]


def test_bad_types_name_the_field(api_for):
    response = api_for("operator_sorong").post(
        "/api/v1/persons/", body(birth_date="15/08/1990", sex="L", declared_income_idr=-5), format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"birth_date", "sex", "declared_income_idr"} <= set(fields)


def test_idempotency_key_replays_and_refuses_reuse(api_for):
    client = api_for("operator_sorong")
    first = client.post("/api/v1/persons/", body(), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post("/api/v1/persons/", body(), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Person.objects.count() == 1
    other = client.post("/api/v1/persons/", body(full_name="Lain"), format="json",
                        HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 422


def test_cursor_pagination(api_for, register_person):
    for i in range(3):
        register_person(full_name=f"Orang {i}", birth_date=dt.date(1980, 1, 1),
                        nik=make_nik(birth_date=dt.date(1980, 1, 1), sex="M", serial=100 + i))
    client = api_for("operator_sorong")
    page = client.get("/api/v1/persons/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_auditor_reads_are_logged(api_for, register_person):
    from jaring.core.models import AuditEvent

    person = register_person()
    client = api_for("auditor")
    client.get(f"/api/v1/persons/{person.pk}/")
    client.get("/api/v1/persons/")
    assert AuditEvent.objects.filter(actor__username="auditor", action="person.view").count() == 1
    assert AuditEvent.objects.filter(actor__username="auditor", action="person.list").count() == 1


def test_me_regions_households_and_schema(api_for):
    client = api_for("facilitator_remu")
    me = client.get("/api/v1/me/").json()
    assert me["role"] == "facilitator" and me["areas"][0]["code"] == REMU
    regions = client.get("/api/v1/regions/", {"level": "district"}).json()
    assert len(regions) == 10
    assert client.get("/api/v1/regions/92.71.01.1008/").json()["code"] == REMU
    operator = api_for("operator_sorong")
    created = operator.post("/api/v1/households/", {"kk_number": "9271010203150008",
                                                    "kelurahan_code": REMU, "welfare_decile": 2,
                                                    "decile_source": "P3KE"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["kk_number"] == "9271********0008"
    liaison_view = api_for("liaison").get(f"/api/v1/households/{created.json()['id']}/").json()
    assert "welfare_decile" not in liaison_view
    assert api_for("facilitator_klawasi").get(
        f"/api/v1/households/{created.json()['id']}/").status_code == 404
    assert operator.get("/api/v1/schema/").status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_known_nik_leaves_no_trace_in_clear(api_for, settings):
    """Write a NIK through the API; neither the database files (incl. WAL) nor any column hold it."""
    client = api_for("operator_sorong")
    assert client.post("/api/v1/persons/", body(), format="json").status_code == 201
    needle = NIK.encode()
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                with open(f"{path}{suffix}", "rb") as handle:
                    assert needle not in handle.read(), f"NIK in clear in {path}{suffix}"
            except FileNotFoundError:
                pass
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode()
                    assert needle not in raw, f"NIK in clear in table {table}"


def test_search_pages_by_offset(api_for, register_person):
    for i in range(3):
        register_person(full_name=f"Naomi {i} Korwa", birth_date=dt.date(1990, 3, 1 + i), sex="F")
    client = api_for("operator_sorong")
    first = client.get("/api/v1/persons/", {"q": "korwa", "page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert [p["full_name"] for p in second["results"]] == ["Naomi 2 Korwa"] and second["next"] is None
