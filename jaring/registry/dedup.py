"""Finding people registered twice, the way offices actually get them: the same person under a
mistyped NIK, an old spelling (Soekarni/Sukarni), a title (Ibu, Ny., Hj.), a swapped day and month.

Candidates come from two blockings, so that no person is compared with the whole registry:
(birth date, sex) and (sound key of the name, birth year). Inside a block every pair is scored
with rapidfuzz on the normalised names, plus birth date, sex and family card. Pairs above the
threshold go to a review queue; a pair an operator dismissed is never proposed again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from jaring.registry.names import match_name, phonetic_key

THRESHOLD = 85.0
MAX_BLOCK = 400  # a block larger than this is too coarse to be useful (e.g. 1 January, unknown dates)


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


def _score(x: Row, y: Row, name_score: float) -> tuple[float, tuple[str, ...]]:
    reasons = [f"nama mirip {name_score:.0f}%"]
    score = name_score
    if x.birth == y.birth:
        score += 10
        reasons.append("tanggal lahir sama")
    elif x.birth.year == y.birth.year and (x.birth.month, x.birth.day) == (y.birth.day, y.birth.month):
        score += 5
        reasons.append("tanggal dan bulan lahir tertukar")
    elif x.birth.year == y.birth.year:
        score -= 5
    else:
        score -= 15
    if x.household and x.household == y.household:
        score += 5
        reasons.append("KK sama")
    score = min(score, 100.0)
    if x.sex != y.sex:  # the NIK itself encodes sex: a different sex is nearly always another person
        score -= 25
        reasons.append("jenis kelamin berbeda")
    return score, tuple(reasons)


def candidates(rows: Iterable[Row], *, threshold: float = THRESHOLD, exclude: set[tuple[int, int]] | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Candidate]:
    rows = list(rows)
    exclude = exclude or set()
    names = [match_name(r.name) for r in rows]
    blocks: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        blocks[("d", r.birth, r.sex)].append(i)
        blocks[("p", phonetic_key(r.name).split(" ")[0], r.birth.year)].append(i)
    seen: set[tuple[int, int]] = set()
    found: list[Candidate] = []
    done = 0
    for members in blocks.values():
        done += 1
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        block_names = [names[i] for i in members]
        scores = cdist(block_names, block_names, scorer=fuzz.token_sort_ratio, score_cutoff=70, workers=1)
        for x, y in zip(*np.nonzero(np.triu(scores, 1)), strict=True):
            name_score = scores[x][y]
            i, j = members[x], members[y]
            a, b = sorted((rows[i].id, rows[j].id))
            if (a, b) in seen or (a, b) in exclude:
                continue
            seen.add((a, b))
            score, reasons = _score(rows[i], rows[j], float(name_score))
            if score >= threshold:
                found.append(Candidate(a, b, round(score, 1), reasons))
        if progress and done % 5000 == 0:
            progress(done, len(blocks))
    return found


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    return fn(), time.perf_counter() - started
