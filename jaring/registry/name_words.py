"""The words of person names, kept beside the persons for the name search (registry.selectors).

``registry_personnameword`` holds one row per distinct word of each person's ``name_key`` (titles
already gone, case and accents folded): "Agustina Sawaki" → ``agustina``, ``sawaki``. A search
matches every query word as a prefix of some word of the name, in any order, through the
``(word, person)`` index. ``registry_nameword`` is the vocabulary of every word seen, which the
typo-tolerant fallback compares against (a small table: names share their words).

The rows are derived from ``name_key`` by SQL, set-based, so the same statement serves one person
(``name_words_refresh``), an import's new persons (``name_words_fill(after_id=…)``) and the data
migration. Every path that writes ``name_key`` calls one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Length
from rapidfuzz.distance import OSA

#: Query words beyond this many are ignored (each is one index probe; names have fewer words).
MAX_QUERY_WORDS = 8
#: The typo-tolerant fallback only corrects words at least this long.
FUZZY_MIN_LENGTH = 4
#: At most this many vocabulary words stand in for one mistyped query word.
FUZZY_MAX_WORDS = 200

WORDS = "registry_personnameword"
VOCABULARY = "registry_nameword"


def _split_select(where: str) -> str:
    """SELECT (person_id, word, middle) for the persons matching ``where`` (a condition on
    registry_person p); ``middle``: the word is neither the first nor the last of the name."""
    if connection.vendor == "postgresql":
        return ("SELECT p.id, u.w, bool_or(u.n > 1 AND u.n < cardinality(a.words)) FROM registry_person p "  # noqa: S608
                "CROSS JOIN LATERAL (SELECT string_to_array(p.name_key, ' ') AS words) a "
                "CROSS JOIN LATERAL unnest(a.words) WITH ORDINALITY AS u(w, n) "
                f"WHERE ({where}) AND u.w <> '' GROUP BY p.id, u.w")
    # SQLite has no string splitting: a recursive CTE peels one word at a time.
    return ("WITH RECURSIVE split(pid, n, w, rest) AS ("  # noqa: S608
            f"SELECT p.id, 0, '', p.name_key || ' ' FROM registry_person p WHERE {where} "
            "UNION ALL SELECT pid, n + 1, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) "
            "FROM split WHERE rest <> '') SELECT pid, w, MAX(n > 1 AND rest <> '') FROM split WHERE w <> '' "
            "GROUP BY pid, w")


def _insert(where: str, words_where: str, params: list[int]) -> None:
    """Insert the words of the persons matching ``where``; then add to the vocabulary the words
    of the rows matching ``words_where`` (a condition on registry_personnameword x) it lacks."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {WORDS} (person_id, word, middle) {_split_select(where)}", params)
        cursor.execute(f"INSERT INTO {VOCABULARY} (word) SELECT DISTINCT x.word FROM {WORDS} x "  # noqa: S608
                       f"WHERE {words_where} ON CONFLICT (word) DO NOTHING", params)


def name_words_refresh(person_ids: Iterable[int]) -> None:
    """Rewrite the words of these persons from their current ``name_key`` (after a create or a rename)."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {WORDS} WHERE person_id IN ({marks})", chunk)  # noqa: S608
        _insert(f"p.id IN ({marks})", f"x.person_id IN ({marks})", chunk)


def name_words_fill(*, after_id: int = 0, batch: int = 50_000) -> int:
    """Add the words of every person with an id above ``after_id`` that has none yet, in id batches.

    The bulk paths (import, demo data, benchmarks) call it once after inserting their persons with
    the highest id from before; the data migration calls it with 0. Returns the last id covered."""
    last = last_person_id()
    low = after_id
    while low < last:
        high = low + batch
        _insert(f"p.id > %s AND p.id <= %s AND NOT EXISTS (SELECT 1 FROM {WORDS} y "  # noqa: S608
                "WHERE y.person_id = p.id)", "x.person_id > %s AND x.person_id <= %s", [low, high])
        low = high
    return last


def last_person_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM registry_person")
        return int(cursor.fetchone()[0] or 0)


def query_words(key: str) -> list[str]:
    """The distinct words of a query's name key, in order, at most ``MAX_QUERY_WORDS``."""
    words = list(dict.fromkeys(w for w in key.split(" ") if w))
    return words[:MAX_QUERY_WORDS]


def max_typos(word: str) -> int:
    return 0 if len(word) < FUZZY_MIN_LENGTH else 1 if len(word) <= 7 else 2


def similar_words(word: str) -> list[str]:
    """Vocabulary words that ``word`` may be a mistyped prefix of: within 1 edit (2 from 8 letters)
    of the word or of one of its prefixes ("agustna" → agustina, "sawki" → sawaki, "sawkai" →
    sawaki: a letter dropped, added, changed, or two neighbours swapped). Closest first.

    Candidates come from the database by the pigeonhole rule (with ``d`` edits, one of ``d + 1``
    pieces of the query survives intact), then rapidfuzz measures them. A swap across two pieces
    breaks both: such a word is found only when another piece survives."""
    from jaring.registry.models import NameWord

    d = max_typos(word)
    if d == 0:
        return []
    size = len(word)
    step = -(-size // (d + 1))
    pieces = {word[i:i + step] for i in range(0, size, step)}
    condition = Q()
    for piece in pieces:
        condition |= Q(word__contains=piece)
    rows = NameWord.objects.annotate(size=Length("word")).filter(condition, size__gte=size - d)
    scored = []
    for candidate in rows.values_list("word", flat=True)[:20_000]:
        best = min(OSA.distance(word, candidate[:n], score_cutoff=d + 1)
                   for n in range(max(1, size - d), size + d + 1))
        if best <= d:  # closest first; between equals, the whole word closest ("agustna": agustina)
            scored.append((best, OSA.distance(word, candidate), candidate))
    scored.sort()
    return [w for _d, _whole, w in scored[:FUZZY_MAX_WORDS]]
