"""Tolerant keys for region names: case, spacing, doubled letters and spelling variants.

"Klasuur"/"Klasur" and "Cendrawasih"/"Cenderawasih" must find the same kelurahan, since
spreadsheets from the field spell them every way.
"""

from __future__ import annotations

import re
import unicodedata

_PREFIXES = ("kelurahan", "kel", "desa", "distrik", "kecamatan", "kec", "kota", "kabupaten", "kab",
             "provinsi", "prov")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiou]")


def name_key(name: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed to nothing."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub("", text)


def strip_prefix(name: str) -> str:
    words = re.split(r"[\s.]+", name.strip(), maxsplit=1)
    if len(words) == 2 and words[0].lower() in _PREFIXES and words[1]:
        return words[1]
    return name


def skeleton(name: str) -> str:
    """First letter plus consonants with repeats collapsed: klasuur → klsr, cenderawasih → cndrwsh."""
    key = _REPEATS.sub(r"\1", name_key(name))
    if not key:
        return ""
    return key[0] + _VOWELS.sub("", key[1:])
