import datetime as dt

import pytest
from django.urls import reverse

from conftest import KLAWASI, PASSWORD, REMU
from jaring.core.models import AuditEvent
from jaring.registry.models import Person


@pytest.fixture
def login(client, personas):  # type: ignore[no-untyped-def]
    def as_(username: str):  # type: ignore[no-untyped-def]
        client.force_login(personas[username])
        return client
    return as_


def test_pages_need_login(client, db):
    for url in ("/", "/orang/", "/orang/baru/"):
        response = client.get(url)
        assert response.status_code == 302 and "/masuk/" in response["Location"]


@pytest.mark.parametrize("username", ["admin_sorong", "operator_sorong", "facilitator_remu", "liaison", "auditor"])
def test_every_role_sees_home_list_and_detail(login, register_person, username):
    person = register_person(full_name="Markus Osok", kelurahan=REMU)
    client = login(username)
    home = client.get("/")
    assert home.status_code == 200 and "orang terdaftar" in home.content.decode()
    listing = client.get("/orang/", {"q": "markus"})
    assert "Markus Osok" in listing.content.decode()
    detail = client.get(reverse("registry:person_detail", args=[person.pk]))
    assert detail.status_code == 200
    assert person.nik not in detail.content.decode()
    assert person.nik_masked in detail.content.decode()


def test_facilitator_outside_area_gets_404_and_never_sees(login, register_person):
    remu = register_person(full_name="Markus Osok", kelurahan=REMU)
    client = login("facilitator_klawasi")
    assert client.get(reverse("registry:person_detail", args=[remu.pk])).status_code == 404
    assert client.get(reverse("registry:person_edit", args=[remu.pk])).status_code == 404
    assert client.post(reverse("registry:person_reveal_nik", args=[remu.pk])).status_code == 404
    assert client.get(reverse("registry:household_detail", args=[remu.household_id or 0])).status_code == 404
    page = client.get("/orang/", {"q": "markus"}).content.decode()
    assert "Markus Osok" not in page
    assert "Markus Osok" not in client.get("/orang/", {"q": remu.nik}).content.decode()
    assert "Remu" not in client.get("/orang/").content.decode()


def test_liaison_sees_no_poverty_data_and_cannot_register(login, register_person, personas):
    from jaring.registry.services import HouseholdInput, household_create

    household = household_create(actor=personas["operator_sorong"], data=HouseholdInput.of(
        kk_number="9271010203150007", kelurahan=REMU, welfare_decile=1, decile_source="P3KE", pkh_beneficiary=True))
    register_person(kk_number="9271010203150007")
    client = login("liaison")
    listing = client.get("/orang/").content.decode()
    assert "Desil" not in listing
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "Desil" not in page and "PKH" not in page
    assert client.get("/orang/baru/").status_code == 403


def test_register_through_the_form(login):
    client = login("facilitator_remu")
    data = {"nik": "9271015508900001", "full_name": "Agustina Sawaki", "sex": "F", "birth_date": "1990-08-15",
            "kelurahan": REMU, "occupation": "market_trader", "phone": "0813 4455 6677", "disability": "none",
            "consent_basis": "consent", "consent_date": "2026-11-01"}
    response = client.post("/orang/baru/", data)
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    assert person.phone == "081344556677" and person.created_by.username == "facilitator_remu"


def test_invalid_nik_shows_error_next_to_field_and_keeps_input(login):
    client = login("operator_sorong")
    response = client.post("/orang/baru/", {"nik": "3.27E+15", "full_name": "Yakob Kalami", "sex": "M",
                                            "birth_date": "1980-01-01", "kelurahan": REMU, "disability": "none"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "Excel" in " ".join(form.errors["nik"])
    assert 'value="Yakob Kalami"' in response.content.decode()
    assert Person.objects.count() == 0


def test_warning_needs_confirmation_checkbox(login):
    client = login("operator_sorong")
    data = {"nik": "9271015508900001", "full_name": "Agustina Sawaki", "sex": "M", "birth_date": "1990-08-15",
            "kelurahan": REMU, "disability": "none"}
    first = client.post("/orang/baru/", data)
    assert first.status_code == 200 and "perempuan" in first.content.decode()
    assert 'name="confirm_warnings"' in first.content.decode()
    second = client.post("/orang/baru/", {**data, "confirm_warnings": "on"})
    assert second.status_code == 302 and Person.objects.count() == 1


def test_duplicate_nik_links_inside_area(login, register_person):
    existing = register_person(nik="9271011403850001")
    client = login("facilitator_remu")
    response = client.post("/orang/baru/", {"nik": "9271011403850001", "full_name": "Lain", "sex": "M",
                                            "birth_date": "1985-03-14", "kelurahan": REMU, "disability": "none"})
    assert existing.get_absolute_url() in response.content.decode()


def test_facilitator_cannot_pick_kelurahan_outside_area(login):
    client = login("facilitator_remu")
    response = client.post("/orang/baru/", {"nik": "9271011403850001", "full_name": "Lain", "sex": "M",
                                            "birth_date": "1985-03-14", "kelurahan": KLAWASI, "disability": "none"})
    assert response.status_code == 200 and Person.objects.count() == 0
    assert response.context["form"].errors["kelurahan"]


def test_edit_changes_only_changed_fields(login, register_person):
    person = register_person(full_name="Daniel Krey")
    client = login("operator_sorong")
    form = client.get(reverse("registry:person_edit", args=[person.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"phone": "081200000000", "birth_date": person.birth_date.isoformat()})
    response = client.post(reverse("registry:person_edit", args=[person.pk]), data)
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="person.update").get()
    assert set(event.after) == {"phone"}


def test_reveal_nik_is_audited(login, register_person):
    person = register_person(nik="9271011403850009")
    client = login("operator_sorong")
    response = client.post(reverse("registry:person_reveal_nik", args=[person.pk]), HTTP_HX_REQUEST="true")
    assert "9271011403850009" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.reveal_nik", object_id=str(person.pk)).count() == 1
    assert client.get(reverse("registry:person_reveal_nik", args=[person.pk])).status_code == 405


def test_script_in_name_is_escaped(login, register_person):
    person = register_person(full_name="<script>alert(1)</script> Yakob")
    client = login("operator_sorong")
    for url in (reverse("registry:person_detail", args=[person.pk]), "/orang/?q=yakob"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_auditor_reads_are_logged(login, register_person):
    person = register_person()
    client = login("auditor")
    client.get(reverse("registry:person_detail", args=[person.pk]))
    client.get("/orang/")
    assert AuditEvent.objects.filter(actor__username="auditor", action="person.view").count() == 1
    assert AuditEvent.objects.filter(actor__username="auditor", action="person.list").count() == 1


def test_list_query_count_does_not_grow_with_rows(login, register_person, django_assert_max_num_queries):
    from jaring.registry.testing import make_nik

    for i in range(30):
        born = dt.date(1980, 1, 1 + i % 28)
        register_person(full_name=f"Orang {i:02d} Malak", birth_date=born,
                        nik=make_nik(birth_date=born, sex="M", serial=500 + i))
    client = login("facilitator_remu")
    with django_assert_max_num_queries(12):
        response = client.get("/orang/", {"q": "malak"})
    assert response.context["total"] == 30


def test_lockout_after_five_failures(client, personas):
    for _ in range(5):
        client.post("/masuk/", {"username": "operator_sorong", "password": "salah-salah-salah"})
    response = client.post("/masuk/", {"username": "operator_sorong", "password": PASSWORD})
    assert response.status_code == 200
    assert "dikunci" in response.content.decode()
    # The first JARING_LOGIN_PAIR_FREE (3) failures count; the attempts after them are throttled.
    assert AuditEvent.objects.filter(action="login.failed").count() == 3
    assert AuditEvent.objects.filter(action="login.throttled").count() == 3


def test_login_and_language_switch(client, personas):
    response = client.post("/masuk/", {"username": "operator_sorong", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert home["Content-Language"] == "id"  # the office language, whatever the browser says
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/")["Content-Language"] == "en"


def test_household_pages(login, personas):
    client = login("operator_sorong")
    response = client.post(reverse("registry:household_create"), {
        "kk_number": "9271010203150007", "address": "Jl. Basuki Rahmat No. 3", "kelurahan": REMU,
        "welfare_decile": "2", "decile_source": "P3KE", "decile_date": "2025-06-01", "pkh_beneficiary": "on"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "9271********0007" in page and "Basuki Rahmat" in page
    bad = client.post(reverse("registry:household_create"), {"kk_number": "123", "kelurahan": REMU})
    assert bad.status_code == 200 and bad.context["form"].errors["kk_number"]
