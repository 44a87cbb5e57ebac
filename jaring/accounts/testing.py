"""Test helpers for logins behind the second factor.

``TwoFactorMiddleware`` has no switch that tests could flip. Instead the root conftest's
``client`` fixture is an :class:`OtpClient`: after ``force_login`` or ``login`` it verifies the
session of a user who needs the second factor the way the code page does — through a confirmed
TOTP device of that user and ``django_otp.login`` — so other tests' ``client.force_login(...)``
keeps working. A test that exercises the second factor itself uses ``OtpClient(verify_otp=False)``
or a plain ``django.test.Client``.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaring.accounts.models import User
from jaring.accounts.services import user_requires_2fa

TEST_DEVICE_NAME = "test"


def otp_test_device(user: User) -> TOTPDevice:
    """The user's confirmed TOTP device for tests (created once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)
    return device


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's phone shows now (or ``steps_ahead`` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def next_totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next one if the current one was used."""
    current = int((time.time() - device.t0) // device.step) + device.drift
    return totp_code(device, steps_ahead=1 if device.last_t >= current else 0)


def verify_session(client: Client, user: User) -> None:
    """Mark the client's session as verified by the user's device, as ``django_otp.login`` does
    on the code page."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_test_device(user).persistent_id
    session.save()


class OtpClient(Client):
    """A test client whose logins of 2FA roles come with a verified second factor."""

    def __init__(self, *args: Any, verify_otp: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.verify_otp = verify_otp

    def force_login(self, user: Any, backend: str | None = None) -> None:
        super().force_login(user, backend)
        if self.verify_otp and user_requires_2fa(user):
            verify_session(self, user)

    def login(self, **credentials: Any) -> bool:
        ok = super().login(**credentials)
        if ok and self.verify_otp:
            user = User.objects.get(pk=self.session[SESSION_KEY])
            if user_requires_2fa(user):
                verify_session(self, user)
        return ok
