"""The benchmark harness: a throw-away Jaring home, timing helpers, and the JSON line format.

Every figure is printed as ``{"name", "size", "seconds", "rows_per_s", "peak_rss_mb",
"baseline_seconds", "ratio", ...}`` with its baseline beside it. Nothing is written outside a
temporary directory (PostgreSQL runs use a throw-away database that is dropped afterwards).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BENCH_DATA_KEY = "YmVuY2gtZGF0YS1rZXktMzItYnl0ZXMtbG9uZy4uLi4="


def peak_rss_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(usage / 1024, 1)  # Linux reports KiB


def emit(name: str, size: int, seconds: float, *, baseline_seconds: float | None = None,
         rows: int | None = None, **extra: Any) -> dict[str, Any]:
    line = {
        "name": name,
        "size": size,
        "seconds": round(seconds, 6),
        "rows_per_s": round(rows / seconds, 1) if rows and seconds > 0 else None,
        "peak_rss_mb": peak_rss_mb(),
        "baseline_seconds": round(baseline_seconds, 6) if baseline_seconds is not None else None,
        "ratio": round(seconds / baseline_seconds, 4) if baseline_seconds else None,
        **extra,
    }
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    return line


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed_calls(fn: Callable[[Any], Any], inputs: list[Any]) -> list[float]:
    times = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return times


def summary_ms(times: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(times) * 1000, 3),
            "p95_ms": round(percentile(times, 95) * 1000, 3),
            "max_ms": round(max(times) * 1000, 3), "calls": len(times)}


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


@contextmanager
def django_home(database_url: str | None = None) -> Iterator[str]:
    """Set up Django on a fresh temporary home (and database), migrated, then clean up."""
    home = tempfile.mkdtemp(prefix="jaring-bench-")
    os.environ["JARING_HOME"] = home
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + uuid.uuid4().hex)
    os.environ["JARING_DATA_KEY"] = BENCH_DATA_KEY
    os.environ["DJANGO_SETTINGS_MODULE"] = "jaring.settings"
    created_db = None
    if database_url:
        import psycopg

        created_db = f"jaring_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created_db}"')
        base = database_url.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{created_db}"
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        yield home
    finally:
        from django.db import connections

        connections.close_all()
        if created_db and database_url:
            import psycopg

            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)
