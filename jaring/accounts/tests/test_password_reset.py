"""A password-reset link by e-mail (issue 15, point 3): sent only to an active account's address,
one answer whatever was typed, single-use and short-lived links, a limit per account."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client, override_settings

from conftest import PASSWORD
from jaring.accounts.models import User
from jaring.accounts.passwords import reset_path
from jaring.accounts.services import user_set_active
from jaring.accounts.user_admin import password_change, user_update
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db

FORGOT = "/masuk/lupa/"
NEW_PASSWORD = "kelapa-muda-di-pantai-tanjung-kasuari"
EMAIL = "yohana.remu@example.org"
LINK = re.compile(r"https?://[^/\s]+(/masuk/atur-ulang/[^/\s]+/[^/\s]+/)")
# The per-response CSRF token (masked differently on every page) is the only part allowed to differ.
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]+')


@pytest.fixture
def with_email(personas: dict[str, Any]) -> User:
    user: User = personas["facilitator_remu"]
    user_update(actor=None, user=user, email=EMAIL)
    return user


def ask(client: Client, identifier: str) -> Any:
    return client.post(FORGOT, {"identifier": identifier})


def normalised(response: Any) -> tuple[int, str]:
    return response.status_code, CSRF.sub(r"\1-", response.content.decode())


def link_in_mail(index: int = -1) -> str:
    match = LINK.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(1)


def test_the_login_page_links_to_the_request() -> None:
    assert 'href="/masuk/lupa/"' in Client().get("/masuk/").content.decode()
    assert Client().get(FORGOT).status_code == 200


@pytest.mark.parametrize("typed", ["facilitator_remu", EMAIL.upper()])
def test_an_account_with_an_address_gets_one_link(with_email: User, typed: str) -> None:
    response = ask(Client(), typed)
    assert response.status_code == 200 and 'id="reset-sent"' in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]
    assert "facilitator_remu" in mail.outbox[0].body
    assert link_in_mail().startswith("/masuk/atur-ulang/")
    assert AuditEvent.objects.filter(action="password_reset.request", object_id=str(with_email.pk)).count() == 1


def test_the_link_works_once(with_email: User) -> None:
    ask(Client(), "facilitator_remu")
    path = link_in_mail()
    browser = Client()
    assert browser.get(path).status_code == 200
    done = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 200 and 'id="reset-done"' in done.content.decode()
    with_email.refresh_from_db()
    assert with_email.check_password(NEW_PASSWORD)
    again = browser.get(path)
    assert again.status_code == 400 and 'id="reset-invalid"' in again.content.decode()
    other = "lain-lagi-kata-sandinya-99"
    replay = browser.post(path, {"new_password1": other, "new_password2": other})
    assert replay.status_code == 400
    with_email.refresh_from_db()
    assert with_email.check_password(NEW_PASSWORD)
    assert Client().login(username="facilitator_remu", password=NEW_PASSWORD)


def test_the_no_account_answer_is_the_same(personas: dict[str, Any], with_email: User) -> None:
    """A sent link, an unknown name, an account without an address and an inactive account give
    the same status and the same page, and only the first sends anything."""
    no_address = personas["facilitator_klawasi"]
    assert not no_address.email
    inactive = personas["liaison"]
    user_update(actor=None, user=inactive, email="liaison@example.org")
    user_set_active(actor=None, user=inactive, active=False)

    sent = normalised(ask(Client(), "facilitator_remu"))
    assert len(mail.outbox) == 1
    for typed in ("tidak-ada-orang-ini", "facilitator_klawasi", "liaison", "liaison@example.org",
                  "nobody@example.org"):
        assert normalised(ask(Client(), typed)) == sent, typed
    assert len(mail.outbox) == 1


def test_an_empty_box_is_sent_back(personas: dict[str, Any]) -> None:
    response = ask(Client(), "   ")
    assert response.status_code == 200 and 'id="reset-sent"' not in response.content.decode()
    assert "Isi nama pengguna atau alamat surel Anda." in response.content.decode()
    assert not mail.outbox


def test_the_link_expires(with_email: User) -> None:
    real_now = PasswordResetTokenGenerator._now

    def later(minutes: int) -> Any:
        return lambda self: real_now(self) + dt.timedelta(minutes=minutes)

    with override_settings(JARING_PASSWORD_RESET_MINUTES=5):
        path = reset_path(with_email)
        with mock.patch.object(PasswordResetTokenGenerator, "_now", later(4)):
            assert Client().get(path).status_code == 200
        with mock.patch.object(PasswordResetTokenGenerator, "_now", later(6)):
            response = Client().get(path)
            assert response.status_code == 400 and 'id="reset-invalid"' in response.content.decode()
            refused = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
            assert refused.status_code == 400
    with_email.refresh_from_db()
    assert with_email.check_password(PASSWORD)


def test_a_link_made_before_a_password_change_is_dead(with_email: User) -> None:
    ask(Client(), "facilitator_remu")
    path = link_in_mail()
    password_change(actor=with_email, old=PASSWORD, new=NEW_PASSWORD)
    assert Client().get(path).status_code == 400


def test_a_link_dies_with_a_deactivated_account(with_email: User) -> None:
    path = reset_path(with_email)
    user_set_active(actor=None, user=with_email, active=False)
    assert Client().get(path).status_code == 400


@override_settings(JARING_PASSWORD_RESET_PER_HOUR=2)
def test_an_account_gets_a_few_links_an_hour(with_email: User) -> None:
    answers = {normalised(ask(Client(), "facilitator_remu")) for _ in range(4)}
    assert len(answers) == 1  # throttled or not, the same page
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="password_reset.throttled", object_id=str(with_email.pk)).count() == 2


@pytest.mark.parametrize("body", [
    b"identifier=" + b"a" * 10240,
    b"identifier=facilitator_remu%00",
    b"identifier=%00%00%00",
    b"identifier=%FF%FE%C0%80facilitator_remu%ED%A0%80",
    b"identifier=" + "\u202eadmin\u0000\ufeff".encode() * 50,
    b"identifier[]=facilitator_remu&identifier=x%0Ay",
])
def test_hostile_input_gets_the_same_answer(with_email: User, body: bytes) -> None:
    expected = normalised(ask(Client(), "tidak-ada-orang-ini"))
    response = Client().post(FORGOT, data=body, content_type="application/x-www-form-urlencoded")
    assert normalised(response) == expected
    assert not mail.outbox  # nothing above names the account exactly


def test_a_reset_link_for_a_logged_in_other_user_logs_them_out(client: Client, personas: dict[str, Any],
                                                                with_email: User) -> None:
    client.force_login(personas["facilitator_klawasi"])
    path = reset_path(with_email)
    response = client.get(path)
    assert response.status_code == 200
    assert client.get("/akun/").status_code == 302
