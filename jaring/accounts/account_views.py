"""One's own account (issue 15): details, language, password, API tokens and the second factor;
and asking for a password-reset link by e-mail.

Every page here acts on the signed-in user only: a token id that is not the user's own is "not
found", like anything outside one's area. No capability in the table is about one's own tokens
(``users.manage`` is about other users), so every role manages its own under ``session``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaring.accounts.backends import client_ip
from jaring.accounts.capabilities import capability_required
from jaring.accounts.models import ApiToken
from jaring.accounts.password_views import NewPasswordForm, password_field
from jaring.accounts.passwords import reset_request
from jaring.accounts.selectors import scope_for
from jaring.accounts.services import api_token_create, api_token_revoke, user_requires_2fa, user_totp_reset
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.accounts.user_admin import password_change
from jaring.accounts.views import next_url
from jaring.core.errors import ValidationFailed
from jaring.regions.models import Region

# Characters a typed field never needs and that some databases refuse (PostgreSQL: NUL).
_CONTROL = dict.fromkeys(range(32))
_CONTROL_MARKED = dict.fromkeys(range(32), "\ufffd")


def _clean_text(value: str, limit: int) -> str:
    """A name typed into a box: control characters dropped, cut to ``limit``."""
    return value.translate(_CONTROL).strip()[:limit]


def _clean_identifier(value: str) -> str:
    """What was typed to ask for a reset link, made safe to look up: control characters left inside
    (NUL and the like) become U+FFFD, so "admin\\0" names no account rather than "admin"."""
    return value.strip().translate(_CONTROL_MARKED)[:254]


# --- The account page --------------------------------------------------------------------------

def _account_context(request: AuthenticatedHttpRequest) -> dict[str, object]:
    user = request.user
    scope = scope_for(user)
    areas = list(Region.objects.filter(code__in=scope.codes).select_related("parent").order_by("code"))
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-pk"))
    has_totp = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return {"nav": "account", "areas": areas, "tokens": tokens, "requires_2fa": user_requires_2fa(user),
            "has_totp": has_totp, "languages": settings.LANGUAGES, "token_form": TokenForm()}


@capability_required("session")
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own details, language, password, API tokens and second factor."""
    return render(request, "accounts/account/account.html", _account_context(request))


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Nama token (misalnya: laptop kantor)"), required=False, max_length=100)


@never_cache
@require_POST
@capability_required("session")
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new API token for oneself, shown once on this answer (never stored, never cached)."""
    name = _clean_text(request.POST.get("name", ""), 100)
    token = api_token_create(actor=request.user, user=request.user, name=name)
    response = render(request, "accounts/account/token_created.html", {"nav": "account", "token": token,
                                                                        "name": name})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@capability_required("session")
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of one's own live tokens; another user's (or a revoked one) is not found."""
    token = ApiToken.objects.filter(pk=token_id, user=request.user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(prefix)s… dicabut.") % {"prefix": token.prefix})
    return redirect("account")


class CurrentPasswordForm(forms.Form):
    password = password_field(_("Kata sandi Anda sekarang"), "current-password")


@never_cache
@sensitive_post_parameters("password")
@capability_required("session")
def otp_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Remove one's own second factor (a new phone), after the current password. A role that
    requires it is then sent to enrolment by TwoFactorMiddleware at the next page."""
    user = request.user
    form = CurrentPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if user.check_password(form.cleaned_data["password"]):
            user_totp_reset(actor=user, user=user)
            if user_requires_2fa(user):
                return redirect("otp_enrol")
            messages.success(request, _("Verifikasi dua langkah Anda sudah dihapus."))
            return redirect("account")
        form.add_error("password", _("Kata sandi salah."))
    return render(request, "accounts/account/otp_reset.html", {"nav": "account", "form": form,
                                                               "requires_2fa": user_requires_2fa(user)})


# --- Changing one's password --------------------------------------------------------------------

class PasswordChangeForm(NewPasswordForm):
    old_password = password_field(_("Kata sandi lama"), "current-password")

    field_order = ["old_password", "new_password1", "new_password2"]


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@capability_required("session")
def password_change_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change one's own password (the old one first; the validators on the new one). The session
    stays signed in; other sessions of the user end (their password hash no longer matches)."""
    user = request.user
    forced = user.must_change_password
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(actor=user, old=form.cleaned_data["old_password"],
                            new=form.cleaned_data["new_password1"])
        except ValidationFailed as exc:
            fields = exc.fields or {"": [exc.message]}
            for field, refusals in fields.items():
                for message in refusals:
                    form.add_error(field if field in form.fields else None, str(message))
        else:
            update_session_auth_hash(request, user)
            return render(request, "accounts/account/password_changed.html",
                          {"nav": "account", "next": next_url(request), "forced": forced})
    return render(request, "accounts/account/password_change.html",
                  {"nav": "account", "form": form, "forced": forced, "next": next_url(request)})


# --- Asking for a reset link ----------------------------------------------------------------------

class ResetRequestForm(forms.Form):
    identifier = forms.CharField(label=_("Nama pengguna atau alamat surel"), strip=True,
                                 error_messages={"required": _("Isi nama pengguna atau alamat surel Anda.")},
                                 widget=forms.TextInput(attrs={"autocomplete": "username",
                                                               "autocapitalize": "none", "maxlength": 254}))


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a link by e-mail. The answer is one page whatever was typed: an unknown name, an
    account without an e-mail address, an inactive or throttled one and a sent link look the same
    (``accounts.passwords.reset_request``)."""
    form = ResetRequestForm()
    if request.method == "POST":
        # Whatever was typed (10 KB, NUL bytes, odd text) gets the same answer; only an empty box
        # is sent back.
        identifier = _clean_identifier(str(request.POST.get("identifier", "")))
        if identifier:
            reset_request(identifier=identifier, base_url=request.build_absolute_uri("/"), ip=client_ip(request))
            return render(request, "accounts/account/password_reset_sent.html",
                          {"minutes": settings.JARING_PASSWORD_RESET_MINUTES})
        form = ResetRequestForm({"identifier": ""})
    return render(request, "accounts/account/password_reset.html", {"form": form})
