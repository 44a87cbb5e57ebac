"""Health and readiness for a process manager, a load balancer or an orchestrator.

``/healthz``: the process answers (no database, nothing else): restart it when this fails.
``/readyz``: the database answers, every migration is applied and the cache works: send it traffic
only while this answers 200. A failure answers 503 with the failing checks as codes, never a
server's address, a query or anyone's data. Both are public (no login) and cheap: the migration
check reads the migration files once per process, then only after a failure.
"""

from __future__ import annotations

import uuid

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

# Once every migration has been seen applied, a process keeps that answer: migrations are not
# unapplied under a running server, and the check reads every migration file.
_migrated = False


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "unreachable"
    return "ok"


def _migrations() -> str:
    global _migrated
    if _migrated:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return "unknown"
    if pending:
        return "pending"
    _migrated = True
    return "ok"


def _cache() -> str:
    key = f"jaring:readyz:{uuid.uuid4().hex}"
    try:
        cache = caches["default"]
        cache.set(key, "1", 5)
        found = cache.get(key)
        cache.delete(key)
    except Exception:
        return "unreachable"
    return "ok" if found == "1" else "unreachable"


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serves requests."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve real traffic: 200, or 503 with the failing checks."""
    checks = {"database": _database()}
    # Without a database, the migrations cannot be read either.
    checks["migrations"] = _migrations() if checks["database"] == "ok" else "unknown"
    checks["cache"] = _cache()
    ready = all(value == "ok" for value in checks.values())
    failing = sorted(name for name, value in checks.items() if value != "ok")
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if failing:
        body["reason"] = ", ".join(f"{name}: {checks[name]}" for name in failing)
    return JsonResponse(body, status=200 if ready else 503)
