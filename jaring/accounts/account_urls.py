"""One's own account (details, language, password, API tokens, second factor) and asking for a
password-reset link (issue 15)."""

from django.urls import path

from jaring.accounts import account_views

urlpatterns = [
    path("akun/", account_views.account, name="account"),
    path("akun/kata-sandi/", account_views.password_change_view, name="password_change"),
    path("akun/token/baru/", account_views.token_create, name="account_token_create"),
    path("akun/token/<int:token_id>/cabut/", account_views.token_revoke, name="account_token_revoke"),
    path("akun/dua-langkah/atur-ulang/", account_views.otp_reset, name="account_otp_reset"),
    path("masuk/lupa/", account_views.password_reset, name="password_reset"),
]
