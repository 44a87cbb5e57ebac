"""Reminder settings: policy and delivery, not regulation (decision 0038).

Each is read from Django's settings when defined there, else from the environment variable of the
same name, else the default below. How many days before a due date to remind is the office's
policy (the regulation only fixes the due date itself, ``rules.calendar``).

=================================== ======================================================= ==========
``JARING_REMINDER_DAYS``            days before the due date to remind, comma-separated        ``5,1``
``JARING_REMINDER_SENDER``          ``console``, ``sms_http`` or ``whatsapp_cloud``             ``console``
``JARING_REMINDER_SENDER_SMS``      the sender for persons who chose SMS (else the one above)
``JARING_REMINDER_SENDER_WHATSAPP`` the sender for persons who chose WhatsApp
``JARING_REMINDER_MAX_ATTEMPTS``    tries before a failed message is given up                   ``3``
``JARING_REMINDER_TIMEOUT``         seconds to wait for a gateway                                ``10``
``JARING_REMINDER_MAX_LATE_DAYS``   how far back a real run's ``--as-of`` may be                 ``7``
``JARING_REMINDER_SMS_URL``         the SMS gateway's endpoint (POST JSON)
``JARING_REMINDER_SMS_TOKEN``       its bearer token
``JARING_REMINDER_SMS_FROM``        the sender name or number, when the gateway wants one
``JARING_REMINDER_WHATSAPP_URL``    the Graph API base                                          ``https://graph.facebook.com``
``JARING_REMINDER_WHATSAPP_VERSION`` the Graph API version                                      ``v21.0``
``JARING_REMINDER_WHATSAPP_PHONE_ID`` the business phone number id
``JARING_REMINDER_WHATSAPP_TOKEN``  the access token
``JARING_REMINDER_WHATSAPP_TEMPLATE_DUE_SOON`` the approved template for a coming due date  ``iuran_jatuh_tempo``
``JARING_REMINDER_WHATSAPP_TEMPLATE_OVERDUE``  the approved template for a missed one       ``iuran_tertunggak``
``JARING_REMINDER_WHATSAPP_LANGUAGE`` the templates' language code                          ``id``
=================================== ======================================================= ==========
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from jaring.core.errors import ValidationFailed

DEFAULTS: dict[str, Any] = {
    "JARING_REMINDER_DAYS": "5,1",
    "JARING_REMINDER_SENDER": "console",
    "JARING_REMINDER_SENDER_SMS": "",
    "JARING_REMINDER_SENDER_WHATSAPP": "",
    "JARING_REMINDER_MAX_ATTEMPTS": 3,
    "JARING_REMINDER_TIMEOUT": 10,
    "JARING_REMINDER_MAX_LATE_DAYS": 7,
    "JARING_REMINDER_SMS_URL": "",
    "JARING_REMINDER_SMS_TOKEN": "",
    "JARING_REMINDER_SMS_FROM": "",
    "JARING_REMINDER_WHATSAPP_URL": "https://graph.facebook.com",
    "JARING_REMINDER_WHATSAPP_VERSION": "v21.0",
    "JARING_REMINDER_WHATSAPP_PHONE_ID": "",
    "JARING_REMINDER_WHATSAPP_TOKEN": "",
    "JARING_REMINDER_WHATSAPP_TEMPLATE_DUE_SOON": "iuran_jatuh_tempo",
    "JARING_REMINDER_WHATSAPP_TEMPLATE_OVERDUE": "iuran_tertunggak",
    "JARING_REMINDER_WHATSAPP_LANGUAGE": "id",
}
MAX_LEAD_DAYS = 31


def setting(name: str) -> Any:
    """The setting ``name``: Django's settings, else the environment, else ``DEFAULTS``."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    return value


def int_setting(name: str, *, minimum: int = 0) -> int:
    value = setting(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Pengaturan %(name)s harus bilangan bulat.") % {"name": name},
                               fields={name: [str(value)]}, code="bad_setting") from None
    if number < minimum:
        raise ValidationFailed(_("Pengaturan %(name)s harus bilangan bulat.") % {"name": name},
                               fields={name: [str(value)]}, code="bad_setting")
    return number


def reminder_days() -> tuple[int, ...]:
    """The days before a due date to remind, largest first (``JARING_REMINDER_DAYS``: ``"5,1"`` or a
    list). Each between 0 (the due date itself) and 31; at least one."""
    value = setting("JARING_REMINDER_DAYS")
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    days: set[int] = set()
    for part in parts:
        text = str(part).strip()
        if not text.isascii() or not text.isdigit() or int(text) > MAX_LEAD_DAYS:
            raise ValidationFailed(
                _("JARING_REMINDER_DAYS harus daftar hari 0–%(max)s dipisah koma, mis. 5,1.") % {"max": MAX_LEAD_DAYS},
                fields={"JARING_REMINDER_DAYS": [str(value)]}, code="bad_setting")
        days.add(int(text))
    if not days:
        raise ValidationFailed(_("JARING_REMINDER_DAYS kosong."), fields={"JARING_REMINDER_DAYS": [str(value)]},
                               code="bad_setting")
    return tuple(sorted(days, reverse=True))
