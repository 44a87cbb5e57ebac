from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jaring.accounts"
    label = "accounts"
    verbose_name = "Pengguna"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from jaring.accounts.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="jaring.accounts.session_start")
        from jaring.accounts.views import remember_language

        user_logged_in.connect(remember_language, dispatch_uid="jaring.accounts.remember_language")
        # Second-factor secrets are neither shown nor edited in the Django admin: a lost phone is
        # reset with `jaring user 2fa-reset USERNAME` (audited).
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
