from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jaring.accounts"
    label = "accounts"
    verbose_name = "Pengguna"
