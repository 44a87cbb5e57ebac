from __future__ import annotations

from base64 import b32encode
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views import i18n as i18n_views
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaring.accounts.capabilities import capability_required
from jaring.accounts.home import cards_for
from jaring.accounts.selectors import scope_for
from jaring.accounts.services import (
    otp_devices,
    otp_verify,
    totp_enrol_confirm,
    totp_enrol_start,
    user_requires_2fa,
    user_set_language,
)
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core.middleware import LANGUAGE_SESSION_KEY
from jaring.core.tasks import tasks_for
from jaring.regions.models import Region

# One refusal for every failed password login: an unknown username, a wrong password, an inactive
# account and a throttled or locked one look the same (docs/decisions/0020-login-throttling.md).
LOGIN_REFUSED = _("Nama pengguna atau kata sandi salah, atau akun dikunci sementara setelah terlalu "
                  "banyak percobaan. Coba lagi nanti.")


class LoginForm(AuthenticationForm):
    error_messages = {"invalid_login": LOGIN_REFUSED, "inactive": LOGIN_REFUSED}


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


login_view = LoginView.as_view()


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # What the field app keeps in this browser (IndexedDB, its service worker and cache) leaves
        # with the user (decision 0039).
        response["Clear-Site-Data"] = '"storage"'
        return response


logout_view = LogoutView.as_view()


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie and the redirect), and for a logged-in user the choice
    stored on the user and in the session, so that the next login on any device speaks it."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(actor=request.user, language=language)  # type: ignore[arg-type]
        request.session[LANGUAGE_SESSION_KEY] = language
    return response


def remember_language(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver: the language stored on the user is the session's language."""
    language = str(getattr(user, "language", None) or "")
    if language and request is not None and hasattr(request, "session"):
        request.session[LANGUAGE_SESSION_KEY] = language


def next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class OtpForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=20, strip=True)


@login_required
def login_otp(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of a login: a code from the authenticator app, or a backup code."""
    user = request.user
    # django-otp's OTPMiddleware adds is_verified() to the request's user; no stub knows it.
    if not user_requires_2fa(user) or user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url(request))
    if not otp_devices(user):
        return redirect("otp_enrol")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp_verify(actor=user, code=form.cleaned_data["code"])
        if device is not None:
            request.session.cycle_key()  # a new session id for the now fully verified session
            otp_login(request, device)
            return redirect(next_url(request))
        form.add_error("code", _("Kode salah atau sudah kedaluwarsa. Tunggu kode berikutnya lalu coba lagi."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url(request)})


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@login_required
def otp_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up the authenticator app: the secret as text and as a QR code, confirmed with a code."""
    import segno

    user = request.user
    context: dict[str, object] = {"next": next_url(request)}
    if not user_requires_2fa(user):  # the login asks no code of this role: enrolling would mislead
        return render(request, "accounts/otp_enrol.html", {**context, "not_required": True})
    if any(isinstance(d, TOTPDevice) for d in otp_devices(user)):
        return render(request, "accounts/otp_enrol.html", {**context, "active": True})
    device = totp_enrol_start(actor=user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_enrol_confirm(actor=user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            request.session.cycle_key()
            otp_login(request, device)
            return render(request, "accounts/otp_enrol.html", {**context, "backup_codes": codes})
        form.add_error("code", _("Kode salah. Pastikan jam ponsel tepat lalu masukkan kode yang sedang tampil."))
    title = str(_("Kode QR untuk aplikasi autentikator"))
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, dark="#000", light="#fff", svgclass="qr", title=title)
    return render(request, "accounts/otp_enrol.html", {
        **context, "form": form, "secret": _grouped(b32encode(device.bin_key).decode()),
        "qr": mark_safe(qr),  # noqa: S308 - SVG drawn by segno from the device's own otpauth URL
    })


@capability_required("session")
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's areas, the tasks waiting for them (``core.tasks``), then the cards the apps above
    accounts register (``accounts.home``)."""
    scope = scope_for(request.user)
    areas = list(Region.objects.filter(code__in=scope.codes).select_related("parent").order_by("code"))
    return render(request, "accounts/home.html", {
        "nav": "home", "areas": areas, "tasks": tasks_for(request.user), "cards": cards_for(request),
    })
