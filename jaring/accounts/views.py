from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from jaring.accounts.selectors import scope_for
from jaring.regions.models import Region
from jaring.registry.selectors import registry_summary


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Nama pengguna atau kata sandi salah."),
        "inactive": _("Akun ini tidak aktif."),
        "locked": _("Akun dikunci sementara karena terlalu banyak percobaan gagal. Coba lagi nanti."),
    }

    def clean(self):  # type: ignore[no-untyped-def]
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "jaring_locked", False):
                raise ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    areas = list(Region.objects.filter(code__in=scope.codes).select_related("parent").order_by("code"))
    return render(request, "accounts/home.html", {
        "nav": "home", "summary": registry_summary(actor=request.user), "areas": areas,
    })
