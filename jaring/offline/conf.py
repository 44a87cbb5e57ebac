"""The offline field app's settings, with their defaults (decision 0039)."""

from __future__ import annotations

from django.conf import settings


def max_days() -> int:
    """Data kept on a phone is wiped after this many days without a successful sync."""
    return int(getattr(settings, "JARING_OFFLINE_MAX_DAYS", 7))


def max_persons() -> int:
    """The most persons one snapshot carries (a kelurahan has far fewer registered workers)."""
    return int(getattr(settings, "JARING_OFFLINE_MAX_PERSONS", 5000))
