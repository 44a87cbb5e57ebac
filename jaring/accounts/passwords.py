"""Password-reset links: made for an admin to hand over, or sent by e-mail on request (issue 15).

A link holds the user's id and a token signed with the secret key over the user's password hash,
last login and the time it was made (Django's ``PasswordResetTokenGenerator`` with our own salt and
lifetime): it stops working after ``JARING_PASSWORD_RESET_MINUTES``, and once used — setting a
password changes the hash the token was signed over, so the same link never works twice, nor does
any older link.

A request by e-mail answers the same whatever was typed: whether an account exists, has an e-mail
address or is inactive is never shown. Requests for one account are limited
(``JARING_PASSWORD_RESET_PER_HOUR``), as are requests from one address
(``JARING_PASSWORD_RESET_PER_IP_HOUR``) so nobody can flood a mailbox; every request is in the trail.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from jaring.accounts.models import User
from jaring.core.audit import audit_log

ANONYMOUS = "anonymous"
logger = logging.getLogger(__name__)


class ResetTokens(PasswordResetTokenGenerator):
    key_salt = "jaring.accounts.passwords.ResetTokens"

    def check_token(self, user: Any, token: str | None) -> bool:
        """Django's check (signature, then its own, longer, PASSWORD_RESET_TIMEOUT), then our lifetime."""
        if not token or not super().check_token(user, token):
            return False
        made = base36_to_int(token.split("-", 1)[0])
        return self._num_seconds(self._now()) - made <= settings.JARING_PASSWORD_RESET_MINUTES * 60

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        # The password hash (changes when the link is used), the last login, and whether the
        # account is active: a deactivated account's links die with it.
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}{user.password}{login}{timestamp}{int(user.is_active)}"


def _tokens() -> ResetTokens:
    return ResetTokens()


def reset_path(user: User) -> str:
    """The path of a fresh one-time link for ``user`` (the caller audits it)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": _tokens().make_token(user)})


def user_for_link(uidb64: str, token: str) -> User | None:
    """The active user a link is valid for, or None (unknown, expired, used, or tampered with)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64[:32]).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not _tokens().check_token(user, token[:100]):
        return None
    return user


def reset_request(*, identifier: str, base_url: str, ip: str | None = None) -> None:
    """Send a reset link to the e-mail address of each active account named by ``identifier``
    (a username or an e-mail address). Always returns nothing: the caller shows one answer."""
    identifier = (identifier or "").strip()[:254]
    if not identifier:
        return
    from jaring.core.models import AuditEvent

    since = timezone.now() - dt.timedelta(hours=1)
    if ip and AuditEvent.objects.filter(action="password_reset.request", ip=ip, at__gte=since).count() \
            >= settings.JARING_PASSWORD_RESET_PER_IP_HOUR:
        # One address asking for many accounts' links: nothing is looked up or sent for an hour.
        audit_log(actor=ANONYMOUS, action="password_reset.throttled", object_type="accounts.user",
                  after={"scope": "ip"})
        return
    users = list(User.objects.filter(is_active=True).exclude(email="")
                 .filter(Q(username=identifier) | Q(email__iexact=identifier))[:5])
    if not users:
        audit_log(actor=ANONYMOUS, action="password_reset.request", object_type="accounts.user",
                  after={"sent": False})
        return
    for user in users:
        recent = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk),
                                           action="password_reset.request", at__gte=since).count()
        if recent >= settings.JARING_PASSWORD_RESET_PER_HOUR:
            audit_log(actor=ANONYMOUS, action="password_reset.throttled", obj=user)
            continue
        link = base_url.rstrip("/") + reset_path(user)
        minutes = settings.JARING_PASSWORD_RESET_MINUTES
        subject = _("Atur ulang kata sandi %(app)s") % {"app": settings.JARING_OFFICE_NAME}
        body = _("Halo %(name)s,\n\nSeseorang (semoga Anda) meminta atur ulang kata sandi akun %(username)s. "
                 "Buka tautan ini dalam %(minutes)s menit untuk membuat kata sandi baru; tautan hanya "
                 "berlaku sekali:\n\n%(link)s\n\nJika Anda tidak memintanya, abaikan surel ini: kata sandi "
                 "Anda tidak berubah.\n") % {"name": user.name, "username": user.username,
                                              "minutes": minutes, "link": link}
        try:
            send_mail(subject, body, None, [user.email], fail_silently=False)
        except Exception:  # a mail server down must not tell the visitor the account exists
            logger.exception("password reset e-mail to user %s failed", user.pk)
            audit_log(actor=ANONYMOUS, action="password_reset.request", obj=user, after={"sent": False,
                                                                                          "error": "mail"})
            continue
        audit_log(actor=ANONYMOUS, action="password_reset.request", obj=user, after={"sent": True})
