from django.urls import include, path

from jaring.accounts import password_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.login_view, name="login"),
    path("keluar/", views.logout_view, name="logout"),
    path("masuk/kode/", views.login_otp, name="login_otp"),
    path("masuk/atur-ulang/<str:uidb64>/<str:token>/", password_views.password_reset_confirm,
         name="password_reset_confirm"),
    path("akun/dua-langkah/", views.otp_enrol, name="otp_enrol"),
    # One's own account (password, tokens, language, second factor) and asking for a reset link.
    path("", include("jaring.accounts.account_urls")),
    # User administration for admins.
    path("", include("jaring.accounts.user_urls")),
]
