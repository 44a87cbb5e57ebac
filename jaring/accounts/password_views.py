"""Setting a new password from a one-time link (``accounts.passwords``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from jaring.accounts.passwords import user_for_link
from jaring.accounts.user_admin import password_set
from jaring.core.errors import ValidationFailed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def password_field(label: StrOrPromise, autocomplete: str) -> forms.CharField:
    return forms.CharField(label=label, strip=False, max_length=256,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


class NewPasswordForm(forms.Form):
    """A new password typed twice (the reset link's page; the account page adds the old one)."""

    new_password1 = password_field(_("Kata sandi baru"), "new-password")
    new_password2 = password_field(_("Ulangi kata sandi baru"), "new-password")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("Kedua kata sandi tidak sama."))
        return data


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The page a reset link opens: a new password, once. An expired, used or altered link says
    so and points to asking for a new one. Whoever is logged in in this browser is logged out
    first: the link belongs to its own account."""
    user = user_for_link(uidb64, token)
    if user is None:
        return render(request, "registration/password_reset_invalid.html", status=400)
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_set(actor=user, user=user, new=form.cleaned_data["new_password1"],
                         action="user.password_reset")
        except ValidationFailed as exc:
            for message in exc.fields.get("new_password1", [exc.message]):
                form.add_error("new_password1", str(message))
        else:
            if request.user.is_authenticated:
                logout(request)  # the old session's hash no longer matches; start clean at the login
            return render(request, "registration/password_reset_done.html", {"username": user.username})
    return render(request, "registration/password_reset_confirm.html", {"form": form, "account": user})
