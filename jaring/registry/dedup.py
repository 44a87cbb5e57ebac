"""Finding people registered twice, the way offices actually get them: the same person under a
mistyped NIK, an old spelling (Soekarni/Sukarni), a title (Ibu, Ny., Hj.), a swapped day and month —
without proposing strangers who merely look alike.

**Candidates.** Nobody is compared with the whole registry. Candidate pairs come from blocks, built
set-based (numpy, no per-pair Python), each block a group of records that agree on a cheap key: the
birth date; a sound key of the first or the last word of the name with two of the three date parts
(or day and month swapped); the region and birth-date parts of the NIK (its first 12 digits); the
NIK's birth-date part and serial (a mistyped region).

**Evidence.** Each pair is compared field by field, each comparison giving a level (NIK: one
keystroke apart, same region and date with a neighbouring serial, same region and date, same date,
same region, different; name: identical, close, similar, first and last word only, different; and
so on for birth date, sex, family card, kelurahan, phone). This is the Fellegi–Sunter model: a level
weighs log2(m / u), m how often a true duplicate shows it and u how often two different people do.

**Estimated on the registry itself.** u comes from pairs of different people the registry holds:
random pairs for most fields, and, because family members agree on much at once (KK, phone,
kelurahan, surname; twins on the birth date and the NIK's first 12 digits), the pairs inside one
family card for pairs that share it, and the pairs born on one day for the NIK. An identical name
weighs by how many carry it (term frequency: a common name is weak evidence). m and the share of
duplicates come from expectation–maximisation over a sample of the candidate pairs. Every estimate
is smoothed towards default values, so a small registry (or a test) gets sensible weights.

A pair's match probability combines the prior (the chance that two records of the registry are one
person) with the sum of its weights. Pairs at or above the threshold go to a review queue, with the
evidence and its weights; a pair an operator dismissed is never proposed again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel
from rapidfuzz.process import cpdist

from jaring.registry.names import match_name

THRESHOLD = 50.0  # match probability, in percent, for a pair to be proposed
MAX_BLOCK = 400  # a block larger than this is too coarse to be useful (e.g. 1 January, unknown dates)
CHUNK = 500_000  # pairs looked at in one go (vectorised)
FIRST_LAST_ONLY = 5.0  # a middle name left out is weaker evidence than the full name matching

# --- The model: fields, levels, default m and u -----------------------------------------------------
# Levels in order, strongest agreement first. Defaults: m for true duplicates, u for two different
# people taken at random (U) and inside one family card (FAMILY); estimates are smoothed towards them.
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "close", "similar", "first_last", "differs"),
    "nik": ("one_keystroke", "serial_near", "region_date", "date", "region", "differs", "missing"),
    "birth_date": ("same", "swapped", "one_keystroke", "unknown_day", "same_year", "near_year", "differs"),
    "sex": ("same", "differs"),
    "kk": ("same", "differs", "missing"),
    "kelurahan": ("same", "differs", "missing"),
    "phone": ("same", "differs", "missing"),
}
FIELDS = tuple(LEVELS)
MISSING_IS_NEUTRAL = ("nik", "kk", "kelurahan", "phone")
M_DEFAULT = {
    "name": (0.55, 0.27, 0.09, 0.08, 0.01),
    "nik": (0.45, 0.05, 0.12, 0.12, 0.06, 0.15, 0.05),
    "birth_date": (0.78, 0.03, 0.09, 0.03, 0.03, 0.03, 0.01),
    "sex": (0.99, 0.01),
    "kk": (0.5, 0.05, 0.45),
    "kelurahan": (0.85, 0.14, 0.01),
    "phone": (0.3, 0.1, 0.6),
}
U_DEFAULT = {
    "name": (1e-4, 2e-4, 2e-3, 1e-4, 0.9977),
    "nik": (1e-9, 1e-8, 5e-6, 4e-5, 0.1, 0.85, 0.05),
    "birth_date": (4e-5, 4e-5, 1e-3, 1e-3, 0.014, 0.07, 0.914),
    "sex": (0.5, 0.5),
    "kk": (4e-6, 0.6, 0.4),
    "kelurahan": (0.05, 0.94, 0.01),
    "phone": (1e-5, 0.3, 0.7),
}
FAMILY_U_DEFAULT = {  # two different people on one family card
    "name": (0.01, 0.01, 0.03, 0.01, 0.94),
    "nik": (1e-6, 0.01, 0.001, 0.001, 0.9, 0.04, 0.048),
    "birth_date": (0.01, 0.001, 0.02, 0.01, 0.02, 0.1, 0.839),
    "sex": (0.5, 0.5),
    "kk": (1.0, 1e-9, 1e-9),
    "kelurahan": (0.99, 0.005, 0.005),
    "phone": (0.4, 0.1, 0.5),
}
# The NIK is the region, the birth date and a serial counted per region and day: people born on one
# day or on neighbouring days agree on much of it (twins have neighbouring serials). Its u is taken
# given the birth-date level. Defaults for two people born on one day:
NIK_SAME_DAY_U_DEFAULT = (1e-4, 0.05, 0.2, 0.7, 0.001, 0.001, 0.048)
FAMILY_SAME_DAY_NIK_U_DEFAULT = (1e-3, 0.6, 0.2, 0.1, 0.05, 0.01, 0.04)  # twins: neighbouring serials
DUPLICATE_RATE = 0.01  # prior share of records that are a second registration, before estimation
SMOOTH_U = 1_000.0  # pseudo-pairs of the default u behind every estimate
SMOOTH_M = 50.0  # pseudo-duplicates of the default m behind every estimate
U_SAMPLE = 1_000_000  # random pairs looked at to estimate u
EM_SAMPLE = 300_000  # candidate pairs of each blocking looked at to estimate m
EM_MIN_PAIRS = 2_000  # fewer candidate pairs than this: the defaults of m stand
EM_ROUNDS = 40
NAME_CLOSE, NAME_SIMILAR, NAME_FIRST_LAST = 92.0, 82.0, 88.0

_INDEX = {f: {level: k for k, level in enumerate(levels)} for f, levels in LEVELS.items()}


def level_code(field_name: str, level: str) -> int:
    return _INDEX[field_name][level]


@dataclass(frozen=True)
class Candidate:
    a: int
    b: int
    score: float  # match probability, percent
    reasons: tuple[dict[str, Any], ...]  # the evidence, one entry per field (``evidence``)


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    birth: Any  # date
    sex: str
    household: int | None
    kelurahan: int | None = None
    phone: str = ""
    nik: str = ""


# --- Names --------------------------------------------------------------------------------------
_VOWELS = str.maketrans(dict.fromkeys("aeiouyh'"))


def _fold(word: str) -> str:
    """J and Y count as one letter: the pre-1972 spelling wrote Johanes for Yohanes, Jesnath for
    Yesnath."""
    return word.replace("j", "y")


_REPEATS = re.compile(r"(.)\1+")


def normalise(name: str) -> str:
    """The name as compared: ``match_name`` (titles gone, old spellings modernised, repeated
    letters collapsed), with repeated letters collapsed first as well, so that a doubled letter
    cannot hide an old spelling: "Konddjol" and "Kondjol" both become "konyol"."""
    return match_name(_REPEATS.sub(r"\1", (name or "").lower()))


def word_key(word: str) -> str:
    """A coarse sound key of one normalised word, for blocking: first letter and up to three
    consonants, J and Y as one."""
    word = _fold(word)
    return word[0] + word[1:].translate(_VOWELS)[:3] if word else ""


@dataclass
class _Names:
    """Per record: an index into the distinct normalised names, and its two word keys; per
    distinct name: its forms and what bounds their similarity."""

    code: np.ndarray  # int32, per record: index into the distinct names
    first_key: np.ndarray  # int32, per record, -1 when none
    last_key: np.ndarray  # int32, per record, -1 when the name has one word
    people: np.ndarray  # how many records carry each distinct name
    pair_people: np.ndarray  # how many records have the same first and last word as each name
    plain: np.ndarray  # object: the normalised name
    sorted: np.ndarray  # object: its words sorted
    first_last: np.ndarray  # object: first and last word only ("" unless there is a middle part)
    reordered: np.ndarray  # bool: sorted differs from plain
    middle: np.ndarray  # bool: has a middle part
    length: np.ndarray  # int32: characters of plain
    short_length: np.ndarray  # int32: characters of first_last
    letters: np.ndarray  # uint8 [names, 28]: letter counts of plain (a–z, space, anything else)
    short_letters: np.ndarray  # the same for first_last


def _letters(texts: list[str], step: int = 20_000) -> np.ndarray:
    """Letter counts per text (normalised names are lower-case ASCII): a–z, space, anything else."""
    counts = np.zeros((len(texts), 28), dtype=np.uint8)
    for at in range(0, len(texts), step):  # in slices, to keep the temporaries small
        part = texts[at:at + step]
        lengths = np.fromiter((len(x) for x in part), dtype=np.int64, count=len(part))
        chars = np.frombuffer("".join(part).encode("ascii", "replace"), dtype=np.uint8).astype(np.int64)
        bucket = np.where((chars >= 97) & (chars <= 122), chars - 97, np.where(chars == 32, 26, 27))
        owner = np.repeat(np.arange(len(part)), lengths)
        found = np.bincount(owner * 28 + bucket, minlength=len(part) * 28).reshape(len(part), 28)
        counts[at:at + len(part)] = np.minimum(found, 255)
    return counts


def _names(names: Sequence[str]) -> _Names:
    spellings: dict[str, int] = {}
    per_record = np.fromiter((spellings.setdefault(text, len(spellings)) for text in names), dtype=np.int32,
                             count=len(names))
    by_norm: dict[str, int] = {}
    keys: dict[str, int] = {}
    plain: list[str] = []
    sorted_: list[str] = []
    first_last: list[str] = []
    first_of: list[int] = []
    last_of: list[int] = []
    per_spelling: list[int] = []
    for text in spellings:
        norm = normalise(text)
        c = by_norm.get(norm)
        if c is None:
            c = by_norm[norm] = len(plain)
            words = norm.split()
            plain.append(norm)
            sorted_.append(" ".join(sorted(words, key=_fold)))
            first_last.append(f"{words[0]} {words[-1]}" if len(words) > 2 else "")
            first_of.append(keys.setdefault(word_key(words[0]), len(keys)) if words else -1)
            last_of.append(keys.setdefault(word_key(words[-1]), len(keys)) if len(words) > 1 else -1)
        per_spelling.append(c)
    code = np.array(per_spelling, dtype=np.int32)[per_record] if len(names) else per_record
    firsts, lasts = np.array(first_of, dtype=np.int32), np.array(last_of, dtype=np.int32)
    people = np.bincount(code, minlength=len(plain))
    ends: dict[str, int] = {}
    end_of = np.fromiter((ends.setdefault(fl or name, len(ends)) for name, fl in zip(plain, first_last, strict=True)),
                         dtype=np.int64, count=len(plain))
    return _Names(
        code=code, first_key=firsts[code], last_key=lasts[code], people=people,
        pair_people=np.bincount(end_of, weights=people, minlength=len(ends)).astype(np.int64)[end_of],
        plain=np.array(plain, dtype=object), sorted=np.array(sorted_, dtype=object),
        first_last=np.array(first_last, dtype=object),
        reordered=np.array([x != y for x, y in zip(plain, sorted_, strict=True)], dtype=bool),
        middle=np.array([bool(x) for x in first_last], dtype=bool),
        length=np.array([len(x) for x in plain], dtype=np.int32),
        short_length=np.array([len(x) for x in first_last], dtype=np.int32),
        letters=_letters(plain), short_letters=_letters(first_last))


# --- Dates --------------------------------------------------------------------------------------
def _digit_check(x: np.ndarray, y: np.ndarray, digits: int) -> np.ndarray:
    dx = [(x // 10**k) % 10 for k in range(digits)]
    dy = [(y // 10**k) % 10 for k in range(digits)]
    differ = [a != b for a, b in zip(dx, dy, strict=True)]
    count = np.sum(differ, axis=0)
    swapped = np.zeros(x.shape, dtype=bool)
    for k in range(digits - 1):
        swapped |= differ[k] & differ[k + 1] & (dx[k] == dy[k + 1]) & (dx[k + 1] == dy[k]) & (count == 2)
    return (count == 1) | swapped


def _one_keystroke(x: np.ndarray, y: np.ndarray, digits: int) -> np.ndarray:
    """x and y (written with ``digits`` digits) differ by one digit, or by two neighbours swapped.

    Only pairs whose difference could come from that are compared digit by digit: one digit off
    makes the difference d × 10^k (d from 1 to 9), two neighbours swapped 9 × (a − b) × 10^k."""
    diff = np.abs(x.astype(np.int64) - y.astype(np.int64))
    at = np.flatnonzero(diff > 0)
    mantissa = diff[at]
    for _ in range(digits - 1):  # strip the trailing zeros
        zero = mantissa % 10 == 0
        if not zero.any():
            break
        mantissa = np.where(zero, mantissa // 10, mantissa)
    at = at[(mantissa <= 9) | ((mantissa <= 81) & (mantissa % 9 == 0))]
    found = np.zeros(len(x), dtype=bool)
    if len(at):
        found[at] = _digit_check(x[at], y[at], digits)
    return found


# --- Blocks -------------------------------------------------------------------------------------
def _block_pairs(keys: np.ndarray, rows: np.ndarray, max_block: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair of rows whose entries share a key (entry k stands for row ``rows[k]``; a key
    below 0 is no key), in arrays of at most about ``CHUNK`` pairs. A row may have several entries."""
    keep = keys >= 0
    keys, rows = keys[keep], rows[keep]
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    useful = (sizes >= 2) & (sizes <= max_block)
    starts, sizes = starts[useful], sizes[useful]
    for size in np.unique(sizes):
        first = starts[sizes == size]
        upper_i, upper_j = np.triu_indices(int(size), 1)
        per_chunk = max(1, CHUNK // len(upper_i))
        for at in range(0, len(first), per_chunk):
            base = first[at:at + per_chunk, None]
            a, b = rows[order[(base + upper_i).ravel()]], rows[order[(base + upper_j).ravel()]]
            differ = a != b
            yield a[differ], b[differ]


def _chunks(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Regroup small pair arrays into chunks of about ``CHUNK`` pairs."""
    held: list[tuple[np.ndarray, np.ndarray]] = []
    count = 0
    for a, b in pairs:
        held.append((a, b))
        count += len(a)
        if count >= CHUNK:
            yield np.concatenate([h[0] for h in held]), np.concatenate([h[1] for h in held])
            held, count = [], 0
    if held:
        yield np.concatenate([h[0] for h in held]), np.concatenate([h[1] for h in held])


# --- The records as arrays ------------------------------------------------------------------------
@dataclass
class _Table:
    ids: np.ndarray
    names: _Names
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    ordinal: np.ndarray
    female: np.ndarray
    household: np.ndarray  # -1: none
    kelurahan: np.ndarray  # -1: none
    phone: np.ndarray  # the digits as a number, -1: none
    nik: np.ndarray  # the 16 digits as a number, -1: none or not 16 digits
    nik_region: np.ndarray  # digits 1-6
    nik_date: np.ndarray  # digits 7-12
    nik_serial: np.ndarray  # digits 13-16


_NOT_DIGITS = re.compile(r"\D")


def _phone_number(phone: str | None) -> int:
    """A phone number as a number, written the Indonesian way (0812…; +62/62 becomes 0): -1 when
    it is not a plausible number."""
    digits = _NOT_DIGITS.sub("", phone or "")
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return int(digits) if 8 <= len(digits) <= 15 else -1


def _nik_number(nik: str | None) -> int:
    nik = (nik or "").strip()
    return int(nik) if len(nik) == 16 and nik.isdigit() else -1


def _table(ids: Sequence[int], names: Sequence[str], births: Sequence[Any], sexes: Sequence[str],
           households: Sequence[int | None], kelurahans: Sequence[int | None] | None = None,
           phones: Sequence[str] | None = None, niks: Sequence[str] | None = None) -> _Table:
    n = len(ids)
    born = np.asarray(births, dtype="datetime64[D]")  # date objects, or ISO strings from SQLite
    years = born.astype("datetime64[Y]")
    months = born.astype("datetime64[M]")
    nik = np.fromiter((_nik_number(x) for x in niks), dtype=np.int64, count=n) if niks is not None else \
        np.full(n, -1, dtype=np.int64)
    known = nik >= 0
    return _Table(
        ids=np.asarray(ids, dtype=np.int64), names=_names(names),
        year=years.astype(np.int64) + 1970,
        month=(months - years).astype(np.int64) + 1,
        day=(born - months).astype(np.int64) + 1,
        ordinal=born.astype(np.int64),
        female=np.fromiter((s == "F" for s in sexes), dtype=bool, count=n),
        household=np.fromiter((-1 if h is None else h for h in households), dtype=np.int64, count=n),
        kelurahan=(np.fromiter((-1 if k is None else k for k in kelurahans), dtype=np.int64, count=n)
                   if kelurahans is not None else np.full(n, -1, dtype=np.int64)),
        phone=(np.fromiter((_phone_number(p) for p in phones), dtype=np.int64, count=n)
               if phones is not None else np.full(n, -1, dtype=np.int64)),
        nik=nik,
        nik_region=np.where(known, nik // 10**10, -1),
        nik_date=np.where(known, (nik // 10**4) % 10**6, -1),
        nik_serial=np.where(known, nik % 10**4, -1))


# --- Comparisons: a level per field ----------------------------------------------------------------
def _same_or_missing(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """0 same, 1 differs, 2 missing on either side."""
    return np.where((x < 0) | (y < 0), 2, np.where(x == y, 0, 1)).astype(np.int8)


def _birth_levels(t: _Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ya, yb, ma, mb, da, db = t.year[a], t.year[b], t.month[a], t.month[b], t.day[a], t.day[b]
    same = t.ordinal[a] == t.ordinal[b]
    same_y, same_m, same_d = ya == yb, ma == mb, da == db
    swapped = ~same & same_y & (ma == db) & (da == mb)
    digit = np.zeros(len(a), dtype=bool)
    for part_same, x, y, digits in ((same_m & same_d, ya, yb, 4), (same_y & same_d, ma, mb, 2),
                                    (same_y & same_m, da, db, 2)):
        at = np.flatnonzero(part_same & ~same)  # only one part differs: is it one keystroke off?
        if len(at):
            digit[at] = _one_keystroke(x[at], y[at], digits)
    # One registration knew the birthday, the other wrote 1 January for "not known".
    unknown = same_y & (((ma == 1) & (da == 1)) | ((mb == 1) & (db == 1)))
    near_year = np.abs(ya - yb) <= 2  # a birth year guessed, one or two years out
    return np.select([same, swapped, digit, unknown, same_y, near_year], [0, 1, 2, 3, 4, 5], 6).astype(np.int8)


def _nik_levels(t: _Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na, nb = t.nik[a], t.nik[b]
    missing = (na < 0) | (nb < 0)
    first12 = (t.nik_region[a] == t.nik_region[b]) & (t.nik_date[a] == t.nik_date[b])
    serial_near = first12 & _one_keystroke(t.nik_serial[a], t.nik_serial[b], 4)
    # One keystroke of the whole number, not only in the serial: a NIK copied wrong. (Twins and
    # siblings registered together have neighbouring serials: that is the weaker serial_near.)
    whole = ~first12 & _one_keystroke(na, nb, 16)
    same_date = t.nik_date[a] == t.nik_date[b]
    same_region = t.nik_region[a] == t.nik_region[b]
    return np.select([missing, whole | (na == nb), serial_near, first12, same_date, same_region],
                     [6, 0, 1, 2, 3, 4], 5).astype(np.int8)


def _levels(t: _Table, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """The level of every field but the name, for pairs (a[k], b[k])."""
    return {
        "nik": _nik_levels(t, a, b),
        "birth_date": _birth_levels(t, a, b),
        "sex": (t.female[a] != t.female[b]).astype(np.int8),
        "kk": _same_or_missing(t.household[a], t.household[b]),
        "kelurahan": _same_or_missing(t.kelurahan[a], t.kelurahan[b]),
        "phone": _same_or_missing(t.phone[a], t.phone[b]),
    }


# --- Names compared ---------------------------------------------------------------------------------
def _upper_bounds(t: _Table, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds of the name similarities, from letter counts alone (a common subsequence
    cannot hold more of a letter than either name has): for the names as written or sorted, and
    for first + last word against the other name."""
    n = t.names
    ca, cb = n.code[a], n.code[b]
    common = np.minimum(n.letters[ca], n.letters[cb]).sum(axis=1, dtype=np.int32)
    full = 200.0 * common / np.maximum(n.length[ca] + n.length[cb], 1)
    middle_a, middle_b = n.middle[ca], n.middle[cb]
    one_middle = middle_a != middle_b
    short = np.zeros(len(a), dtype=np.float32)
    at = np.flatnonzero(one_middle)
    if len(at):
        # The side with a middle part compares its first + last word with the other as written.
        ma = middle_a[at]
        left_letters = np.where(ma[:, None], n.short_letters[ca[at]], n.letters[ca[at]])
        right_letters = np.where(ma[:, None], n.letters[cb[at]], n.short_letters[cb[at]])
        left_len = np.where(ma, n.short_length[ca[at]], n.length[ca[at]])
        right_len = np.where(ma, n.length[cb[at]], n.short_length[cb[at]])
        common_short = np.minimum(left_letters, right_letters).sum(axis=1, dtype=np.int32)
        short[at] = 200.0 * common_short / np.maximum(left_len + right_len, 1) - FIRST_LAST_ONLY
    return full, short


def _name_scores(t: _Table, a: np.ndarray, b: np.ndarray, cutoff: float, workers: int,
                 ends: np.ndarray | None = None) -> np.ndarray:
    """The best of: the names as written, with their words sorted, and first + last word of a
    name with a middle part against a name without one. Below ``cutoff`` a score may read 0.
    ``ends``, when given, is set where the best came from first + last word only."""
    n = t.names
    ca, cb = n.code[a], n.code[b]
    score = np.zeros(len(a), dtype=np.float32)
    same = ca == cb
    score[same] = 100.0
    rest = np.flatnonzero(~same)
    if len(rest) == 0:
        return score
    ra, rb = ca[rest], cb[rest]
    score[rest] = cpdist(n.plain[ra], n.plain[rb], scorer=fuzz.ratio, score_cutoff=cutoff, workers=workers)
    reordered = np.flatnonzero(n.reordered[ra] | n.reordered[rb])
    if len(reordered):
        at = rest[reordered]
        score[at] = np.maximum(score[at], cpdist(n.sorted[ra[reordered]], n.sorted[rb[reordered]],
                                                 scorer=fuzz.ratio, score_cutoff=cutoff, workers=workers))
    middle = np.flatnonzero(n.middle[ra] != n.middle[rb])
    if len(middle):
        ma = n.middle[ra[middle]]
        left = np.where(ma, n.first_last[ra[middle]], n.plain[ra[middle]])
        right = np.where(ma, n.plain[rb[middle]], n.first_last[rb[middle]])
        short = cpdist(left, right, scorer=fuzz.ratio, score_cutoff=min(100.0, cutoff + FIRST_LAST_ONLY),
                       workers=workers)
        at = rest[middle]
        short = np.where(short > 0, short - FIRST_LAST_ONLY, 0)
        if ends is not None:
            ends[at] = short > score[at]
        score[at] = np.maximum(score[at], short)
    return score


def _word_differs(x: str, y: str) -> bool:
    """Whether, with the words of the shorter name paired one to one with words of the other in
    the best way, some pair is more than one keystroke apart (more than two for long words)."""
    short = [_fold(w) for w in x.split()]
    long_ = [_fold(w) for w in y.split()]
    if len(short) > len(long_):
        short, long_ = long_, short
    if not short:
        return True
    if len(long_) > 5:  # too many pairings to try: each word against its best match
        def closest(w: str) -> str:
            return max(long_, key=lambda v: fuzz.ratio(w, v))
        pairings: Iterable[tuple[str, ...]] = [tuple(closest(w) for w in short)]
    else:
        pairings = permutations(long_, len(short))
    best = max(pairings, key=lambda p: sum(fuzz.ratio(w, v) for w, v in zip(short, p, strict=True)))
    return any(Indel.distance(w, v) > (4 if max(len(w), len(v)) >= 8 else 2)
               for w, v in zip(short, best, strict=True))


def _name_levels(t: _Table, a: np.ndarray, b: np.ndarray, workers: int,
                 reachable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The name level of pairs, and their similarity (0–100; 0 may mean "below 80"). Identical
    normalised names are ``exact``; otherwise the best of the names as written, with their words
    sorted, and first + last word against a name without the middle; a word of the name further
    than a typo from its counterpart makes the names ``differs`` however alike they look ("Yohanes
    Kalami" / "Yohana Kalami", twins). ``reachable``, when given, marks the pairs worth comparing at
    all (the others are left ``differs``)."""
    n = t.names
    ca, cb = n.code[a], n.code[b]
    level = np.full(len(a), level_code("name", "differs"), dtype=np.int8)
    similarity = np.zeros(len(a), dtype=np.float32)
    same = ca == cb
    level[same] = 0
    similarity[same] = 100.0
    todo = ~same if reachable is None else ~same & reachable
    # Letter counts bound the similarity: most pairs never reach rapidfuzz.
    at = np.flatnonzero(todo)
    full, short = _upper_bounds(t, a[at], b[at])
    at = at[(full >= NAME_SIMILAR) | (short >= NAME_FIRST_LAST - FIRST_LAST_ONLY)]
    if len(at) == 0:
        return level, similarity
    ends = np.zeros(len(at), dtype=bool)
    score = _name_scores(t, a[at], b[at], NAME_SIMILAR - FIRST_LAST_ONLY, workers, ends)
    similarity[at] = score
    found = np.select([ends & (score >= NAME_FIRST_LAST - FIRST_LAST_ONLY), ~ends & (score >= NAME_CLOSE),
                       ~ends & (score >= NAME_SIMILAR)], [3, 1, 2], 4).astype(np.int8)
    for k in np.flatnonzero(found < 4):  # a word that differs: per pair, only the near ones
        if _word_differs(n.plain[ca[at[k]]], n.plain[cb[at[k]]]):
            found[k] = 4
    level[at] = found
    return level, similarity


# --- Estimation ------------------------------------------------------------------------------------
@dataclass
class Model:
    """The weights of a scan, as estimated on the registry scanned."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]  # two different people at random
    u_family: dict[str, np.ndarray]  # two different people on one family card
    u_nik: np.ndarray  # [on one family card, birth-date level, NIK level]: the NIK's u given the birth dates
    prior: float  # the chance that two records of the registry are one person
    records: int
    name_people: np.ndarray  # per distinct name: how many carry it
    facts: dict[str, Any] = field(default_factory=dict)  # what the estimates rest on

    def weights(self, family: bool) -> dict[str, np.ndarray]:
        u = self.u_family if family else self.u
        found = {f: np.log2(self.m[f] / u[f]) for f in FIELDS}
        for f in MISSING_IS_NEUTRAL:  # a value not recorded is no evidence either way
            found[f][level_code(f, "missing")] = 0.0
        return found

    def exact_name_u(self, code: np.ndarray) -> np.ndarray:
        """u of an identical name, by how many carry it: of the others, the share that does."""
        others = self.name_people[code] - 1
        return (others + SMOOTH_U * U_DEFAULT["name"][0]) / (self.records - 1 + SMOOTH_U)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))


U_FLOOR = 1e-6  # no agreement is rarer than this: a NIK typed from another card, a data-entry slip


def _smoothed(counts: np.ndarray, default: Sequence[float] | np.ndarray, strength: float) -> np.ndarray:
    total = float(counts.sum())
    values = (counts + strength * np.asarray(default, dtype=np.float64)) / (total + strength)
    return np.maximum(values, U_FLOOR)


def _distribution(levels: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(levels, weights=weights, minlength=size).astype(np.float64)[:size]


def _random_pairs(n: int, limit: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if n * (n - 1) // 2 <= limit:
        return np.triu_indices(n, 1)
    a = rng.integers(0, n, size=limit)
    b = rng.integers(0, n - 1, size=limit)
    b = np.where(b >= a, b + 1, b)
    return a, b


def _sampled_block_pairs(keys: np.ndarray, rows: np.ndarray, max_block: int, limit: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """About ``limit`` pairs of rows sharing a key, drawn evenly from all such pairs (in blocks of
    at most ``max_block``) without listing them: a block is drawn by its number of pairs, then two of
    its rows. Where there are fewer pairs than ``limit``, every pair once."""
    keep = np.flatnonzero(keys >= 0)
    order = keep[np.argsort(keys[keep], kind="stable")]
    ordered = keys[order]
    if len(ordered) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    useful = (sizes >= 2) & (sizes <= max_block)
    starts, sizes = starts[useful], sizes[useful]
    pairs = sizes * (sizes - 1) // 2
    total = int(pairs.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if total <= limit:
        found = [(rows[order[s + i]], rows[order[s + j]]) for s, n in zip(starts, sizes, strict=True)
                 for i, j in zip(*np.triu_indices(int(n), 1), strict=True)] if total < 50_000 else None
        if found is not None:
            a, b = zip(*found, strict=True)
            return np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    block = rng.choice(len(starts), size=min(limit, total), p=pairs / total)
    first = rng.integers(0, sizes[block])
    second = rng.integers(0, sizes[block] - 1)
    second = np.where(second >= first, second + 1, second)
    return rows[order[starts[block] + first]], rows[order[starts[block] + second]]


def _u_table(t: _Table, a: np.ndarray, b: np.ndarray, default: Mapping[str, Sequence[float]],
             workers: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    levels = _levels(t, a, b)
    levels["name"] = _name_levels(t, a, b, workers)[0]
    return ({f: _smoothed(_distribution(levels[f], len(LEVELS[f])), default[f], SMOOTH_U) for f in FIELDS},
            levels)


# --- Blocking --------------------------------------------------------------------------------------
SCHEMES = ("tanggal lahir", "kata nama+tahun+bulan", "kata nama+tahun+tanggal", "kata nama+bulan+tanggal",
           "kata nama+tahun+tanggal/bulan tertukar", "NIK wilayah+tanggal", "NIK tanggal+nomor urut")
FAMILY_MAX = 60  # a "family card" with more people than this is not a family (an institution, an error)


def _scheme(t: _Table, label: str, by_sex: bool) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) of one blocking: the birth date, a date part with both word keys (each record
    then has two entries), or a part of the NIK. Built one at a time, to hold one in memory."""
    n = len(t.ids)
    rows = np.arange(n)
    if label == "NIK wilayah+tanggal":
        return np.where(t.nik >= 0, t.nik // 10**4, -1), rows
    if label == "NIK tanggal+nomor urut":
        return np.where(t.nik >= 0, t.nik % 10**10, -1), rows
    sex = t.female.astype(np.int64) if by_sex else np.zeros(n, dtype=np.int64)
    if label == "tanggal lahir":
        return (t.ordinal - t.ordinal.min()) * 2 + sex, rows
    year0 = t.year - t.year.min()
    if label == "kata nama+tahun+bulan":
        part = (year0 * 13 + t.month) * 32
    elif label == "kata nama+tahun+tanggal":
        part = (year0 * 13) * 32 + t.day
    elif label == "kata nama+bulan+tanggal":
        unknown_day = (t.day == 1) & (t.month == 1)  # 1 January: often "not known", no typo to find
        part = np.where(unknown_day, -1, t.month * 32 + t.day)
    else:
        low, high = np.minimum(t.day, t.month), np.maximum(t.day, t.month)
        can_swap = (t.day <= 12) & (t.day != t.month)
        part = np.where(can_swap, (year0 * 13 + low) * 32 + high, -1)
    words = np.concatenate([t.names.first_key, t.names.last_key]).astype(np.int64)
    part, sex = np.concatenate([part, part]), np.concatenate([sex, sex])
    # The part stays far below 2**40 (years × 13 × 32): the combined key fits in int64.
    keys = np.where((words < 0) | (part < 0), -1, ((words << 40) | part) * 2 + sex)
    return keys, np.concatenate([rows, rows])


def _scheme_total(keys: np.ndarray) -> int:
    _, sizes = np.unique(keys[keys >= 0], return_counts=True)
    sizes = sizes[(sizes >= 2) & (sizes <= MAX_BLOCK)]
    return int((sizes * (sizes - 1) // 2).sum())


def _blockings(t: _Table, by_sex: bool) -> list[Blocking]:
    def pairs(label: str) -> Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]:
        def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            keys, rows = _scheme(t, label, by_sex)
            yield from _block_pairs(keys, rows, MAX_BLOCK)
        return generate

    def sample(label: str) -> Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]:
        def draw(limit: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            keys, rows = _scheme(t, label, by_sex)
            return _sampled_block_pairs(keys, rows, MAX_BLOCK, limit, rng)
        return draw

    return [Blocking(label, pairs(label), _scheme_total(_scheme(t, label, by_sex)[0]),
                     FREE_BY_SCHEME.get(label, FREE_WORD_SCHEME), sample(label)) for label in SCHEMES]


# --- Estimation on the registry --------------------------------------------------------------------
@dataclass
class Blocking:
    """One blocking scheme as the estimation sees it: its pairs, how many, and the fields its key
    does not fix (only those say anything about duplicates among its pairs)."""

    label: str
    pairs: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]
    total: int
    free: tuple[str, ...]
    sample: Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]  # about k of its pairs, evenly


FREE_BY_SCHEME = {
    "tanggal lahir": ("name", "nik", "kk", "kelurahan", "phone"),
    # The NIK's region is where its holder lived: people sharing it live near each other, so the
    # kelurahan is not free in the NIK blocks.
    "NIK wilayah+tanggal": ("name", "kk", "phone"),
    "NIK tanggal+nomor urut": ("name", "kk", "phone"),
}
# The name-word blocks fix part of the name and two date parts; what they leave free (NIK region,
# family card, kelurahan, phone) goes with the family name among different people (clans live
# together), so they estimate nothing: their pairs would teach the model that relatives are duplicates.
FREE_WORD_SCHEME: tuple[str, ...] = ()


def _nik_u(t: _Table, rng: np.random.Generator, random_levels: dict[str, np.ndarray],
           family_levels: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, int]]:
    """The NIK's u given the birth-date level, between people at random and on one family card.
    Pairs born on one day come from the birth-date blocks, pairs born in one year (a day or a month
    apart, swapped, 1 January) from the birth-year blocks, the rest from the random pairs."""
    n = len(t.ids)
    rows = np.arange(n)
    size = len(LEVELS["nik"])
    table = np.empty((2, len(LEVELS["birth_date"]), size))
    counts = {}
    day = t.ordinal - t.ordinal.min() if n else t.ordinal
    da, db = _sampled_block_pairs(day, rows, MAX_BLOCK * 10, U_SAMPLE // 2, rng)
    ya, yb = _sampled_block_pairs(t.year, rows, 10**9, U_SAMPLE, rng)
    a, b = np.concatenate([da, ya]), np.concatenate([db, yb])
    strangers = (t.household[a] < 0) | (t.household[a] != t.household[b])
    a, b = a[strangers], b[strangers]
    birth, nik = _birth_levels(t, a, b), _nik_levels(t, a, b)
    for level in range(len(LEVELS["birth_date"])):
        if level == level_code("birth_date", "differs"):
            found = random_levels["nik"][random_levels["birth_date"] == level]
        else:
            found = nik[birth == level]
        default = NIK_SAME_DAY_U_DEFAULT if level == 0 else U_DEFAULT["nik"]
        table[0, level] = _smoothed(_distribution(found, size), default, SMOOTH_U)
        counts[LEVELS["birth_date"][level]] = len(found)
    twins = family_levels["birth_date"] == 0
    table[1, 0] = _smoothed(_distribution(family_levels["nik"][twins], size), FAMILY_SAME_DAY_NIK_U_DEFAULT,
                            SMOOTH_M)
    # Siblings born on other days: the NIK's structure as between strangers born that far apart whose
    # NIKs were issued in one region, as a family's are (a family's own pairs are too few to
    # estimate it per birth-date level).
    near = t.nik_region[a] == t.nik_region[b]
    for level in range(1, len(LEVELS["birth_date"])):
        found = nik[near & (birth == level)]
        table[1, level] = _smoothed(_distribution(found, size), table[0, level], SMOOTH_U)
    return table, counts


def _em(levels: dict[str, np.ndarray], free: tuple[str, ...], u: dict[str, np.ndarray],
        u_family: dict[str, np.ndarray], u_nik: np.ndarray, m0: dict[str, np.ndarray]) -> tuple[
            dict[str, np.ndarray], float, float]:
    """Expectation–maximisation of m and of the share of duplicates among one blocking's pairs,
    u held at what the registry says of different people, over the fields the blocking leaves free.
    Run on the distinct patterns of levels (a few thousand at most). Returns m of the free fields,
    the share, and the duplicates expected among the pairs given."""
    stride, code = 1, np.zeros(len(levels["kk"]), dtype=np.int64)
    strides = {}
    for f in FIELDS:
        strides[f] = stride
        code += levels[f].astype(np.int64) * stride
        stride *= len(LEVELS[f])
    patterns, count = np.unique(code, return_counts=True)
    at = {f: (patterns // strides[f]) % len(LEVELS[f]) for f in FIELDS}
    family = at["kk"] == 0
    log_u = np.zeros(len(patterns))
    for f in free:
        if f == "nik":
            log_u += np.log(u_nik[family.astype(np.int64), at["birth_date"], at["nik"]])
        elif f == "kk":
            log_u += np.log(u["kk"][at["kk"]])
        else:
            log_u += np.log(np.where(family, u_family[f][at[f]], u[f][at[f]]))
    m = {f: m0[f].copy() for f in FIELDS}
    share = 0.01
    matched = np.zeros(len(patterns))
    for _ in range(EM_ROUNDS):
        log_m = sum((np.log(m[f][at[f]]) for f in free), np.zeros(len(patterns)))
        odds = np.exp(np.clip(log_m - log_u + math.log(share / (1 - share)), -700, 700))
        matched = count * odds / (1 + odds)
        share = float(np.clip(matched.sum() / count.sum(), 1e-9, 1 - 1e-6))
        for f in free:
            m[f] = _smoothed(_distribution(at[f], len(LEVELS[f]), matched), M_DEFAULT[f], SMOOTH_M)
    return m, share, float(matched.sum())


def estimate(t: _Table, blockings: Sequence[Blocking], workers: int = 1, seed: int = 20261207) -> Model:
    """The model's weights for these records: u from pairs of different people the registry holds,
    m and the number of duplicates by expectation–maximisation over each blocking's pairs."""
    rng = np.random.default_rng(seed)
    n = len(t.ids)
    rows = np.arange(n)
    a, b = _random_pairs(n, U_SAMPLE, rng)
    u, random_levels = _u_table(t, a, b, U_DEFAULT, workers)
    family_keys = np.where(t.household >= 0, t.household, -1)
    fa, fb = _sampled_block_pairs(family_keys, rows, FAMILY_MAX, U_SAMPLE, rng)
    u_family, family_levels = _u_table(t, fa, fb, FAMILY_U_DEFAULT, workers)
    u_nik, nik_counts = _nik_u(t, rng, random_levels, family_levels)
    facts: dict[str, Any] = {"records": n, "random_pairs": len(a), "family_pairs": len(fa),
                             "nik_pairs_by_birth_date": nik_counts, "blockings": {}}
    m = {f: np.asarray(M_DEFAULT[f], dtype=np.float64) for f in FIELDS}
    sums = {f: np.zeros(len(LEVELS[f])) for f in FIELDS}
    mass = dict.fromkeys(FIELDS, 0.0)
    duplicates = DUPLICATE_RATE * n
    by_date: float | None = None
    for blocking in blockings:
        if not blocking.free:
            continue
        ea, eb = blocking.sample(EM_SAMPLE, rng)
        if len(ea) < EM_MIN_PAIRS:
            continue
        levels = _levels(t, ea, eb)
        levels["name"] = (_name_levels(t, ea, eb, workers)[0] if "name" in blocking.free
                          else np.full(len(ea), level_code("name", "differs"), dtype=np.int8))
        found, share, matched = _em(levels, blocking.free, u, u_family, u_nik, m)
        facts["blockings"][blocking.label] = {"pairs": blocking.total, "drawn": len(ea), "share": round(share, 6),
                                              "duplicates": round(share * blocking.total, 1)}
        for f in blocking.free:
            sums[f] += found[f] * matched
            mass[f] += matched
        if blocking.label == "tanggal lahir" or blocking.label == "semua pasangan":
            by_date = share * blocking.total
    for f in FIELDS:
        if mass[f] > 0:
            m[f] = sums[f] / mass[f]
    if by_date is not None:
        # The birth-date blocks hold the duplicates written with the same date and sex.
        fixed = 1.0 if any(b.label == "semua pasangan" for b in blockings) else \
            float(m["birth_date"][0] * m["sex"][0])
        duplicates = by_date / fixed
    duplicates = float(np.clip(duplicates, 0.0005 * n, 0.2 * n)) if n else 0.0
    prior = float(np.clip(duplicates / max(1.0, n * (n - 1) / 2), 1e-15, 0.5))
    facts["duplicates_expected"] = round(duplicates, 1)
    return Model(m=m, u=u, u_family=u_family, u_nik=u_nik, prior=prior, records=n, name_people=t.names.people,
                 facts=facts)


# --- Scoring ---------------------------------------------------------------------------------------
@dataclass
class _Weights:
    """The model's weights laid out for vectorised lookup."""

    other: dict[str, np.ndarray]  # [stratum, level]: 0 at random, 1 on one family card
    nik: np.ndarray  # [stratum, birth-date level, level]
    name: np.ndarray  # [stratum, level] (the exact level of stratum 0 is by name frequency)
    name_exact_m: float
    prior: float


def _weights(model: Model) -> _Weights:
    w0, w1 = model.weights(False), model.weights(True)
    nik = np.log2(model.m["nik"][None, None, :] / model.u_nik)
    nik[:, :, level_code("nik", "missing")] = 0.0
    # The family card itself weighs as it does between people at random; on one card, the other
    # fields weigh by how often family members agree on them (the chain rule: P(kk) × P(rest | kk)).
    other = {f: np.stack([w0[f], w1[f]]) for f in ("birth_date", "sex", "kk", "kelurahan", "phone")}
    other["kk"] = np.stack([w0["kk"], w0["kk"]])
    return _Weights(other=other,
                    nik=nik, name=np.stack([w0["name"], w1["name"]]), name_exact_m=float(model.m["name"][0]),
                    prior=model.prior_weight)


def _name_weight(w: _Weights, model: Model, t: _Table, a: np.ndarray, family: np.ndarray,
                 level: np.ndarray) -> np.ndarray:
    weight = w.name[family.astype(np.int64), level]
    exact = np.flatnonzero((level == 0) & ~family)
    if len(exact):
        weight[exact] = np.log2(w.name_exact_m / model.exact_name_u(t.names.code[a[exact]]))
    return weight


def _best_name_weight(w: _Weights, model: Model, t: _Table, a: np.ndarray, b: np.ndarray,
                      family: np.ndarray) -> np.ndarray:
    """The most the name could add to each pair: exact when the names are identical, else the best
    level their letter counts leave possible."""
    n = t.names
    same = n.code[a] == n.code[b]
    fam = family.astype(np.int64)
    best = np.full(len(a), -np.inf)
    best[same] = _name_weight(w, model, t, a[same], family[same], np.zeros(int(same.sum()), dtype=np.int8))
    at = np.flatnonzero(~same)
    full, short = _upper_bounds(t, a[at], b[at])
    table = w.name[fam[at]]
    best[at] = table[:, level_code("name", "differs")]
    for level, reach in (("close", full >= NAME_CLOSE), ("similar", full >= NAME_SIMILAR),
                         ("first_last", short >= NAME_FIRST_LAST - FIRST_LAST_ONLY)):
        best[at] = np.where(reach, np.maximum(best[at], table[:, level_code("name", level)]), best[at])
    return best


def _evidence(levels: dict[str, np.ndarray], weights: dict[str, np.ndarray], similarity: np.ndarray,
              people: np.ndarray, k: int) -> tuple[dict[str, Any], ...]:
    found = []
    for f in FIELDS:
        entry: dict[str, Any] = {"field": f, "level": LEVELS[f][int(levels[f][k])],
                                 "weight": round(float(weights[f][k]), 1)}
        if f == "name":
            entry["similarity"] = round(float(similarity[k]))
            entry["people"] = int(people[k])
        found.append(entry)
    return tuple(found)


def _score(t: _Table, model: Model, w: _Weights, a: np.ndarray, b: np.ndarray, threshold: float,
           exclude: set[tuple[int, int]], workers: int) -> list[Candidate]:
    if len(a) == 0:
        return []
    # Order each pair by person id and drop the pairs met more than once.
    flip = t.ids[a] > t.ids[b]
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    _, first = np.unique(a.astype(np.int64) * len(t.ids) + b, return_index=True)
    a, b = a[first], b[first]
    levels = _levels(t, a, b)
    levels["name"], similarity = _name_levels(t, a, b, workers)
    family = levels["kk"] == 0
    fam = family.astype(np.int64)
    weights = {f: w.other[f][fam, levels[f]] for f in w.other}
    weights["nik"] = w.nik[fam, levels["birth_date"], levels["nik"]]
    weights["name"] = _name_weight(w, model, t, a, family, levels["name"])
    total = sum(weights[f] for f in FIELDS) + w.prior
    probability = 100.0 / (1.0 + np.exp2(-np.clip(total, -60, 60)))
    people = np.maximum(t.names.people[t.names.code[a]], t.names.people[t.names.code[b]])
    found: list[Candidate] = []
    for k in np.flatnonzero(probability >= threshold):
        pair = (int(t.ids[a[k]]), int(t.ids[b[k]]))
        if pair not in exclude:
            found.append(Candidate(*pair, round(float(probability[k]), 1),
                                   _evidence(levels, weights, similarity, people, int(k))))
    found.sort(key=lambda c: (-c.score, c.a, c.b))
    return found


def _logit(threshold: float) -> float:
    p = min(max(threshold / 100.0, 1e-9), 1 - 1e-9)
    return math.log2(p / (1 - p))


def _nik_bound(t: _Table, w: _Weights, a: np.ndarray, b: np.ndarray, levels: dict[str, np.ndarray]) -> np.ndarray:
    """The NIK's weight, or where telling "one keystroke apart" from the rest would cost a 16-digit
    comparison, the larger of the two weights it could be."""
    family = (levels["kk"] == 0).astype(np.int64)
    table = w.nik[family, levels["birth_date"]]  # [pair, NIK level]
    na, nb = t.nik[a], t.nik[b]
    missing = (na < 0) | (nb < 0)
    same_region = t.nik_region[a] == t.nik_region[b]
    same_date = t.nik_date[a] == t.nik_date[b]
    first12 = same_region & same_date
    level = np.select([missing, first12, same_date, same_region], [6, 2, 3, 4], 5)
    at = np.flatnonzero(first12 & ~missing)  # rare outside the NIK blocks: the serial compared only there
    level[at[_one_keystroke(t.nik_serial[a[at]], t.nik_serial[b[at]], 4)]] = level_code("nik", "serial_near")
    bound = np.take_along_axis(table, level[:, None].astype(np.int64), axis=1)[:, 0]
    # Outside the first 12 digits agreeing, the NIKs may still be one keystroke apart.
    open_ = ~missing & ~first12
    return np.where(open_, np.maximum(bound, table[:, level_code("nik", "one_keystroke")]), bound)


def _survivors(t: _Table, model: Model, w: _Weights, a: np.ndarray, b: np.ndarray,
               threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that could reach the threshold, cheapest tests first: the fields other than NIK and
    name weighed exactly, the NIK and the name at the most they could add; then the NIK weighed
    exactly; then the name bounded by letter counts."""
    need = _logit(threshold)
    ceiling = max(float(w.name.max()), float(np.log2(w.name_exact_m / model.exact_name_u(
        np.array([int(np.argmin(model.name_people))]))[0])) if len(model.name_people) else 0.0)
    levels = {"birth_date": _birth_levels(t, a, b), "sex": (t.female[a] != t.female[b]).astype(np.int8),
              "kk": _same_or_missing(t.household[a], t.household[b]),
              "kelurahan": _same_or_missing(t.kelurahan[a], t.kelurahan[b]),
              "phone": _same_or_missing(t.phone[a], t.phone[b])}
    family = (levels["kk"] == 0).astype(np.int64)
    other = sum((table[family, levels[f]] for f, table in w.other.items()), np.full(len(a), w.prior))
    nik = _nik_bound(t, w, a, b, levels)
    keep = np.flatnonzero(other + nik + ceiling >= need)
    a, b, other, nik, family = a[keep], b[keep], other[keep], nik[keep], family[keep]
    levels = {f: v[keep] for f, v in levels.items()}
    # The name, cheaply: identical names weigh exactly (by how many carry them), others at most as
    # much as the best level short of identical.
    same_name = t.names.code[a] == t.names.code[b]
    name = w.name[family, 1:].max(axis=1)
    at = np.flatnonzero(same_name)
    name[at] = _name_weight(w, model, t, a[at], family[at].astype(bool), np.zeros(len(at), dtype=np.int8))
    keep = np.flatnonzero(other + nik + name >= need)
    a, b, other, family = a[keep], b[keep], other[keep], family[keep]
    levels = {f: v[keep] for f, v in levels.items()}
    other = other + w.nik[family, levels["birth_date"], _nik_levels(t, a, b)]
    keep = np.flatnonzero(other + ceiling >= need)
    a, b, other, family = a[keep], b[keep], other[keep], family[keep]
    keep = np.flatnonzero(other + _best_name_weight(w, model, t, a, b, family.astype(bool)) >= need)
    return a[keep], b[keep]


def _run(t: _Table, blockings: Sequence[Blocking], threshold: float, exclude: set[tuple[int, int]], workers: int,
         progress: Callable[[int, int], None] | None) -> list[Candidate]:
    global last_model
    model = last_model = estimate(t, blockings, workers)
    if progress:
        progress(1, 3)
    w = _weights(model)
    kept_a: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    kept_b: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    for a, b in _chunks(pair for blocking in blockings for pair in blocking.pairs()):
        a, b = _survivors(t, model, w, a, b, threshold)
        kept_a.append(a)
        kept_b.append(b)
    if progress:
        progress(2, 3)
    found = _score(t, model, w, np.concatenate(kept_a), np.concatenate(kept_b), threshold, exclude, workers)
    if progress:
        progress(3, 3)
    return found


last_model: Model | None = None  # the model of the last scan in this process (benchmarks print it)


# --- Entry points ------------------------------------------------------------------------------------
LOAD_CHUNK = 50_000


def load_columns(persons: Any) -> dict[str, list[Any]]:
    """The columns ``find`` reads, for the persons of a queryset, through one plain cursor (no model
    instances). The NIK is decrypted here, in memory, for the scan only."""
    from cryptography.exceptions import InvalidTag
    from django.db import connection

    from jaring.core.crypto import cipher

    sql, params = (persons.order_by().values_list("id", "full_name", "birth_date", "sex", "household_id",
                                                  "kelurahan_id", "phone", "nik_encrypted").query.sql_with_params())
    names = ("ids", "names", "births", "sexes", "households", "kelurahans", "phones", "niks")
    columns: dict[str, list[Any]] = {name: [] for name in names}
    decrypt = cipher().decrypt
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(LOAD_CHUNK):
            for name, values in zip(names, zip(*chunk, strict=True), strict=True):
                columns[name].extend(values)
    niks = columns["niks"]
    for k, blob in enumerate(niks):
        try:
            niks[k] = decrypt(blob, kind="nik")
        except (ValueError, InvalidTag):  # unreadable (another key, a placeholder): no NIK evidence for this record
            niks[k] = ""
    return columns

def find(*, ids: Sequence[int], names: Sequence[str], births: Sequence[Any], sexes: Sequence[str],
         households: Sequence[int | None], kelurahans: Sequence[int | None] | None = None,
         phones: Sequence[str] | None = None, niks: Sequence[str] | None = None, threshold: float = THRESHOLD,
         exclude: set[tuple[int, int]] | None = None, progress: Callable[[int, int], None] | None = None,
         workers: int = 1) -> list[Candidate]:
    """Candidate pairs among records given column by column (the fast path of ``candidates``),
    highest match probability first."""
    if len(ids) < 2:
        return []
    t = _table(ids, names, births, sexes, households, kelurahans, phones, niks)
    # A different sex weighs heavily against a pair: the name and date blocks are split by sex
    # (half the pairs to look at); the NIK blocks are not, and catch a sex written wrong.
    by_sex = True
    return _run(t, _blockings(t, by_sex), threshold, exclude or set(), workers, progress)


def candidates(rows: Iterable[Row], *, threshold: float = THRESHOLD, exclude: set[tuple[int, int]] | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Candidate]:
    rows = list(rows)
    return find(ids=[r.id for r in rows], names=[r.name for r in rows], births=[r.birth for r in rows],
                sexes=[r.sex for r in rows], households=[r.household for r in rows],
                kelurahans=[r.kelurahan for r in rows], phones=[r.phone for r in rows], niks=[r.nik for r in rows],
                threshold=threshold, exclude=exclude, progress=progress)


def find_all_pairs(*, ids: Sequence[int], names: Sequence[str], births: Sequence[Any], sexes: Sequence[str],
                   households: Sequence[int | None], kelurahans: Sequence[int | None] | None = None,
                   phones: Sequence[str] | None = None, niks: Sequence[str] | None = None,
                   threshold: float = THRESHOLD) -> list[Candidate]:
    """The naive way, kept for comparison (benchmarks): every pair of the records looked at, with
    the same model, estimates and scores as ``find`` but no blocking."""
    if len(ids) < 2:
        return []
    t = _table(ids, names, births, sexes, households, kelurahans, phones, niks)
    n = len(ids)

    def every_pair() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, n - 1, max(1, CHUNK // n)):
            a = np.repeat(np.arange(start, min(n - 1, start + max(1, CHUNK // n))), n)
            b = np.tile(np.arange(n), len(a) // n)
            keep = b > a
            yield a[keep], b[keep]

    every = Blocking("semua pasangan", every_pair, n * (n - 1) // 2, FIELDS,
                     lambda limit, rng: _random_pairs(n, limit, rng))
    return _run(t, [every], threshold, set(), 1, None)
