"""Reading regions: lookups by current or legacy code or tolerant name, and subtrees."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from jaring.regions.models import Region
from jaring.regions.names import name_key, skeleton, strip_prefix


def region_subtree_q(codes: Iterable[str], *, field: str = "code") -> Q:
    """Q matching regions at or below any of the given codes."""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})
    return q


def region_subtree(codes: Iterable[str], *, level: str | None = None) -> QuerySet[Region]:
    qs = Region.objects.filter(region_subtree_q(list(codes)))
    return qs.filter(level=level) if level else qs


def region_by_code(code: str) -> Region | None:
    """Current code first, then legacy code. Accepts codes with or without dots."""
    code = code.strip()
    if not code:
        return None
    if code.isdigit() and len(code) in (4, 6, 10):
        code = ".".join(filter(None, [code[:2], code[2:4], code[4:6], code[6:]]))
    region = Region.objects.filter(code=code).first()
    if region is None:
        region = Region.objects.filter(legacy_code=code).first()
    return region


def _adds_letters(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    letters = iter(long)
    return all(ch in letters for ch in short)


def region_lookup(text: str, *, level: str | None = None,
                  within: Region | None = None) -> Region | None:
    """Find one region by code or by a name as people write it; None if absent or ambiguous."""
    text = (text or "").strip()
    if not text:
        return None
    if text[0].isdigit():
        region = region_by_code(text)
        if region and (level is None or region.level == level):
            return region
        return None
    qs = Region.objects.all()
    if level:
        qs = qs.filter(level=level)
    if within is not None:
        qs = qs.filter(region_subtree_q([within.code]))
    for candidate in (text, strip_prefix(text)):
        matches = list(qs.filter(name_key=name_key(candidate))[:2])
        if len(matches) == 1:
            return matches[0]
    # Spelling variants: compare consonant skeletons, then close matches; never guess between two.
    pool = list(qs.only("id", "name", "code", "level"))
    for candidate in (text, strip_prefix(text)):
        wanted, key = skeleton(candidate), name_key(candidate)
        # Same consonants, and one spelling is the other with letters added (Klasur/Klasuur,
        # Cendrawasih/Cenderawasih) — never with vowels changed (Klamono is not Klamana).
        hits = [r for r in pool if skeleton(r.name) == wanted and _adds_letters(key, name_key(r.name))]
        if len(hits) == 1:
            return hits[0]
    keys = {name_key(r.name): r for r in pool}
    close = difflib.get_close_matches(name_key(strip_prefix(text)), list(keys), n=2, cutoff=0.85)
    if len(close) == 1 or (len(close) == 2 and
                           difflib.SequenceMatcher(None, close[0], name_key(text)).ratio() >= 0.95):
        return keys[close[0]]
    return None


def kelurahan_choices(*, within_codes: Iterable[str] | None = None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=Region.Level.KELURAHAN).select_related("parent")
    if within_codes is not None:
        qs = qs.filter(region_subtree_q(list(within_codes)))
    return qs.order_by("parent__name", "name")


def district_choices(*, within_codes: Iterable[str] | None = None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=Region.Level.DISTRICT)
    if within_codes is not None:
        codes = list(within_codes)
        # A district is visible if it lies in an area, or an area lies in it (a kelurahan scope).
        q = region_subtree_q(codes)
        for code in codes:
            parts = code.split(".")
            if len(parts) > 3:
                q |= Q(code=".".join(parts[:3]))
        qs = qs.filter(q)
    return qs.order_by("name")


def tenant_root() -> str:
    """The deployment's root region (``JARING_TENANT_REGION``): a city ("96.71") or a province ("96")
    whose cities are its tenants (decision 0048). Area-less office users see it whole."""
    from django.conf import settings

    return str(settings.JARING_TENANT_REGION)


def ancestor_codes(code: str) -> list[str]:
    """The codes above ``code``, the top first: ``96.71.01`` → ``["96", "96.71"]``."""
    parts = code.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts))]


def child_level(level: str) -> str:
    """The level just below ``level`` (a kelurahan has none: itself)."""
    order = [Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT, Region.Level.KELURAHAN]
    index = order.index(Region.Level(level))
    return order[min(index + 1, len(order) - 1)]
