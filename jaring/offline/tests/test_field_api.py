"""The field app's server side (decision 0039): the area snapshot, the session key, the manifest,
the service worker, the shell, and the logout that wipes the browser."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import KLAWASI, REMU
from jaring.accounts.testing import OtpClient
from jaring.core.tests.test_page_weight import served, static_root  # noqa: F401 - fixtures: a server's static files

pytestmark = pytest.mark.django_db

SNAPSHOT = "/api/v1/field/snapshot/"
KEY = "/api/v1/field/key/"
OTHERS = ["admin_sorong", "operator_sorong", "liaison", "auditor"]


@pytest.fixture
def remu(personas: dict[str, Any], register_person: Any, payers: dict[str, Any]) -> dict[str, Any]:
    """Two persons in one household in Remu, one of them enrolled, and one person in Klawasi."""
    from jaring.membership.services import membership_enrol
    from jaring.registry.testing import make_kk

    kk = make_kk(issued=dt.date(2015, 6, 1), serial=41)
    head = register_person(full_name="Yakobus Malibela", kk_number=kk, relationship="head", phone="081233300011")
    wife = register_person(full_name="Naomi Malibela", sex="F", birth_date=dt.date(1990, 2, 3), kk_number=kk,
                           relationship="spouse")
    other = register_person(full_name="Hasan Klawasi", kelurahan=KLAWASI, phone="081299900022")
    membership = membership_enrol(actor=personas["operator_sorong"], person=head, payer=payers["self"],
                                  programs="JKK,JKM", declared_income_idr=1_000_000,
                                  start_date=dt.date.today(), kpj="26000000123")
    return {"head": head, "wife": wife, "other": other, "kk": kk, "membership": membership}


def _logged_in(user: Any) -> OtpClient:
    client = OtpClient()
    client.force_login(user)
    return client


def test_the_snapshot_is_the_facilitators_area_with_identifiers_masked(personas, remu):
    client = _logged_in(personas["facilitator_remu"])
    response = client.get(SNAPSHOT)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    data = json.loads(body)
    names = {p["name"] for p in data["persons"]}
    assert names == {"Yakobus Malibela", "Naomi Malibela"}  # Klawasi's person is not there
    assert "Hasan Klawasi" not in body and "081299900022" not in body
    for person in (remu["head"], remu["wife"], remu["other"]):
        assert person.nik not in body and person.nik[:12] not in body
    assert remu["kk"] not in body and remu["kk"][:12] not in body
    head = next(p for p in data["persons"] if p["id"] == remu["head"].pk)
    assert head["nik"] == remu["head"].nik_masked and "*" in head["nik"]
    assert data["households"] == [{"id": remu["head"].household_id, "kk": remu["head"].household.kk_masked,
                                   "address": "", "kelurahan": REMU}]
    assert [(m["person"], m["status"]) for m in data["memberships"]] == [(remu["head"].pk, "active")]
    assert data["user"]["username"] == "facilitator_remu"
    assert data["max_days"] == 7 and data["truncated"] is False and data["synced_at"]
    assert [k["code"] for k in data["options"]["kelurahan"]] == [REMU]
    assert [p["code"] for p in data["options"]["payers"]] == ["MANDIRI"]  # a facilitator enrols self-payers
    assert data["options"]["brackets_idr"] and all(isinstance(b, int) for b in data["options"]["brackets_idr"])
    # No poverty data, no KPJ on a phone.
    assert "welfare_decile" not in body and "26000000123" not in body


def test_the_other_facilitator_sees_only_klawasi(personas, remu):
    data = _logged_in(personas["facilitator_klawasi"]).get(SNAPSHOT).json()
    assert [p["name"] for p in data["persons"]] == ["Hasan Klawasi"]
    assert data["households"] == [] and data["memberships"] == []


def test_protection_in_the_snapshot_is_the_person_pages_answer(personas, remu):
    from jaring.contributions.selectors import protection

    data = _logged_in(personas["facilitator_remu"]).get(SNAPSHOT).json()
    state = protection(person=remu["head"])
    row = data["memberships"][0]
    assert row["protected"] == state.protected
    assert row["protected_text"] == state.message.text("id")


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_get_no_snapshot_and_no_key(personas, remu, username):
    client = _logged_in(personas[username])
    assert client.get(SNAPSHOT).status_code == 403
    assert client.get(KEY).status_code == 403
    assert "jaring_offline_key" not in client.session.keys()  # noqa: SIM118 - a SessionBase


def test_anonymous_gets_401(remu):
    assert OtpClient().get(SNAPSHOT).status_code == 401
    assert OtpClient().get(KEY).status_code == 401


def test_the_snapshot_reads_in_a_fixed_number_of_queries(personas, register_person, payers):
    from jaring.membership.services import membership_enrol

    client = _logged_in(personas["facilitator_remu"])
    counts = []
    for batch in range(2):
        for n in range(3 * batch + 1):
            person = register_person(full_name=f"Orang {batch}{n}")
            membership_enrol(actor=personas["operator_sorong"], person=person, payer=payers["self"],
                             programs="JKK,JKM", declared_income_idr=1_000_000, start_date=dt.date.today(),
                             kpj=f"2600000{batch}{n:03d}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SNAPSHOT).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_snapshot_is_bounded(personas, register_person, settings):
    settings.JARING_OFFLINE_MAX_PERSONS = 2
    for n in range(3):
        register_person(full_name=f"Orang {n}")
    data = _logged_in(personas["facilitator_remu"]).get(SNAPSHOT).json()
    assert len(data["persons"]) == 2 and data["truncated"] is True


def test_the_key_lives_in_the_session(personas):
    user = personas["facilitator_remu"]
    client = _logged_in(user)
    first = client.get(KEY)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    key = first.json()
    assert len(key["key"]) == 43 and key["user"] == user.pk and key["csrf"]
    assert client.get(KEY).json()["key"] == key["key"]  # stable within the session
    assert _logged_in(user).get(KEY).json()["key"] != key["key"]  # another session, another key
    client.post("/keluar/")
    assert client.get(KEY).status_code == 401  # gone with the session
    client.force_login(user)
    assert client.get(KEY).json()["key"] != key["key"]


def test_an_api_token_gets_no_key(api_client_for):
    response = api_client_for("facilitator_remu").get(KEY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "session_required"


def test_the_field_apps_posts_use_the_session_csrf_and_are_idempotent(personas):
    """The browser's way: session cookie, the CSRF token the key endpoint gives, a UUID key."""
    from django.test import Client

    from jaring.registry.models import Person
    from jaring.registry.testing import make_nik

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["facilitator_remu"])
    body = {"nik": make_nik(birth_date=dt.date(1991, 5, 6), sex="M", serial=777), "full_name": "Petrus Kalami",
            "birth_date": "1991-05-06", "sex": "M", "kelurahan_code": REMU, "data_source": "field_survey"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "0b8c4c1e-56a4-4b7e-9d0a-3a1f5b1c2d3e"}
    refused = client.post("/api/v1/persons/", body, content_type="application/json", **headers)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    csrf = client.get(KEY).json()["csrf"]
    first = client.post("/api/v1/persons/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf, **headers)
    again = client.post("/api/v1/persons/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf, **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Person.objects.filter(full_name="Petrus Kalami").count() == 1


def test_the_manifest(personas):
    client = _logged_in(personas["facilitator_remu"])
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["name"] == "Jaring Lapangan" and data["start_url"] == "/lapangan/"
    assert data["display"] == "standalone" and data["scope"] == "/lapangan/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon


def test_the_service_worker(personas):
    from django.templatetags.static import static

    from jaring.offline import views

    client = _logged_in(personas["facilitator_remu"])
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-store"  # never stale: every update check reaches the server
    script = response.content.decode()
    for name in ("offline/field.js", "vendor/idb.umd.js", "offline/field.css", "vendor/pico.min.css"):
        assert json.dumps(static(name)) in script or f'"{static(name)}"' in script, name
    assert '"/lapangan/"' in script and '"/manifest.webmanifest"' in script
    assets = json.loads(script.split("var ASSETS = ")[1].split(";\n")[0])
    assert assets == [static(name) for name in views.SHELL_STATIC] + ["/manifest.webmanifest"]  # never the API
    assert client.get("/sw.js").content == response.content  # one version until something changes


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_get_no_worker_no_manifest_and_a_notice(personas, username):
    client = _logged_in(personas[username])
    assert client.get("/sw.js").status_code == 403
    assert client.get("/manifest.webmanifest").status_code == 403
    page = client.get("/lapangan/")
    assert page.status_code == 403
    html = page.content.decode()
    assert "hanya untuk pendamping" in html
    assert "manifest" not in html and "field.js" not in html and "X-Jaring-Shell" not in page.headers


def test_the_shell(personas, remu):
    client = _logged_in(personas["facilitator_remu"])
    response = client.get("/lapangan/")
    assert response.status_code == 200
    assert response["X-Jaring-Shell"] == "1"
    html = response.content.decode()
    assert 'rel="manifest"' in html and "offline/field.js" in html and "vendor/idb.umd.js" in html
    assert "Yakobus" not in html and remu["head"].nik_masked not in html  # nothing personal in the shell
    assert "Maria Mobalen" not in html  # not even the user's own name: the worker keeps this page
    config = json.loads(html.split('id="field-config" type="application/json">')[1].split("</script>")[0])
    assert config["endpoints"]["person"] == "/api/v1/persons/" and config["key_url"] == KEY


def test_the_shell_needs_a_login(client):
    response = client.get("/lapangan/")
    assert response.status_code == 302 and "/masuk/" in response["Location"]
    assert client.get("/sw.js").status_code == 403


def test_logout_clears_the_browsers_storage(personas):
    client = _logged_in(personas["facilitator_remu"])
    response = client.post("/keluar/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'


def test_the_nav_links_the_field_app_for_facilitators_only(personas):
    assert 'href="/lapangan/"' in _logged_in(personas["facilitator_remu"]).get("/").content.decode()
    assert 'href="/lapangan/"' not in _logged_in(personas["operator_sorong"]).get("/").content.decode()


def test_hostile_parameters_change_nothing(personas, remu):
    client = _logged_in(personas["facilitator_remu"])
    plain = client.get(SNAPSHOT).json()
    hostile = client.get(SNAPSHOT, {"kelurahan": KLAWASI, "user": "1", "limit": "9" * 40, "q": "x" * 5000}).json()
    assert [p["id"] for p in hostile["persons"]] == [p["id"] for p in plain["persons"]]
    assert client.post(SNAPSHOT, {}).status_code == 405
    assert client.post(KEY, {}).status_code == 405


def test_every_field_route_has_the_csp_no_store_and_no_inline_code(personas, remu):
    from jaring.core.security import CONTENT_SECURITY_POLICY
    from tests.security.test_web_hardening import inline_code

    for user in personas.values():
        client = _logged_in(user)
        for url in ("/lapangan/", "/manifest.webmanifest", "/sw.js", SNAPSHOT, KEY):
            response = client.get(url)
            assert response.status_code in (200, 400, 403), (user.username, url)
            assert response["Cache-Control"] == "no-store", url
            assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
            if response["Content-Type"].startswith("text/html"):
                assert inline_code(response.content.decode()) == [], (user.username, url)


@pytest.mark.usefixtures("served")
def test_with_hashed_static_names_the_worker_precaches_what_the_shell_loads(personas):
    """Under a server's storage (decision 0037) the precache list holds the hashed names the shell
    links, and each is served."""
    from jaring.core.tests.test_page_weight import HASHED

    client = _logged_in(personas["facilitator_remu"])
    script = client.get("/sw.js").content.decode()
    assets = json.loads(script.split("var ASSETS = ")[1].split(";\n")[0])
    files = [a for a in assets if a.startswith("/static/")]
    assert len(files) == 8 and all(HASHED.search(a) for a in files), files
    shell = client.get("/lapangan/").content.decode()
    assert all(a in shell for a in files if "icon-512" not in a)
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) if response.streaming else response.content
