"""User administration for admins (``user_views``): the list, a new user, a user's page, and one
POST route per action on an account (each confirmed first)."""

from django.urls import URLPattern, path

from jaring.accounts import user_views

# URL segment → action (user_views.ACTIONS); the route's name is "user_<action>".
ACTION_PATHS = {
    "nonaktifkan": "deactivate",
    "aktifkan": "reactivate",
    "sandi-sementara": "reset_password",
    "tautan-sandi": "reset_link",
    "cabut-token": "revoke_tokens",
    "buka-kunci": "unlock",
    "atur-ulang-dua-langkah": "totp_reset",
}

urlpatterns: list[URLPattern] = [
    path("pengguna/", user_views.users, name="users"),
    path("pengguna/baru/", user_views.user_create, name="user_create"),
    path("pengguna/<int:user_id>/", user_views.user_detail, name="user_detail"),
    *(path(f"pengguna/<int:user_id>/{segment}/", user_views.user_action, {"action": action}, name=f"user_{action}")
      for segment, action in ACTION_PATHS.items()),
]
