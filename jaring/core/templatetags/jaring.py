from __future__ import annotations

from typing import Any

from django import template

from jaring.core.context import rules_lang
from jaring.core.money import format_idr

register = template.Library()


@register.filter
def rupiah(value: int | None) -> str:
    """``16800`` → ``Rp16.800``; ``None`` → ``-``."""
    return format_idr(value)


@register.filter
def in_language(message: Any) -> str:
    """A rules ``Message`` (Indonesian and English text) in the page's language."""
    return str(message.text(rules_lang()))
