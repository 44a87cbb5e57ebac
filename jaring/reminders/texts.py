"""The reminders' words: short Indonesian SMS texts (one 160-character segment for most names, at
most two), with the KPJ to pay with and never the NIK."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from jaring.core.money import format_idr
from jaring.registry.names import person_name_key
from jaring.rules.text import month_name

SMS_SEGMENT = 160
MAX_FIRST_NAME = 15
_MOBILE = re.compile(r"^(?:\+?62|0)(8[0-9]{8,11})$")


def mobile_number(phone: str) -> str | None:
    """An Indonesian mobile number in international form without ``+`` (``6281234567890``), as SMS
    gateways and the WhatsApp Cloud API take it; None for anything else (a landline, a typo)."""
    match = _MOBILE.match((phone or "").strip())
    return f"62{match.group(1)}" if match else None


def first_name(full_name: str) -> str:
    """The first word of the name without titles (``Mama Maria Kambu`` → ``Maria``), shortened."""
    key = person_name_key(full_name)
    word = key.split(" ")[0] if key else ""
    return word.title()[:MAX_FIRST_NAME] or _("Bapak/Ibu")


def short_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def due_soon_params(*, full_name: str, period: dt.date, amount_idr: int, due_date: dt.date,
                    kpj: str | None) -> dict[str, Any]:
    return {"name": first_name(full_name), "month": month_name(period), "amount": format_idr(amount_idr),
            "date": short_date(due_date), "kpj": kpj or ""}


def overdue_params(*, full_name: str, months: int, oldest: dt.date, owed_idr: int, pay_by: dt.date,
                   kpj: str | None) -> dict[str, Any]:
    return {"name": first_name(full_name), "months": months, "oldest": month_name(oldest),
            "owed": format_idr(owed_idr), "pay_by": short_date(pay_by), "kpj": kpj or ""}


def _how_to_pay(kpj: str) -> str:
    if kpj:
        return _("Bayar di kantor pos, Indomaret/Alfamart atau JMO dengan KPJ %(kpj)s.") % {"kpj": kpj}
    return _("Bayar di kantor pos, Indomaret/Alfamart atau JMO; tanyakan nomor KPJ ke pendamping.")


def due_soon_text(params: dict[str, Any]) -> str:
    """``Yth. Yohanes, iuran BPJSTK Maret 2026 Rp8.400 jatuh tempo 16/03/2026. Bayar di …``"""
    with translation.override("id"):
        return " ".join([
            _("Yth. %(name)s, iuran BPJSTK %(month)s %(amount)s jatuh tempo %(date)s.") % params,
            _how_to_pay(params["kpj"])])


def overdue_text(params: dict[str, Any]) -> str:
    """``Yth. Yohanes, iuran BPJSTK 2 bulan sejak Februari 2026 (Rp33.600) belum dibayar. …``"""
    with translation.override("id"):
        return " ".join([
            _("Yth. %(name)s, iuran BPJSTK %(months)s bulan sejak %(oldest)s (%(owed)s) belum dibayar. "
              "Perlindungan terancam; kepesertaan berakhir bila belum lunas %(pay_by)s.") % params,
            _how_to_pay(params["kpj"])])
