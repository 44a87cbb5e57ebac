"""Forms an operator cannot get wrong (issue 14, point 4): the error summary, the required marker,
identifiers masked on edit forms, and changing a NIK as its own audited action."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from conftest import REMU
from jaring.core.models import AuditEvent
from jaring.registry.identity import mask_identifier
from jaring.registry.models import Person
from jaring.registry.testing import make_nik

BORN = dt.date(1985, 3, 14)


@pytest.fixture
def login(client, personas):  # type: ignore[no-untyped-def]
    def as_(username: str):  # type: ignore[no-untyped-def]
        client.force_login(personas[username])
        return client
    return as_


def _summary(body: str) -> str:
    match = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', body, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def test_two_errors_are_summarised_with_links_to_both_fields(login):
    client = login("operator_sorong")
    response = client.post("/orang/baru/", {
        "nik": make_nik(birth_date=BORN, sex="M", serial=71), "full_name": "", "birth_date": BORN.isoformat(),
        "kelurahan": REMU, "disability": "none"})  # no name, no sex
    assert response.status_code == 200
    body = response.content.decode()
    summary = _summary(body)
    assert "Ada 2 isian yang perlu diperbaiki:" in summary
    assert 'href="#id_full_name"' in summary and 'href="#id_sex_0"' in summary
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    # Each field's error sits next to it and the input points at it.
    name_input = re.search(r'<input[^>]*name="full_name"[^>]*>', body)
    assert name_input and 'aria-invalid="true"' in name_input.group(0)
    assert 'aria-describedby="id_full_name_error"' in name_input.group(0)
    assert 'id="id_full_name_error"' in body and 'id="id_sex_error"' in body
    assert "{#" not in body and "{%" not in body
    assert not Person.objects.exists()


def test_a_form_only_refusal_is_in_the_summary_too(login):
    client = login("operator_sorong")
    response = client.post("/keluarga/baru/", {"kk_number": "12", "kelurahan": REMU})
    summary = _summary(response.content.decode())
    assert 'href="#id_kk_number"' in summary


def test_required_fields_are_marked(login):
    body = login("operator_sorong").get("/orang/baru/").content.decode()
    for field_id in ("id_nik", "id_full_name", "id_birth_date", "id_kelurahan"):
        label = re.search(rf'<label for="{field_id}">(.*?)</label>', body, re.S)
        assert label and "(wajib)" in label.group(1), field_id
        tag = re.search(rf'<(?:input|select)[^>]*id="{field_id}"[^>]*>', body)
        assert tag and " required" in tag.group(0), field_id
    legend = re.search(r"<legend>Jenis kelamin(.*?)</legend>", body, re.S)
    assert legend and "(wajib)" in legend.group(1)
    assert re.search(r'<input[^>]*name="sex"[^>]*required', body)
    optional = re.search(r'<label for="id_birth_place">(.*?)</label>', body, re.S)
    assert optional and "wajib" not in optional.group(1)


def test_inputs_are_sized_for_phones(login):
    body = login("operator_sorong").get("/orang/baru/").content.decode()
    for name in ("nik", "kk_number", "declared_income_idr"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
        assert tag and 'inputmode="numeric"' in tag.group(0), name
    for name in ("nik", "full_name", "phone"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
        assert tag and "autocomplete=" in tag.group(0), name


def test_a_number_field_gets_a_number_keypad_through_the_shared_partial():
    from django import forms
    from django.template.loader import render_to_string

    class Form(forms.Form):
        months = forms.IntegerField(label="Bulan")

    html = render_to_string("registry/_field.html", {"field": Form()["months"]})
    assert 'inputmode="numeric"' in html and 'type="number"' in html


def test_edit_forms_show_the_nik_and_kk_masked_only(login, register_person):
    kk = "9271010203150007"
    person = register_person(kk_number=kk)
    client = login("operator_sorong")
    body = client.get(reverse("registry:person_edit", args=[person.pk])).content.decode()
    assert person.nik not in body and kk not in body
    assert person.nik_masked in body
    assert 'name="nik"' not in body
    assert reverse("registry:person_change_nik", args=[person.pk]) in body
    household = client.get(reverse("registry:household_edit", args=[person.household_id])).content.decode()
    assert kk not in household and person.household.kk_masked in household
    assert 'name="kk_number"' not in household


def test_editing_other_fields_keeps_the_nik(login, register_person):
    person = register_person(full_name="Markus Osok")
    client = login("operator_sorong")
    response = client.post(reverse("registry:person_edit", args=[person.pk]), {
        "full_name": "Markus Osok Baru", "sex": "M", "birth_date": BORN.isoformat(), "kelurahan": REMU,
        "occupation": "ojek_driver", "phone": "081234567890", "disability": "none"})
    assert response.status_code == 302
    nik = person.nik
    person.refresh_from_db()
    assert person.full_name == "Markus Osok Baru" and person.nik == nik


def _events(action: str, person: Person) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(person.pk)).order_by("pk"))


def test_nik_change_flow(login, register_person):
    person = register_person()
    old_nik = person.nik
    Person.objects.filter(pk=person.pk).update(nik_verification=Person.NikVerification.VERIFIED)
    client = login("operator_sorong")
    url = reverse("registry:person_change_nik", args=[person.pk])

    page = client.get(url).content.decode()
    assert old_nik not in page and person.nik_masked in page

    revealed = client.post(url, {"reveal": "1"}).content.decode()
    assert old_nik in revealed
    assert len(_events("person.reveal_nik", person)) == 1

    new_nik = make_nik(birth_date=BORN, sex="M", serial=4242)
    response = client.post(url, {"nik": new_nik, "reason": "salah ketik"})
    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    person.refresh_from_db()
    assert person.nik == new_nik
    assert person.nik_verification == Person.NikVerification.UNVERIFIED and person.nik_verified_at is None
    [event] = _events("person.change_nik", person)
    assert event.before["nik"] == mask_identifier(old_nik)
    assert event.after["nik"] == person.nik_masked and event.after["reason"] == "salah ketik"
    assert event.before["nik_verification"] == "verified" and event.after["nik_verification"] == "unverified"
    logged = json.dumps([event.before, event.after])
    assert old_nik not in logged and new_nik not in logged


def test_nik_change_refuses_another_persons_nik(login, register_person):
    person = register_person(full_name="Markus Osok")
    other = register_person(full_name="Yakob Kalami")
    client = login("operator_sorong")
    response = client.post(reverse("registry:person_change_nik", args=[person.pk]),
                           {"nik": other.nik, "reason": "KTP baru"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "Yakob Kalami" in " ".join(form.errors["nik"])
    assert 'href="#id_nik"' in _summary(response.content.decode())
    before = person.nik
    person.refresh_from_db()
    assert person.nik == before
    assert not _events("person.change_nik", person)


def test_nik_change_refuses_an_invalid_nik_on_its_field(login, register_person):
    person = register_person()
    client = login("operator_sorong")
    url = reverse("registry:person_change_nik", args=[person.pk])
    response = client.post(url, {"nik": "3.27E+15", "reason": "x"})
    assert response.status_code == 200
    assert "Excel" in " ".join(response.context["form"].errors["nik"])
    same = client.post(url, {"nik": person.nik, "reason": "x"})
    assert same.context["form"].errors["nik"]
    missing_reason = client.post(url, {"nik": make_nik(birth_date=BORN, sex="M", serial=77)})
    assert "reason" in missing_reason.context["form"].errors
    assert not _events("person.change_nik", person)


def test_nik_change_warns_when_the_nik_does_not_match_the_birth_date(login, register_person):
    person = register_person()
    client = login("operator_sorong")
    url = reverse("registry:person_change_nik", args=[person.pk])
    mismatched = make_nik(birth_date=dt.date(1990, 8, 15), sex="M", serial=88)
    first = client.post(url, {"nik": mismatched, "reason": "KTP baru"})
    assert first.status_code == 200 and first.context["warnings"]
    confirmed = client.post(url, {"nik": mismatched, "reason": "KTP baru", "confirm_warnings": "on"})
    assert confirmed.status_code == 302
    person.refresh_from_db()
    assert person.nik == mismatched


def test_nik_change_of_another_areas_person_is_404(login, register_person, personas):
    from jaring.core.errors import NotFound
    from jaring.registry.services import person_change_nik

    person = register_person(kelurahan=REMU)
    client = login("facilitator_klawasi")
    url = reverse("registry:person_change_nik", args=[person.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reveal": "1"}).status_code == 404
    assert client.post(url, {"nik": make_nik(birth_date=BORN, sex="M", serial=99), "reason": "x"}).status_code == 404
    with pytest.raises(NotFound):
        person_change_nik(actor=personas["facilitator_klawasi"], person=person,
                          nik=make_nik(birth_date=BORN, sex="M", serial=98))
    assert not _events("person.reveal_nik", person)


def test_liaison_cannot_change_a_nik(login, register_person):
    person = register_person()
    response = login("liaison").get(reverse("registry:person_change_nik", args=[person.pk]))
    assert response.status_code == 403


def test_kk_change_flow(login, register_person):
    old_kk, new_kk, taken = "9271010203150007", "9271010203150008", "9271010203150009"
    person = register_person(kk_number=old_kk)
    register_person(kk_number=taken, full_name="Yakob Kalami")
    household = person.household
    client = login("operator_sorong")
    url = reverse("registry:household_change_kk", args=[household.pk])
    assert old_kk not in client.get(url).content.decode()

    assert old_kk in client.post(url, {"reveal": "1"}).content.decode()
    assert AuditEvent.objects.filter(action="household.reveal_kk", object_id=str(household.pk)).count() == 1

    duplicate = client.post(url, {"kk_number": taken, "reason": "KK baru"})
    assert duplicate.status_code == 200 and duplicate.context["form"].errors["kk_number"]
    invalid = client.post(url, {"kk_number": "12", "reason": "KK baru"})
    assert invalid.status_code == 200 and invalid.context["form"].errors["kk_number"]
    assert 'href="#id_kk_number"' in _summary(invalid.content.decode())

    response = client.post(url, {"kk_number": new_kk, "reason": "KK baru"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.kk_number == new_kk
    [event] = AuditEvent.objects.filter(action="household.change_kk", object_id=str(household.pk))
    assert event.before == {"kk": mask_identifier(old_kk)}
    assert event.after == {"kk": mask_identifier(new_kk), "reason": "KK baru"}


def test_kk_change_of_another_areas_household_is_404(login, register_person):
    person = register_person(kk_number="9271010203150007", kelurahan=REMU)
    client = login("facilitator_klawasi")
    url = reverse("registry:household_change_kk", args=[person.household_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reveal": "1"}).status_code == 404
    assert not AuditEvent.objects.filter(action="household.reveal_kk").exists()
