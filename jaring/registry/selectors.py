"""All reads of the registry. Every function takes the acting user and applies area scoping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.crypto import cipher
from jaring.core.errors import NotFound
from jaring.core.money import years_before
from jaring.registry.identity import clean_digits
from jaring.registry.models import Household, Person, PersonNameWord
from jaring.registry.name_words import FUZZY_MIN_LENGTH, query_words, similar_words
from jaring.registry.names import person_name_key

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

AGE_BANDS: dict[str, tuple[int, int | None, object]] = {
    "0-17": (0, 17, gettext_lazy("0–17 tahun")),
    "18-24": (18, 24, gettext_lazy("18–24 tahun")),
    "25-34": (25, 34, gettext_lazy("25–34 tahun")),
    "35-44": (35, 44, gettext_lazy("35–44 tahun")),
    "45-54": (45, 54, gettext_lazy("45–54 tahun")),
    "55-64": (55, 64, gettext_lazy("55–64 tahun")),
    "65+": (65, None, gettext_lazy("65 tahun ke atas")),
}


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""
    district: str = ""
    kelurahan: str = ""
    occupation: str = ""
    sex: str = ""
    age_band: str = ""
    decile: int | None = None


def prefix_q(field: str, prefix: str) -> Q:
    """An index-friendly prefix match on a lower-case ASCII key.

    SQLite's LIKE is case-insensitive and so cannot use a plain index; a half-open range can.
    PostgreSQL gets ``LIKE 'x%'`` which Django backs with a ``varchar_pattern_ops`` index.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


class SortKeys(TypedDict):
    nk: str
    nkl: str


def with_sort_keys(qs: QuerySet[Person]) -> QuerySet[WithAnnotations[Person, SortKeys]]:
    """Annotate ``nk``/``nkl``: the name keys compared byte by byte.

    Prefix ranges and name order then use the same plain index on every database: on SQLite the
    column itself (BINARY collation), on PostgreSQL ``name_key COLLATE "C"``, which migration
    registry/0005 indexes (a default-collation index cannot serve a byte-wise prefix range).
    """
    if connection.vendor == "postgresql":
        return qs.annotate(nk=Collate(F("name_key"), "C"), nkl=Collate(F("name_key_last"), "C"))
    return qs.annotate(nk=F("name_key"), nkl=F("name_key_last"))


def key_prefix_q(alias: str, prefix: str) -> Q:
    """A prefix match on an annotation of ``with_sort_keys`` as a half-open byte range."""
    return Q(**{f"{alias}__gte": prefix, f"{alias}__lt": prefix + "\U0010ffff"})


def _birth_range(band: str, today: dt.date) -> Q:
    low, high, _label = AGE_BANDS[band]
    # Age >= low  ⇔  born on or before today minus low years.
    q = Q(birth_date__lte=years_before(today, low))
    if high is not None:
        q &= Q(birth_date__gt=years_before(today, high + 1))
    return q


def person_queryset(*, actor: User) -> QuerySet[Person]:
    scope = scope_for(actor)
    people = Person.objects.filter(merged_into__isnull=True)
    if scope.covers_every_kelurahan:
        return people
    return people.filter(scope.region_ids_q("kelurahan_id"))


def nik_index_of(text: str) -> str | None:
    digits = clean_digits(text)
    if len(digits) == 16 and digits.isdigit():
        return cipher().blind_index(digits, kind="nik")
    return None


#: A query longer than this is cut (no name is; a pasted page should not cost more than a name).
MAX_QUERY_LENGTH = 200


def _word_rows() -> QuerySet[Any]:
    """The name words with ``w``: the word compared byte by byte (see ``with_sort_keys``), so that a
    prefix is a range on migration 0011's index on every database."""
    rows = PersonNameWord.objects.all()
    if connection.vendor == "postgresql":
        return rows.annotate(w=Collate(F("word"), "C"))
    return rows.annotate(w=F("word"))


def _word_match(word: str, alternatives: list[str] | None = None) -> Q:
    """A word of the name starts with ``word`` (or, for the typo fallback, is one of ``alternatives``)."""
    condition = key_prefix_q("w", word)
    if alternatives:
        condition |= Q(w__in=alternatives)
    return condition


#: Ranking the query words reads at most this many index entries of each (a common given name
#: has some 20,000 per million persons).
RANK_CAP = 50_000


#: A word search whose persons are at most this many reads their ids once (see ``words_q``).
MATERIALIZE_CAP = 5_000


def _word_person_ids(conditions: list[Q], *, middle: bool = False) -> QuerySet[Any]:
    """The ids of the persons for whom every condition holds for some word of the name (with
    ``middle``: the one condition for a middle word).

    The words are intersected on the index before any person row is read: the first condition
    (the caller puts the most selective first, see ``_ranked``) drives, as one index range; each
    other one is an EXISTS probe on the (person, word) unique index."""
    rows = _word_rows().filter(conditions[0])
    if middle:
        rows = rows.filter(middle=True)
    for condition in conditions[1:]:
        rows = rows.filter(Exists(_word_rows().filter(condition, person_id=OuterRef("person_id"))))
    return rows.order_by().values("person_id")


def words_q(conditions: list[Q], *, middle: bool = False, materialize: bool = False) -> Q:
    """``pk`` among ``_word_person_ids``. With ``materialize``, a few thousand ids are read once
    and passed as a list, so that counting and paging do not intersect the words twice."""
    if not conditions:
        return Q(pk__in=[])
    ids = _word_person_ids(conditions, middle=middle)
    if materialize:
        found = list(ids.values_list("person_id", flat=True)[:MATERIALIZE_CAP + 1])
        if len(found) <= MATERIALIZE_CAP:
            return Q(pk__in=found)
    return Q(pk__in=ids)


def _ranked(words: list[str], conditions: list[Q]) -> list[Q] | None:
    """The conditions, fewest matching words first (counted up to ``RANK_CAP`` on the index, then
    the longer word first); None when one matches no word at all (nobody can match every one)."""
    if len(conditions) < 2:
        return conditions
    sizes = [_word_rows().filter(c).values("id")[:RANK_CAP].count() for c in conditions]
    if not all(sizes):
        return None
    order = sorted(range(len(conditions)), key=lambda i: (sizes[i], -len(words[i]), i))
    return [conditions[i] for i in order]


def _search_words(q: str) -> list[str]:
    return query_words(person_name_key(q[:MAX_QUERY_LENGTH]))


def person_search_q(q: str) -> Q | None:
    """Exact NIK, or every query word a prefix of some word of the name, in any order
    (the typo fallback is ``person_search``'s: it needs to know that nothing matched)."""
    q = (q or "").strip()
    if not q:
        return None
    index = nik_index_of(q)
    if index is not None:
        return Q(nik_index=index)
    words = _search_words(q)
    conditions = _ranked(words, [_word_match(w) for w in words])
    return Q(pk__in=[]) if conditions is None else words_q(conditions)


def _filtered(actor: User, filters: PersonFilters) -> QuerySet[Person]:
    qs = person_queryset(actor=actor)
    if filters.kelurahan:
        qs = qs.filter(kelurahan__code=filters.kelurahan)
    elif filters.district:
        qs = qs.filter(kelurahan__parent__code=filters.district)
    if filters.occupation:
        qs = qs.filter(occupation__code=filters.occupation)
    if filters.sex in Person.Sex.values:
        qs = qs.filter(sex=filters.sex)
    if filters.age_band in AGE_BANDS:
        qs = qs.filter(_birth_range(filters.age_band, timezone.localdate()))
    if filters.decile is not None and actor.sees_poverty_data:
        qs = qs.filter(household__welfare_decile=filters.decile)
    return qs.select_related("kelurahan__parent", "occupation", "household")


def person_list(*, actor: User, filters: PersonFilters | None = None) -> QuerySet[Person]:
    """Every person matching the filters, as one queryset (any ordering may be applied)."""
    filters = filters or PersonFilters()
    qs = _filtered(actor, filters)
    search = person_search_q(filters.q)
    if search is not None:
        qs = qs.filter(search)
    return qs.order_by("name_key", "id")


class PersonResults:
    """Search results in pages, fast at national scale: a sliceable, countable sequence.

    A name search is up to three ordered parts, each an index walk: people whose full name starts
    with the query, alphabetically; then people whose family (last) name starts with it, by family
    name; then everyone else whose name has every query word as the prefix of one of its words,
    in any order ("sawaki agus" finds "Agustina Sawaki"). One ``OR`` query would have to collect
    and sort every match before the first page. ``approximate`` is set when nothing matched and
    the results are the typo-tolerant fallback's.
    """

    #: Counting stops here: nobody pages through 400 pages; the screen says "10.000+".
    COUNT_CAP = 10_000

    def __init__(self, parts: list[QuerySet[Person]], *, approximate: bool = False):
        self.parts = parts
        self.approximate = approximate
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            counts: list[int] = []
            for part in self.parts:
                room = self.COUNT_CAP - sum(counts)
                narrow = part.select_related(None).order_by().values("pk")
                counts.append(narrow[:room].count() if room > 0 else 0)
            self._counts = counts
        return self._counts

    @property
    def capped(self) -> bool:
        return self.count() >= self.COUNT_CAP

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Person]:
        if not isinstance(key, slice) or (key.step or 1) != 1:
            raise TypeError("PersonResults takes plain slices only")
        start = key.start or 0
        stop = self.count() if key.stop is None else key.stop
        out: list[Person] = []
        offset = 0
        for part, size in zip(self.parts, self.counts(), strict=True):
            lo, hi = max(0, start - offset), min(size, stop - offset)
            if lo < hi:
                out.extend(part[lo:hi])
            offset += size
            if offset >= stop:
                break
        return out

    def __iter__(self):  # type: ignore[no-untyped-def]
        for part in self.parts:
            yield from part


def person_search(*, actor: User, filters: PersonFilters | None = None) -> PersonResults:
    """The person list as the screens page through it (see ``PersonResults``).

    When no name matches, the typo-tolerant fallback: each query word of four letters or more may
    also be a vocabulary word within one or two edits of it ("agustna sawki" → Agustina Sawaki),
    shortest distance first per word, same filters and scope, alphabetical."""
    filters = filters or PersonFilters()
    qs = _filtered(actor, filters)
    q = (filters.q or "").strip()
    index = nik_index_of(q) if q else None
    if not q:
        return PersonResults([with_sort_keys(qs).order_by("nk", "id")])
    if index is not None:
        return PersonResults([qs.filter(nik_index=index)])
    key = person_name_key(q[:MAX_QUERY_LENGTH])
    words = query_words(key)
    if not words:
        return PersonResults([qs.none()])
    qs = with_sort_keys(qs)
    results = _word_search(qs, key, words)
    if results.count() or not any(len(w) >= FUZZY_MIN_LENGTH for w in words):
        return results
    # Nothing matched: first the query with each word replaced by its closest vocabulary word, as
    # ordered and as fast as any search; then any of the close words for each word.
    similar = [similar_words(w) or [w] for w in words]
    corrected = [alternatives[0] for alternatives in similar]
    if corrected != words:
        results = _word_search(qs, " ".join(corrected), corrected)
        if results.count():
            results.approximate = True
            return results
    conditions = _ranked(words, [_word_match(w, alternatives) for w, alternatives in zip(words, similar, strict=True)])
    if conditions is None:
        return PersonResults([qs.none()], approximate=True)
    return PersonResults([qs.filter(words_q(conditions, materialize=True)).order_by("nk", "id")],
                         approximate=True)


def _word_search(qs: QuerySet[Any], key: str, words: list[str]) -> PersonResults:
    """The parts of a name search (see ``PersonResults``) over ``with_sort_keys(qs)``.

    A word that begins another query word adds nothing ("mar maria"): it is dropped. Then two
    query words cannot both match the same word of a name, so a match either has a query word on
    a middle word of the name, or (two query words) has them on its first and last words. The
    latter is a walk of the name-key indexes, the former starts from the small middle-word index:
    the whole word table is only read for what the typo fallback cannot narrow."""
    narrowed = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    if narrowed != words:
        words, key = narrowed, " ".join(narrowed)
    first, last = key_prefix_q("nk", key), key_prefix_q("nkl", key)
    seen = first | last
    parts: list[QuerySet[Any]] = [qs.filter(first).order_by("nk", "id"),
                                  qs.filter(last).exclude(first).order_by("nkl", "id")]
    if len(words) == 1:  # its first and last words are the two parts above
        rest = qs.filter(words_q([_word_match(words[0])], middle=True))
        parts.append(rest.exclude(seen).order_by("nk", "id"))
        return PersonResults(parts)
    if len(words) == 2:
        a, b = words
        # On the name keys alone: the (last, first) key index answers without reading a person row.
        keys = with_sort_keys(Person.objects.all()).filter(
            (key_prefix_q("nk", a) & key_prefix_q("nkl", b)) | (key_prefix_q("nk", b) & key_prefix_q("nkl", a)))
        ends = _ids_q(keys.values("pk"))
        parts.append(qs.filter(ends).exclude(seen).order_by("nk", "id"))
        seen |= ends
    middle = _middle_word_ids(words)
    if middle is not None:
        parts.append(qs.filter(middle).exclude(seen).order_by("nk", "id"))
    return PersonResults(parts)


def _ids_q(ids: QuerySet[Any]) -> Q:
    """``pk`` among ``ids`` (a one-column values queryset): read once as a list when a few
    thousand or fewer, so that counting and paging do not run it twice; else as a subquery."""
    ids = ids.order_by()
    found = list(ids[:MATERIALIZE_CAP + 1].values_list(*ids.query.values_select, flat=True))
    return Q(pk__in=found) if len(found) <= MATERIALIZE_CAP else Q(pk__in=ids)


def _middle_word_ids(words: list[str]) -> Q | None:
    """Persons with one query word on a middle word of the name and every other on any word."""
    found: set[int] = set()
    for i, word in enumerate(words):
        others = [_word_match(w) for j, w in enumerate(words) if j != i]
        ids = _word_person_ids([_word_match(word), *others], middle=True)
        chunk = list(ids.values_list("person_id", flat=True)[:MATERIALIZE_CAP + 1])
        if len(chunk) > MATERIALIZE_CAP or len(found) + len(chunk) > MATERIALIZE_CAP:
            conditions = _ranked(words, [_word_match(w) for w in words])  # too many: the plain way
            return None if conditions is None else words_q(conditions)
        found.update(chunk)
    return Q(pk__in=sorted(found)) if found else None


def person_get(*, actor: User, person_id: int) -> Person:
    person = (person_queryset(actor=actor).select_related("kelurahan__parent", "occupation",
                                                          "household__kelurahan")
              .filter(pk=person_id).first())
    if person is None:
        raise NotFound(_("Orang tidak ditemukan."))
    return person


def person_find_by_nik(*, actor: User, nik: str) -> Person | None:
    index = nik_index_of(nik)
    if index is None:
        return None
    return person_queryset(actor=actor).select_related("kelurahan").filter(nik_index=index).first()


def household_queryset(*, actor: User) -> QuerySet[Household]:
    scope = scope_for(actor)
    if scope.covers_every_kelurahan:
        return Household.objects.all()
    return Household.objects.filter(scope.region_ids_q("kelurahan_id"))


def household_get(*, actor: User, household_id: int) -> Household:
    household = (household_queryset(actor=actor).select_related("kelurahan__parent")
                 .filter(pk=household_id).first())
    if household is None:
        raise NotFound(_("Keluarga tidak ditemukan."))
    return household


def household_list(*, actor: User, kelurahan: str = "") -> QuerySet[Household]:
    qs = household_queryset(actor=actor).select_related("kelurahan")
    if kelurahan:
        qs = qs.filter(kelurahan__code=kelurahan)
    return qs.annotate(member_count=Count("members")).order_by("id")


def household_members(*, actor: User, household: Household) -> QuerySet[Person]:
    return (person_queryset(actor=actor).filter(household=household)
            .select_related("occupation").order_by("birth_date"))


@dataclass(frozen=True)
class RegistrySummary:
    persons: int
    households: int
    women: int
    working_age: int
    decile_1_4_persons: int | None
    pkh_households: int | None


def registry_summary(*, actor: User) -> RegistrySummary:
    """The counts on the home page, in two queries, for the user's area only."""
    today = timezone.localdate()
    persons = person_queryset(actor=actor).aggregate(
        total=Count("id"),
        women=Count("id", filter=Q(sex=Person.Sex.FEMALE)),
        working=Count("id", filter=Q(birth_date__lte=years_before(today, 18),
                                     birth_date__gt=years_before(today, 65))),
        poor=Count("id", filter=Q(household__welfare_decile__lte=4)),
    )
    households = household_queryset(actor=actor).aggregate(
        total=Count("id"), pkh=Count("id", filter=Q(pkh_beneficiary=True)))
    poverty = actor.sees_poverty_data
    return RegistrySummary(
        persons=persons["total"], households=households["total"], women=persons["women"],
        working_age=persons["working"],
        decile_1_4_persons=persons["poor"] if poverty else None,
        pkh_households=households["pkh"] if poverty else None,
    )


def duplicate_queue(*, actor: User, status: str = "open") -> QuerySet[Any]:
    """Candidate pairs where both people are in the user's area, best score first."""
    from jaring.registry.models import DuplicateCandidate

    # Joined, not ``person_a__in=<person subquery>``: SQLite would walk every pair of the two id
    # lists (25,000 persons: 30 s for one count on the home page).
    scope = scope_for(actor)
    pairs = DuplicateCandidate.objects.filter(status=status, person_a__merged_into__isnull=True,
                                              person_b__merged_into__isnull=True)
    if not scope.covers_every_kelurahan:
        pairs = pairs.filter(scope.region_ids_q("person_a__kelurahan_id"), scope.region_ids_q("person_b__kelurahan_id"))
    return (pairs
            .select_related("person_a__kelurahan", "person_b__kelurahan", "person_a__occupation",
                            "person_b__occupation").order_by("-score", "id"))
