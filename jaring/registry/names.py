"""Person-name keys for search: titles and honorifics removed, case and accents folded."""

from __future__ import annotations

import re
import unicodedata

# Titles people write before or after names in Indonesian records.
TITLES = frozenset({
    "bapak", "bpk", "bp", "pak", "ibu", "ib", "bu", "ny", "nyonya", "nn", "nona", "tn", "tuan",
    "sdr", "sdri", "saudara", "saudari", "h", "hj", "haji", "hajah", "dr", "drs", "dra", "ir",
    "pdt", "pendeta", "ust", "ustadz", "ustad", "ustazah", "sh", "se", "spd", "skm", "st", "amd",
    "mama", "bapa", "alm", "almh", "almarhum", "almarhumah",
})
_SPLIT = re.compile(r"[^a-z0-9']+")


def person_name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = [w.strip("'") for w in _SPLIT.split(text)]
    words = [w for w in words if w]
    # Titles only count as titles at the edges: "Haji" alone, or "Mama Maria" → "maria".
    while len(words) > 1 and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in TITLES:
        words.pop()
    return " ".join(words)


def last_word_first(key: str) -> str:
    words = key.split(" ")
    return " ".join([words[-1], *words[:-1]]) if len(words) > 1 else key


_OLD_SPELLINGS = [("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh")]
_REPEATS = re.compile(r"(.)\1+")


def match_name(name: str) -> str:
    """A name as compared for duplicates: titles gone, old spellings modernised (oe→u, dj→j,
    tj→c), repeated letters collapsed. "Ny. Soekarni" and "Sukarni" become the same."""
    key = person_name_key(name)
    for old, new in _OLD_SPELLINGS:
        key = key.replace(old, new)
    return _REPEATS.sub(r"\1", key)


def phonetic_key(name: str) -> str:
    """A coarse sound key for blocking: first letter and consonants of each word, vowels dropped."""
    words = match_name(name).split()
    return " ".join(w[0] + re.sub(r"[aeiouy'h]", "", w[1:])[:3] for w in words if w)
