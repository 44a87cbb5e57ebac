"""``{% if user|can:"registry.write" %}``: templates ask the same table as services and views.

Loaded as a builtin (settings ``TEMPLATES``), so no template needs ``{% load %}``.
"""

from __future__ import annotations

from typing import Any

from django import template

from jaring.accounts.capabilities import can as _can

register = template.Library()


@register.filter
def can(user: Any, capability: str) -> bool:
    return _can(user, capability)
