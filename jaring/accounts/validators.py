"""A password validator for the names everybody in the office would try first."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The app, the office and the city: "sorong2026", "jaring12345678", "dinsos-sorong-2026"…
LOCAL_WORDS = ("jaring", "dinsos", "dinas", "sosial", "kota", "sorong", "papua", "barat", "daya",
               "bpjs", "bpjstk", "ketenagakerjaan", "pemkot", "admin", "operator")


class LocalNamePasswordValidator:
    """Refuse a password made of the app's, office's or city's names plus digits and separators.

    What is left once those words, digits and punctuation are taken out must be at least
    ``min_rest`` characters long: "sorong2026" leaves nothing, "rahasia-jaring-2026" leaves
    "rahasia".
    """

    def __init__(self, min_rest: int = 6, extra_words: tuple[str, ...] = ()):
        self.min_rest = min_rest
        self.extra_words = extra_words

    def words(self) -> list[str]:
        office = re.findall(r"[a-z]+", str(getattr(settings, "JARING_OFFICE_NAME", "")).lower())
        words = {*LOCAL_WORDS, *office, *(w.lower() for w in self.extra_words)}
        return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)

    def rest(self, password: str) -> str:
        text = re.sub(r"[\W\d_]+", "", password.lower())
        for word in self.words():
            text = text.replace(word, "")
        return text

    def validate(self, password: str, user: Any = None) -> None:
        if len(self.rest(password)) < self.min_rest:
            raise ValidationError(
                _("Kata sandi ini hampir seluruhnya nama aplikasi, kantor atau kota ditambah angka. "
                  "Pilih kata sandi lain."),
                code="password_local_name")

    def get_help_text(self) -> str:
        return _("Kata sandi tidak boleh hanya nama aplikasi, kantor atau kota ditambah angka.")
