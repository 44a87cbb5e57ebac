"""Person search at scale: name prefix, words in any order, typos and exact NIK through the
area-scoped selector.

Builds ``size`` persons set-based (raw ``executemany`` of prepared rows, NIKs encrypted and
blind-indexed as the services do, then their name words by ``name_words_fill``), then times the
first page of results (25 rows) and the count the way the person list asks for them. Queries: one
prefix of a given or family name; two word prefixes in either order ("sawa agus"); one or two
words with a typo (a letter dropped, doubled or changed), which reach the typo-tolerant fallback
when no name matches exactly. Baselines: a naive case-insensitive substring scan for names
(``full_name__icontains``: what a registry without a search key does), and for NIKs the bare
unscoped blind-index lookup (the floor).
"""

from __future__ import annotations

import datetime as dt
import random
import time

from bench.harness import django_home, emit, progress, summary_ms, timed_calls

GIVEN_M = ["Yohanes", "Markus", "Yakobus", "Yulianus", "Frans", "Daniel", "Petrus", "Agustinus",
           "Muhammad", "Rizal", "Andi", "La Ode", "Sutrisno", "Budi", "Yosias", "Herman", "Obet",
           "Simon", "Paulus", "Stefanus", "Abdul", "Hasan", "Ridwan", "Arnold", "Elias", "Natan"]
GIVEN_F = ["Maria", "Elisabeth", "Agustina", "Ruth", "Naomi", "Yosina", "Siti", "Aisyah", "Wa Ode",
           "Sri", "Dewi", "Martha", "Selfina", "Yuliana", "Debora", "Ester", "Nur", "Fatimah",
           "Ribka", "Hana", "Lince", "Orpa", "Mince", "Dorkas", "Yakomina", "Sarlota"]
SURNAMES = ["Kalami", "Malak", "Osok", "Mobalen", "Kambu", "Sapisa", "Ulim", "Klaibin", "Fatie",
            "Isir", "Kocu", "Howay", "Momot", "Sremere", "Wamafma", "Rumbiak", "Rumaropen", "Wanma",
            "Mansawan", "Yoku", "Kareth", "Rumbewas", "Sawaki", "Korwa", "Mambrasar", "Ansaka",
            "Kaisiepo", "Krey", "Ayomi", "Faidiban", "Mayor", "Baransano", "Pasolo", "Latumahina",
            "Rahanra", "Sangadji", "Tanamal", "Rumagesan", "Bonsapia", "Idie", "Saflembolo", "Ullo",
            "Gisim", "Do", "Sorontou", "Werfete", "Kondjol", "Hindom", "Mandacan", "Sraun"]
COLUMNS = ["nik_encrypted", "nik_index", "full_name", "name_key", "name_key_last", "birth_place",
           "birth_date", "sex", "relationship", "kelurahan_id", "phone", "occupation_id",
           "transport_sector", "disability", "consent_basis", "data_source", "confirmed_warnings",
           "created_at", "updated_at"]


def build(size: int, seed: int = 7) -> list[str]:
    """Insert ``size`` persons; return a sample of their NIKs for lookups."""
    from django.db import connection
    from django.utils import timezone

    from jaring.core.crypto import cipher
    from jaring.regions.models import Region
    from jaring.registry.models import Occupation
    from jaring.registry.name_words import name_words_fill
    from jaring.registry.names import last_word_first, person_name_key

    rng = random.Random(seed)
    kelurahan = list(Region.objects.filter(level="kelurahan").values_list("id", "code"))
    occupations = list(Occupation.objects.values_list("id", flat=True))
    c = cipher()
    now = timezone.now()
    sample: list[str] = []
    sql = (f"INSERT INTO registry_person ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(COLUMNS))})")
    serials: dict[str, int] = {}
    batch: list[tuple] = []
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i in range(size):
            sex = "F" if rng.random() < 0.5 else "M"
            given = rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
            name = f"{given} {rng.choice(SURNAMES)}"
            born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 70))
            region = "9271" + f"{rng.randrange(1, 11):02d}"
            ddmmyy = f"{born.day + (40 if sex == 'F' else 0):02d}{born.month:02d}{born.year % 100:02d}"
            stem = region + ddmmyy
            serials[stem] = serials.get(stem, 0) + 1
            nik = f"{stem}{serials[stem]:04d}"
            if i % max(1, size // 2000) == 0:
                sample.append(nik)
            key = person_name_key(name)
            kel_id, _code = kelurahan[i % len(kelurahan)]
            batch.append((c.encrypt(nik, kind="nik"), c.blind_index(nik, kind="nik"), name, key,
                          last_word_first(key), "Sorong", born, sex, "head", kel_id,
                          f"0812{rng.randrange(10**7, 10**8)}", rng.choice(occupations),
                          False, "none", "public_task", "P3KE", "[]", now, now))
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
                progress(f"inserted {i + 1:,} persons ({time.perf_counter() - started:.0f} s)")
        if batch:
            cursor.executemany(sql, batch)
        progress(f"persons inserted ({time.perf_counter() - started:.0f} s); name words")
        name_words_fill()
        cursor.execute("ANALYZE")
    return sample


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url):
        from django.core.paginator import Paginator
        from django.db import connection, transaction

        from jaring.accounts.services import user_create
        from jaring.registry.models import Person
        from jaring.registry.selectors import PersonFilters, nik_index_of, person_search

        started = time.perf_counter()
        with transaction.atomic():
            niks = build(size)
        build_seconds = time.perf_counter() - started
        vendor = connection.vendor
        emit("registry_search.build", size, build_seconds, rows=size, database=vendor)

        operator = user_create(actor=None, username="bench_operator", name="Bench", role="operator",
                               password=None, areas=["96.71"])
        facilitator = user_create(actor=None, username="bench_facilitator", name="Bench", role="facilitator",
                                  password=None, areas=["96.71.01.1004"])
        rng = random.Random(11)
        prefixes = []
        for _ in range(300):
            word = rng.choice([rng.choice(GIVEN_M + GIVEN_F), rng.choice(SURNAMES)])
            prefixes.append(word[: rng.randint(3, max(3, len(word)))].lower())

        def search(actor):  # type: ignore[no-untyped-def]
            # What the person list does: count the matches, fetch the first page of 25.
            def page(q: str) -> list:
                return list(Paginator(person_search(actor=actor, filters=PersonFilters(q=q)), 25)
                            .page(1).object_list)
            return page

        def naive(q: str) -> list:
            qs = Person.objects.filter(full_name__icontains=q)
            qs.count()
            return list(qs.order_by("full_name")[:25])

        for actor in (operator, facilitator):  # warm the caches once, as a running server would be
            search(actor)(prefixes[0])
        name_times = timed_calls(search(operator), prefixes)
        naive_times = timed_calls(naive, prefixes[:20])
        stats = summary_ms(name_times)
        emit("registry_search.name_prefix", size, stats["p95_ms"] / 1000,
             baseline_seconds=summary_ms(naive_times)["p95_ms"] / 1000, database=vendor, actor="operator",
             baseline="full_name__icontains scan (count + first page), p95", **stats)
        facilitator_stats = summary_ms(timed_calls(search(facilitator), prefixes))
        emit("registry_search.name_prefix_facilitator", size, facilitator_stats["p95_ms"] / 1000,
             baseline_seconds=stats["p95_ms"] / 1000, database=vendor, actor="facilitator (1 kelurahan)",
             baseline="same search as operator (whole city), p95", **facilitator_stats)

        both = []
        for _ in range(300):
            given, family = rng.choice(GIVEN_M + GIVEN_F).lower(), rng.choice(SURNAMES).lower()
            given, family = given[: rng.randint(3, max(3, len(given)))], family[: rng.randint(2, max(2, len(family)))]
            both.append(f"{family} {given}" if rng.random() < 0.5 else f"{given} {family}")
        words_stats = summary_ms(timed_calls(search(operator), both))
        emit("registry_search.name_words", size, words_stats["p95_ms"] / 1000,
             baseline_seconds=summary_ms(naive_times)["p95_ms"] / 1000, database=vendor, actor="operator",
             queries="two word prefixes, either order", baseline="full_name__icontains scan, p95", **words_stats)

        def typo(word: str) -> str:
            i = rng.randrange(1, len(word))
            kind = rng.choice(["drop", "double", "change"])
            if kind == "drop":
                return word[:i] + word[i + 1:]
            if kind == "double":
                return word[:i] + word[i] + word[i:]
            return word[:i] + rng.choice("bdgkmnprst".replace(word[i], "")) + word[i + 1:]

        typos = []
        for _ in range(100):
            family = rng.choice([w for w in SURNAMES if len(w) >= 5]).lower()
            given = rng.choice([w for w in GIVEN_M + GIVEN_F if len(w) >= 5 and " " not in w]).lower()
            typos.append(typo(family) if rng.random() < 0.5 else f"{typo(given)} {typo(family)}")
        typo_stats = summary_ms(timed_calls(search(operator), typos))
        emit("registry_search.name_typo", size, typo_stats["p95_ms"] / 1000,
             baseline_seconds=summary_ms(naive_times)["p95_ms"] / 1000, database=vendor, actor="operator",
             queries="one or two words with one typo each (dropped, doubled or changed letter)",
             baseline="full_name__icontains scan, p95", **typo_stats)

        lookups = [rng.choice(niks) for _ in range(300)]
        nik_times = timed_calls(search(operator), lookups)
        floor = timed_calls(lambda n: Person.objects.filter(nik_index=nik_index_of(n)).first(), lookups)
        stats = summary_ms(nik_times)
        emit("registry_search.nik", size, stats["p95_ms"] / 1000,
             baseline_seconds=summary_ms(floor)["p95_ms"] / 1000, database=vendor, actor="operator",
             baseline="bare blind-index lookup without scoping (floor), p95", **stats)
