"""Finding people registered twice, the way offices actually get them: the same person under a
mistyped NIK, an old spelling (Soekarni/Sukarni), a title (Ibu, Ny., Hj.), a swapped day and month.

Nobody is compared with the whole registry. Candidate pairs come from blocks, built set-based
(numpy, no per-pair Python), each block a group of records that agree on a cheap key:

* birth date (and sex) — whatever happened to the name, when the date was copied right;
* a sound key of the first or of the last word of the name — each record sits in the blocks of
  both its words, so a family name written first, a middle name left out or a typo in one word
  still meet — together with year and month (a mistyped day), year and day (a mistyped month),
  month and day (a mistyped year), or year and the day/month pair (day and month swapped).

Within the blocks every pair is scored with rapidfuzz on the normalised names (titles gone, old
spellings modernised, repeated letters collapsed; the best of the names as written, with their
words sorted, and first + last word against a name without the middle), then birth date, family
card (KK), sex, how common the name is, and whether a whole word of the name differs. Pairs at or
above the threshold go to a review queue; a pair an operator dismissed is never proposed again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel
from rapidfuzz.process import cpdist

from jaring.registry.names import match_name

THRESHOLD = 85.0
MAX_BLOCK = 400  # a block larger than this is too coarse to be useful (e.g. 1 January, unknown dates)
CHUNK = 500_000  # pairs looked at in one go (vectorised)

# The score: name similarity (0–100) plus or minus what birth date and KK say, at most 100; then
# less what speaks against the pair however alike it looks: a common name, a word of the name that
# differs, another sex.
SAME_DATE, SWAPPED_DATE, ONE_DIGIT_DATE, SAME_YEAR, OTHER_YEAR = 10.0, 5.0, -10.0, -20.0, -30.0
SAME_KK = 5.0
OTHER_SEX = 25.0  # the NIK itself encodes sex: a different sex is nearly always another person
FIRST_LAST_ONLY = 5.0  # a middle name left out is weaker evidence than the full name matching
WORD_DIFFERS = 15.0  # a word further than a typo from its counterpart: "Salmon Salosa" / "Salmon Kalami"
# A common name agreeing on a near date is weak evidence outside one family. With f other people
# of that name, f × (dates that count as near) / (days spanned by the birth dates) of them are
# expected to agree by chance; past CHANCE_FLOOR each tenfold costs 10 points, at most 30. Dates
# that count as near: the same date 1, day and month swapped 1, one digit off about 20, the same
# year 365.
COMMON_WEIGHT, COMMON_CAP, CHANCE_FLOOR = 10.0, 30.0, 0.002
NEAR_DATES = np.array([1, 1, 20, 365, 365 * 70], dtype=np.float64)
DATE_BONUS = np.array([SAME_DATE, SWAPPED_DATE, ONE_DIGIT_DATE, SAME_YEAR, OTHER_YEAR], dtype=np.float32)

R_DATE_SAME = "tanggal lahir sama"
R_DATE_SWAPPED = "tanggal dan bulan lahir tertukar"
R_DATE_DIGIT = "tanggal lahir beda satu angka"
R_KK = "KK sama"
R_SEX = "jenis kelamin berbeda"
R_WORD = "satu kata nama berbeda"


def r_common(people: int) -> str:
    return f"nama umum ({people} orang)"


@dataclass(frozen=True)
class Candidate:
    a: int
    b: int
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    birth: Any  # date
    sex: str
    household: int | None


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
def _one_keystroke(x: np.ndarray, y: np.ndarray, digits: int) -> np.ndarray:
    """x and y (written with ``digits`` digits) differ by one digit, or by two neighbours swapped."""
    dx = [(x // 10**k) % 10 for k in range(digits)]
    dy = [(y // 10**k) % 10 for k in range(digits)]
    differ = [a != b for a, b in zip(dx, dy, strict=True)]
    count = np.sum(differ, axis=0)
    swapped = np.zeros(x.shape, dtype=bool)
    for k in range(digits - 1):
        swapped |= differ[k] & differ[k + 1] & (dx[k] == dy[k + 1]) & (dx[k + 1] == dy[k]) & (count == 2)
    return (count == 1) | swapped


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


# --- Scoring ------------------------------------------------------------------------------------
@dataclass
class _Table:
    ids: np.ndarray
    names: _Names
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    ordinal: np.ndarray
    female: np.ndarray
    household: np.ndarray
    span: float  # days between the first and the last birth date


def _table(ids: Sequence[int], names: Sequence[str], births: Sequence[Any], sexes: Sequence[str],
           households: Sequence[int | None]) -> _Table:
    born = np.asarray(births, dtype="datetime64[D]")  # date objects, or ISO strings from SQLite
    years = born.astype("datetime64[Y]")
    months = born.astype("datetime64[M]")
    ordinal = born.astype(np.int64)
    return _Table(
        ids=np.asarray(ids, dtype=np.int64), names=_names(names),
        year=years.astype(np.int64) + 1970,
        month=(months - years).astype(np.int64) + 1,
        day=(born - months).astype(np.int64) + 1,
        ordinal=ordinal,
        female=np.fromiter((s == "F" for s in sexes), dtype=bool, count=len(sexes)),
        household=np.fromiter((-1 if h is None else h for h in households), dtype=np.int64, count=len(households)),
        span=float(max(365, int(np.ptp(ordinal)) + 1)) if len(ordinal) else 365.0)


@dataclass
class _Facts:
    """What the fields other than the name say about pairs."""

    date: np.ndarray  # 0 same, 1 day and month swapped, 2 one digit off, 3 same year, 4 other year
    kk: np.ndarray
    other_sex: np.ndarray
    need: np.ndarray  # the name score the pair needs to reach the threshold (over 100: it cannot)


def _facts(t: _Table, a: np.ndarray, b: np.ndarray, threshold: float) -> _Facts:
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
    date = np.select([same, swapped, digit, same_y], [0, 1, 2, 3], 4).astype(np.int8)
    kk = (t.household[a] >= 0) & (t.household[a] == t.household[b])
    other_sex = t.female[a] != t.female[b]
    # score = min(name + date + KK, 100) - penalties - sex: penalties only lower it, so this is the
    # least name score that can still reach the threshold.
    target = threshold + np.where(other_sex, OTHER_SEX, 0)
    need = target - DATE_BONUS[date] - np.where(kk, SAME_KK, 0)
    need = np.where(target > 100, np.inf, need)
    return _Facts(date, kk, other_sex, need.astype(np.float32))


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


def _close_pairs(t: _Table, a: np.ndarray, b: np.ndarray, threshold: float,
                 workers: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose name is similar enough for their other fields to reach the threshold.
    Cheap tests first: the dates, sex and KK set the name score needed; letter counts bound it;
    rapidfuzz scores only what is left."""
    need = _facts(t, a, b, threshold).need
    keep = np.flatnonzero(need <= 100)
    a, b, need = a[keep], b[keep], need[keep]
    # Lengths alone: a name can match at most 2 × the shorter length / both lengths; dropping the
    # middle part only shortens one side.
    n = t.names
    la, lb = n.length[n.code[a]], n.length[n.code[b]]
    sa = np.where(n.middle[n.code[a]], n.short_length[n.code[a]], la)
    sb = np.where(n.middle[n.code[b]], n.short_length[n.code[b]], lb)
    longest = np.maximum(200.0 * np.minimum(la, lb) / np.maximum(la + lb, 1),
                         np.maximum(200.0 * np.minimum(sa, lb) / np.maximum(sa + lb, 1),
                                    200.0 * np.minimum(la, sb) / np.maximum(la + sb, 1)))
    keep = np.flatnonzero(longest >= need)
    a, b, need = a[keep], b[keep], need[keep]
    full, short = _upper_bounds(t, a, b)
    keep = np.flatnonzero((full >= need) | (short >= need))
    a, b, need = a[keep], b[keep], need[keep]
    if len(a) == 0:
        return a, b
    name = _name_scores(t, a, b, max(0.0, float(need.min())), workers)
    keep = np.flatnonzero(name >= need)
    return a[keep], b[keep]


@dataclass
class _Scored:
    score: np.ndarray
    name: np.ndarray
    facts: _Facts
    people: np.ndarray  # how many carry the more common of the two names, when that cost points
    word_differs: np.ndarray


def _score_pairs(t: _Table, a: np.ndarray, b: np.ndarray, threshold: float, workers: int) -> _Scored:
    facts = _facts(t, a, b, threshold)
    ends = np.zeros(len(a), dtype=bool)
    name = _name_scores(t, a, b, 0.0, workers, ends)
    # How many others could have matched by chance: the bearers of the more common of the two
    # names (less the pair itself when both carry it), or when the names met on their first and
    # last word only, the bearers of those; within a family, nobody.
    ca, cb = t.names.code[a], t.names.code[b]
    people = np.maximum(t.names.people[ca], t.names.people[cb]) - (ca == cb)
    people = np.where(ends, np.maximum(t.names.pair_people[ca], t.names.pair_people[cb]) - 1, people)
    people = np.where(facts.kk, 0, people)
    chance = np.maximum(people, 1e-9) * NEAR_DATES[facts.date] / t.span
    common = np.clip(COMMON_WEIGHT * np.log10(chance / CHANCE_FLOOR), 0, COMMON_CAP)
    raw = name + DATE_BONUS[facts.date] + np.where(facts.kk, SAME_KK, 0)
    score = (np.minimum(raw, 100.0) - common - np.where(facts.other_sex, OTHER_SEX, 0)).astype(np.float32)
    # Among the pairs at the threshold, those where a whole word differs lose points.
    word_differs = np.zeros(len(a), dtype=bool)
    for k in np.flatnonzero(score >= threshold):
        if ca[k] != cb[k] and _word_differs(t.names.plain[ca[k]], t.names.plain[cb[k]]):
            word_differs[k] = True
            score[k] -= WORD_DIFFERS
    return _Scored(score, name, facts, np.where(common >= 1, people, 0), word_differs)


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


def _reasons(s: _Scored, k: int) -> tuple[str, ...]:
    reasons = [f"nama mirip {float(s.name[k]):.0f}%"]
    date = int(s.facts.date[k])
    if date == 0:
        reasons.append(R_DATE_SAME)
    elif date == 1:
        reasons.append(R_DATE_SWAPPED)
    elif date == 2:
        reasons.append(R_DATE_DIGIT)
    if s.facts.kk[k]:
        reasons.append(R_KK)
    if s.people[k] > 1:  # a name nobody else carries is no reason to doubt the match
        reasons.append(r_common(int(s.people[k])))
    if s.word_differs[k]:
        reasons.append(R_WORD)
    if s.facts.other_sex[k]:
        reasons.append(R_SEX)
    return tuple(reasons)


# --- Candidates ---------------------------------------------------------------------------------
SCHEMES = ("tanggal lahir", "kata nama+tahun+bulan", "kata nama+tahun+tanggal", "kata nama+bulan+tanggal",
           "kata nama+tahun+tanggal/bulan tertukar")


def _scheme(t: _Table, label: str, by_sex: bool) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) of one blocking: the birth date, or a date part with both word keys (each
    record then has two entries). Built one at a time, to hold one in memory."""
    n = len(t.ids)
    rows = np.arange(n)
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


def _candidates(t: _Table, a: np.ndarray, b: np.ndarray, threshold: float, exclude: set[tuple[int, int]],
                workers: int) -> list[Candidate]:
    if len(a) == 0:
        return []
    # Order each pair by person id and drop the pairs met more than once.
    flip = t.ids[a] > t.ids[b]
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    _, first = np.unique(a.astype(np.int64) * len(t.ids) + b, return_index=True)
    a, b = a[first], b[first]
    scored = _score_pairs(t, a, b, threshold, workers)
    found: list[Candidate] = []
    for k in np.flatnonzero(scored.score >= threshold):
        pair = (int(t.ids[a[k]]), int(t.ids[b[k]]))
        if pair not in exclude:
            found.append(Candidate(*pair, round(float(scored.score[k]), 1), _reasons(scored, int(k))))
    return found


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
    """Candidate pairs among records given column by column (the fast path of ``candidates``)."""
    if len(ids) < 2:
        return []
    t = _table(ids, names, births, sexes, households)
    # A pair of different sex scores at most 100 - OTHER_SEX: under a usual threshold it can never
    # be proposed, so the blocks are split by sex too (half the pairs to look at).
    by_sex = threshold > 100 - OTHER_SEX
    kept_a: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    kept_b: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    for step, label in enumerate(SCHEMES, start=1):
        keys, rows = _scheme(t, label, by_sex)
        for a, b in _chunks(_block_pairs(keys, rows, MAX_BLOCK)):
            a, b = _close_pairs(t, a, b, threshold, workers)
            kept_a.append(a)
            kept_b.append(b)
        del keys, rows
        if progress:
            progress(step, len(SCHEMES))
    return _candidates(t, np.concatenate(kept_a), np.concatenate(kept_b), threshold, exclude or set(), workers)


def candidates(rows: Iterable[Row], *, threshold: float = THRESHOLD, exclude: set[tuple[int, int]] | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Candidate]:
    rows = list(rows)
    return find(ids=[r.id for r in rows], names=[r.name for r in rows], births=[r.birth for r in rows],
                sexes=[r.sex for r in rows], households=[r.household for r in rows], threshold=threshold,
                exclude=exclude, progress=progress)


def find_all_pairs(*, ids: Sequence[int], names: Sequence[str], births: Sequence[Any], sexes: Sequence[str],
                   households: Sequence[int | None], threshold: float = THRESHOLD) -> list[Candidate]:
    """The naive way, kept for comparison (benchmarks): every pair of the records looked at, with
    the same tests and scores as ``find`` but no blocking."""
    if len(ids) < 2:
        return []
    t = _table(ids, names, births, sexes, households)
    upper_a, upper_b = np.triu_indices(len(ids), 1)
    kept_a: list[np.ndarray] = []
    kept_b: list[np.ndarray] = []
    for at in range(0, len(upper_a), CHUNK):
        a, b = _close_pairs(t, upper_a[at:at + CHUNK], upper_b[at:at + CHUNK], threshold, 1)
        kept_a.append(a)
        kept_b.append(b)
    return _candidates(t, np.concatenate(kept_a), np.concatenate(kept_b), threshold, set(), 1)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    return fn(), time.perf_counter() - started
