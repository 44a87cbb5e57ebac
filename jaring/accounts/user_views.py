"""User administration pages for admins (issue 15): the list, a new user, a user's page and the
actions on an account. Every rule lives in ``accounts.user_admin`` (who an admin sees, what they may
grant, the last admin, one's own account); these views show its answers and its refusals.

A temporary password or a one-time link is shown once, in the answer to the POST that made it: it is
never stored, never put in a URL or a flash message, and the page is sent with ``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache

from jaring.accounts import services, user_admin
from jaring.accounts.capabilities import capability_required
from jaring.accounts.models import User
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.accounts.user_forms import UserCreateForm, UserFilterForm, UserForm
from jaring.core.confirm import Confirmation, Figure, is_confirmed, posted_comment
from jaring.core.errors import Conflict, ValidationFailed

USERS_PAGE = 50


@dataclass(frozen=True)
class Row:
    user: User
    facts: user_admin.LoginFacts
    everywhere: bool  # no area of their own, and their role sees the whole tenant region


def _everywhere(user: User) -> bool:
    """True for a user without areas who sees the tenant region (an office role); a facilitator
    without areas sees nothing."""
    return not user.areas.all() and bool(user_admin.user_codes(user))


@capability_required("users.manage")
def users(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The users this admin manages, filtered by text, role and status, with their login facts."""
    form = UserFilterForm(request.GET)
    form.is_valid()  # a refused filter is shown on the form and left out
    found = user_admin.users_for(request.user, **form.filters())
    page = Paginator(found, USERS_PAGE).get_page(request.GET.get("page"))
    facts = user_admin.login_facts_many(list(page.object_list))
    rows = [Row(user=u, facts=facts[u.pk], everywhere=_everywhere(u)) for u in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/users/user_list.html", {
        "nav": "users", "form": form, "rows": rows, "page": page, "total": len(found),
        "filtered": any(request.GET.get(k) for k in ("q", "role", "active")), "query": query.urlencode()})


@never_cache
@capability_required("users.manage")
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new user within the admin's limits; the answer shows the credential once."""
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, credentials = user_admin.user_add(
                actor=request.user, username=data["username"], name=data["name"], role=data["role"],
                areas=data["areas"], phone=data["phone"], email=data["email"], credentials=data["credentials"])
        except (ValidationFailed, Conflict) as exc:
            form.add_refusal(exc)
        else:
            return _credentials_page(request, user, credentials, created=True)
    return render(request, "accounts/users/user_create.html", {"nav": "users", "form": form})


def _credentials_page(request: AuthenticatedHttpRequest, user: User, credentials: user_admin.Credentials, *,
                      created: bool) -> HttpResponse:
    """The one page that ever shows a temporary password or a reset link. ``no-store``: neither the
    browser's cache nor its back button keeps it."""
    response = render(request, "accounts/users/credentials.html", {
        "nav": "users", "account": user, "created": created, "password": credentials.temporary_password,
        "link": request.build_absolute_uri(credentials.reset_path) if credentials.reset_path else "",
        "minutes": settings.JARING_PASSWORD_RESET_MINUTES})
    add_never_cache_headers(response)
    return response


@capability_required("users.manage")
def user_detail(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """A user's login facts, their details (the form) and the actions on the account."""
    user = user_admin.user_for(request.user, user_id)
    form = UserForm(request.POST if request.method == "POST" else None, actor=request.user, user=user,
                    initial=_initial(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:  # role and areas None (unchanged) on one's own account, whose form has neither
            changed = user_admin.user_update(
                actor=request.user, user=user, name=data["name"], phone=data["phone"], email=data["email"],
                role=data.get("role"), areas=data.get("areas"))
        except (ValidationFailed, Conflict) as exc:
            form.add_refusal(exc)
            user.refresh_from_db()  # the page shows the account as stored, not as half-changed in memory
        else:
            if changed:
                messages.success(request, _("Data %(u)s disimpan.") % {"u": user.username})
            else:
                messages.info(request, _("Tidak ada yang berubah."))
            return redirect("user_detail", user_id=user.pk)
    return render(request, "accounts/users/user_detail.html", {
        "nav": "users", "account": user, "facts": user_admin.login_facts(user), "form": form,
        "areas": [a.region for a in user.areas.select_related("region").order_by("region__code")],
        "everywhere": _everywhere(user),
        "own_account": user.pk == request.user.pk})


def _initial(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "phone": user.phone, "email": user.email,
            "areas": list(user.areas.values_list("region__code", flat=True))}


# --- Actions on an account ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One action: its confirmation's words, and what it does (returns a message, or a Credentials
    object for the page that shows it once)."""

    title: str | Promise
    submit: str | Promise
    notes: Callable[[User, user_admin.LoginFacts], list[str]]
    run: Callable[[User, User, str], Any]  # actor, user, comment


def _deactivate(actor: User, user: User, comment: str) -> str:
    if not user_admin.user_activate(actor=actor, user=user, active=False, comment=comment):
        return _("Akun ini sudah nonaktif.")
    return _("Akun %(u)s dinonaktifkan.") % {"u": user.username}


def _reactivate(actor: User, user: User, comment: str) -> str:
    if not user_admin.user_activate(actor=actor, user=user, active=True, comment=comment):
        return _("Akun ini sudah aktif.")
    return _("Akun %(u)s aktif kembali.") % {"u": user.username}


def _revoke(actor: User, user: User, comment: str) -> str:
    n = user_admin.user_revoke_tokens(actor=actor, user=user, comment=comment)
    if not n:
        return _("Tidak ada token aktif.")
    return ngettext("%(n)s token API dicabut.", "%(n)s token API dicabut.", n) % {"n": n}


def _unlock(actor: User, user: User, comment: str) -> str:
    services.user_unlock(actor=actor, user=user, comment=comment)
    return _("Kunci akun %(u)s dibuka; hitungan gagal masuknya dihapus.") % {"u": user.username}


def _totp_reset(actor: User, user: User, comment: str) -> str:
    services.user_totp_reset(actor=actor, user=user, comment=comment)
    return _("Verifikasi dua langkah %(u)s diatur ulang: ia mendaftarkan ponselnya lagi saat masuk berikutnya.") % {
        "u": user.username}


def _minutes_note(user: User, facts: user_admin.LoginFacts) -> list[str]:
    return [_("Tautan berlaku %(m)s menit dan hanya sekali pakai. Kata sandi lama tetap berlaku sampai tautan "
              "dipakai.") % {"m": settings.JARING_PASSWORD_RESET_MINUTES}]


ACTIONS: dict[str, Action] = {
    "deactivate": Action(
        title=gettext_lazy("Nonaktifkan akun %(u)s?"), submit=gettext_lazy("Ya, nonaktifkan"),
        notes=lambda u, f: [_("Ia tidak bisa masuk lagi, sesinya berakhir pada permintaan berikutnya dan token "
                              "API-nya ditolak. Data yang sudah dicatatnya tetap ada.")],
        run=_deactivate),
    "reactivate": Action(
        title=gettext_lazy("Aktifkan kembali akun %(u)s?"), submit=gettext_lazy("Ya, aktifkan kembali"),
        notes=lambda u, f: [_("Ia bisa masuk lagi dengan kata sandinya; atur ulang kata sandinya bila perlu.")],
        run=_reactivate),
    "reset_password": Action(
        title=gettext_lazy("Buat kata sandi sementara untuk %(u)s?"),
        submit=gettext_lazy("Ya, buat kata sandi sementara"),
        notes=lambda u, f: [_("Kata sandi lama tidak berlaku lagi dan sesinya berakhir. Kata sandi sementara "
                              "ditampilkan sekali; ia harus menggantinya saat masuk.")],
        run=lambda a, u, c: user_admin.user_reset_password(actor=a, user=u, method="temporary", comment=c)),
    "reset_link": Action(
        title=gettext_lazy("Buat tautan atur ulang kata sandi untuk %(u)s?"), submit=gettext_lazy("Ya, buat tautan"),
        notes=_minutes_note,
        run=lambda a, u, c: user_admin.user_reset_password(actor=a, user=u, method="link", comment=c)),
    "revoke_tokens": Action(
        title=gettext_lazy("Cabut semua token API %(u)s?"), submit=gettext_lazy("Ya, cabut semua token"),
        notes=lambda u, f: [_("Aplikasi atau skrip yang memakai token ini berhenti bekerja.")],
        run=_revoke),
    "unlock": Action(
        title=gettext_lazy("Buka kunci akun %(u)s?"), submit=gettext_lazy("Ya, buka kunci"),
        notes=lambda u, f: [_("Periksa dulu bahwa percobaan masuk yang gagal memang dari dia.")],
        run=_unlock),
    "totp_reset": Action(
        title=gettext_lazy("Atur ulang verifikasi dua langkah %(u)s?"), submit=gettext_lazy("Ya, atur ulang"),
        notes=lambda u, f: [_("Untuk ponsel yang hilang atau diganti: aplikasi autentikatornya dan kode cadangannya "
                              "tidak berlaku lagi; ia mendaftarkan ponsel lagi saat masuk berikutnya.")],
        run=_totp_reset),
}


def _blockers(action: str, actor: User, user: User, facts: user_admin.LoginFacts) -> list[str]:
    """What stands in the way now, said before the button (the service still decides)."""
    if action == "deactivate" and actor.pk == user.pk:
        return [_("Anda tidak bisa menonaktifkan akun Anda sendiri; minta admin lain.")]
    if action == "deactivate" and not user.is_active:
        return [_("Akun ini sudah nonaktif.")]
    if action == "reactivate" and user.is_active:
        return [_("Akun ini sudah aktif.")]
    if action == "revoke_tokens" and not facts.active_tokens:
        return [_("Tidak ada token aktif.")]
    if action == "totp_reset" and not facts.has_second_factor:
        return [_("Pengguna ini belum memasang verifikasi dua langkah.")]
    return []


def _figures(user: User, facts: user_admin.LoginFacts) -> list[Figure]:
    return [
        Figure(_("Nama pengguna"), user.username, strong=True),
        Figure(_("Nama"), user.name),
        Figure(_("Peran"), str(user.get_role_display())),
        Figure(_("Status"), _("Aktif") if user.is_active else _("Nonaktif")),
        Figure(_("Terakhir masuk"), _when(facts.last_login)),
        Figure(_("Token API aktif"), str(facts.active_tokens)),
    ]


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "j F Y H:i") if moment else _("belum pernah")


@never_cache
@capability_required("users.manage")
def user_action(request: AuthenticatedHttpRequest, user_id: int, action: str) -> HttpResponse:
    """One action on an account: a GET or a first POST shows what will happen; a POST with
    ``confirmed=1`` does it. A refusal (the last admin, one's own account) is a message on the user's
    page; a new password or link is shown once on the answer itself."""
    user = user_admin.user_for(request.user, user_id)
    spec = ACTIONS[action]
    facts = user_admin.login_facts(user)
    detail_url = reverse("user_detail", kwargs={"user_id": user.pk})
    if not is_confirmed(request):
        confirm = Confirmation(
            title=str(spec.title) % {"u": user.username}, submit_label=str(spec.submit), cancel_url=detail_url,
            action_url=reverse(f"user_{action}", kwargs={"user_id": user.pk}),
            figures=_figures(user, facts), notes=spec.notes(user, facts),
            blockers=_blockers(action, request.user, user, facts))
        return render(request, "confirm/confirm_page.html", {"nav": "users", "confirm": confirm})
    try:
        result = spec.run(request.user, user, posted_comment(request))
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, str(exc.message))
        return redirect(detail_url)
    if isinstance(result, user_admin.Credentials):
        return _credentials_page(request, user, result, created=False)
    messages.success(request, result)
    return redirect(detail_url)
