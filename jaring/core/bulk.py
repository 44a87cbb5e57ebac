"""The one bulk-load path: many prepared rows into one table, fast, inside the caller's transaction.

SQLite gets ``executemany`` in large batches; PostgreSQL gets ``COPY … FROM STDIN``. Both write
exactly the columns given, so callers prepare every value (encryption, keys, timestamps) first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import connection

BATCH = 50_000


@contextlib.contextmanager
def _sqlite_page_cache(cursor: Any) -> Iterator[None]:
    """A large page cache while loading: index pages of a million random keys (the NIK's blind
    index) stay in memory instead of being read back for every row. SQLite's default is 2 MB."""
    cursor.execute("PRAGMA cache_size")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size=-{int(settings.JARING_BULK_CACHE_KIB)}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size={int(before)}")


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                progress: Callable[[int], None] | None = None) -> int:
    """Insert ``rows`` into ``table``; returns how many. Runs in the current transaction."""
    count = 0
    if connection.vendor == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
                if progress and count % BATCH == 0:
                    progress(count)
    else:
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'  # noqa: S608
        batch: list[Sequence[Any]] = []
        with connection.cursor() as cursor, _sqlite_page_cache(cursor):
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
                    if progress:
                        progress(count)
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    if progress:
        progress(count)
    return count


def ids_by_key(table: str, key_column: str, keys: Sequence[str], *, chunk: int = 5_000) -> dict[str, int]:
    """``{key: id}`` for the keys present in ``table`` — chunked ``IN`` lookups on an indexed column."""
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), chunk):
            part = list(keys[start:start + chunk])
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f'SELECT "{key_column}", id FROM "{table}" WHERE "{key_column}" IN ({marks})', part)  # noqa: S608
            found.update(dict(cursor.fetchall()))
    return found
