from __future__ import annotations

from django import template

from jaring.core.money import format_idr

register = template.Library()


@register.filter
def rupiah(value: int | None) -> str:
    """``16800`` → ``Rp16.800``; ``None`` → ``-``."""
    return format_idr(value)
