"""The language a user chooses is stored on the user and comes back at the next login, on any device
(issue 14, point 7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from conftest import PASSWORD
from jaring.accounts.models import User
from jaring.accounts.services import user_set_language
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def log_in(client: Client, username: str) -> None:
    response = client.post("/masuk/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def language_of(client: Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return str(response["Content-Language"])


def test_switch_log_out_log_in_elsewhere_speaks_english(personas: dict[str, Any]) -> None:
    office = Client()
    log_in(office, "facilitator_remu")
    assert language_of(office) == "id"
    response = office.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert language_of(office) == "en"
    user = User.objects.get(username="facilitator_remu")
    assert user.language == "en"
    event = AuditEvent.objects.get(action="user.set_language", object_id=str(user.pk))
    assert event.before == {"language": ""} and event.after == {"language": "en"}

    office.post("/keluar/")
    assert language_of(office, "/masuk/") == "en"  # the login page after a logout, in the same browser

    # Another browser (or the same one with its cookies gone), Indonesian until the login.
    phone = Client()
    assert language_of(phone, "/masuk/") == "id"
    log_in(phone, "facilitator_remu")
    page = phone.get("/")
    assert page["Content-Language"] == "en" and '<html lang="en"' in page.content.decode()
    assert phone.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"  # kept for the login page
    phone.post("/keluar/")
    assert language_of(phone, "/masuk/") == "en"


def test_the_stored_choice_beats_an_old_cookie_and_switching_back_is_stored(personas: dict[str, Any]) -> None:
    user_set_language(actor=personas["facilitator_remu"], language="en")
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    log_in(browser, "facilitator_remu")
    assert language_of(browser) == "en"
    browser.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert language_of(browser) == "id"
    assert User.objects.get(username="facilitator_remu").language == "id"


def test_nothing_stored_for_a_visitor_or_a_bad_code(personas: dict[str, Any]) -> None:
    visitor = Client()
    response = visitor.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"})
    assert response.status_code == 302
    assert language_of(visitor, "/masuk/") == "en"
    assert not User.objects.exclude(language="").exists()

    office = Client()
    log_in(office, "facilitator_remu")
    assert office.post("/i18n/setlang/", {"language": "xx", "next": "/"}).status_code == 302
    assert office.get("/i18n/setlang/").status_code in (302, 204)
    assert User.objects.get(username="facilitator_remu").language == ""
    assert language_of(office) == "id"
    assert not AuditEvent.objects.filter(action="user.set_language").exists()


def test_the_service_writes_only_a_change(personas: dict[str, Any]) -> None:
    user = personas["operator_sorong"]
    assert user_set_language(actor=user, language="en") is True
    assert user_set_language(actor=user, language="en") is False
    assert user_set_language(actor=user, language="fr") is False
    assert AuditEvent.objects.filter(action="user.set_language").count() == 1
    assert User.objects.get(pk=user.pk).language == "en"
