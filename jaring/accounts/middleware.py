"""Session lifetime, the second factor and a forced password change, enforced for every web
request in one place."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jaring.accounts.services import user_requires_2fa

# Session keys (Unix seconds): when the user logged in and when they were last seen.
STARTED_KEY = "jaring_auth_at"
SEEN_KEY = "jaring_seen_at"
SEEN_RESOLUTION = 60  # the last-seen time is rewritten at most once a minute


def mark_session_start(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[STARTED_KEY] = now
    request.session[SEEN_KEY] = now


def session_started(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver: the absolute and idle clocks start at the login."""
    if request is not None and hasattr(request, "session"):
        mark_session_start(request)


class SessionTimeoutMiddleware:
    """Ends a logged-in session after JARING_SESSION_IDLE_MINUTES without a request, and in any
    case SESSION_COOKIE_AGE after the login (rewriting the last-seen time would otherwise make
    Django's cookie age a sliding one). Sits before AuthenticationMiddleware: an expired session
    is flushed before anybody reads the user from it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
            idle = settings.JARING_SESSION_IDLE_MINUTES * 60
            if started is None or seen is None:
                mark_session_start(request)
            elif (idle and now - seen > idle) or now - started > settings.SESSION_COOKIE_AGE:
                session.flush()
                request.jaring_session_expired = True  # type: ignore[attr-defined]
            elif now - seen >= SEEN_RESOLUTION:
                session[SEEN_KEY] = now
        return self.get_response(request)


# The pages a logged-in user who still owes the second factor may open.
# The process manager's probes answer whoever asks, whatever their session.
PROBES = frozenset({"healthz", "readyz"})
OPEN_URL_NAMES = frozenset({"login_otp", "otp_enrol", "logout", "set_language"}) | PROBES


class TwoFactorMiddleware:
    """A user whose role is in JARING_2FA_REQUIRED_ROLES is logged in by their password, but
    until the session is verified with a TOTP code (django_otp.login) every page redirects to
    the code page, or to enrolment when they have no device yet, and the session API answers
    401. API tokens are not sessions and are not affected.

    There is no bypass: tests log a persona in with jaring.accounts.testing.OtpClient, which
    verifies the session through a real device as the code page does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if user is not None and user_requires_2fa(user) and not user.is_verified():
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in OPEN_URL_NAMES:
                return self.refuse(request, user)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, user: Any) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            refusal: HttpResponse = JsonResponse({"error": {"code": "not_authenticated", "message": _(
                "Sesi ini belum diverifikasi dengan kode dua langkah.")}}, status=401)
            refusal["WWW-Authenticate"] = 'Bearer realm="api"'
            return refusal
        from django_otp import user_has_device

        target = "login_otp" if user_has_device(user) else "otp_enrol"
        response = redirect(target)
        if request.method == "GET":
            response["Location"] += "?" + urlencode({"next": request.get_full_path()})
        return response


# The pages a logged-in user who still has a temporary password may open: the change page itself,
# the way out, the language switch, the second factor's pages (which come first) and a reset link.
PASSWORD_OPEN_URL_NAMES = frozenset({"password_change", "logout", "set_language", "login_otp", "otp_enrol",
                                     "password_reset_confirm", "favicon"}) | PROBES


class PasswordChangeMiddleware:
    """A user who logged in with a temporary password (``must_change_password``, set when an admin
    resets it) is sent to the password-change page from every page until they chose their own;
    the session API answers 403. API tokens are not sessions and are not affected. Sits after
    TwoFactorMiddleware: the second factor is asked first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and getattr(user, "must_change_password", False)
                and not request.path_info.startswith(settings.STATIC_URL or "/static/")):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in PASSWORD_OPEN_URL_NAMES:
                return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"error": {"code": "password_change_required", "message": _(
                "Ganti dulu kata sandi sementara Anda di halaman Akun, lalu coba lagi.")}}, status=403)
        target = reverse("password_change")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):  # htmx would swap the whole page into a fragment
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
