"""Bilingual text helpers: Indonesian first, English second."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from jaring.core.money import format_idr

LANGS = ("id", "en")

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Message:
    """A reason or note: a stable code for machines, a text per language for people."""

    code: str
    text_id: str
    text_en: str

    def text(self, lang: str = "id") -> str:
        check_lang(lang)
        return self.text_en if lang == "en" else self.text_id

    def to_dict(self, lang: str = "id") -> dict[str, str]:
        return {"code": self.code, "text": self.text(lang)}


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")


def month_name(month: dt.date, lang: str = "id") -> str:
    names = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{names[month.month - 1]} {month.year}"


def day_name(day: dt.date, lang: str = "id") -> str:
    """``16 November 2026``."""
    return f"{day.day} {month_name(day, lang)}"


def idr(amount: int, lang: str = "id") -> str:
    """``Rp1.000.000`` in Indonesian, ``Rp1,000,000`` in English."""
    text = format_idr(amount)
    return text.replace(".", ",") if lang == "en" else text


def percent(rate: Decimal, lang: str = "id") -> str:
    """A rate as a percentage without trailing zeros: ``Decimal("0.005")`` → ``0,5%``."""
    value = (rate * 100).normalize()
    text = format(value, "f")
    return (text if lang == "en" else text.replace(".", ",")) + "%"


def number(value: Decimal | int, lang: str = "id") -> str:
    text = format(Decimal(value).normalize(), "f")
    return text if lang == "en" else text.replace(".", ",")
