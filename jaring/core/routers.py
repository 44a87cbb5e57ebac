"""The ``jobs`` database alias: where a running job's progress, heartbeat and cancel request live
(``core.JobSignal``, decision 0047).

On SQLite the alias is a small file of its own beside the main database: a job that holds the
main file's only write lock for its whole transaction (an import, decision 0011) still writes its
progress there at once, and a cancel request from a page reaches it. On PostgreSQL the alias is
the same database through a second connection, so a progress row commits while the job's
transaction is still open. ``JARING_JOBS_DB`` names the alias the router uses (``default`` in
tests, where one connection sees everything).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

JOBS_ALIAS = "jobs"
SIGNAL_MODEL = "jobsignal"


def jobs_db() -> str:
    """The alias ``core.JobSignal`` is read and written through now."""
    alias = str(getattr(settings, "JARING_JOBS_DB", "default") or "default")
    return alias if alias in settings.DATABASES else "default"


class JobSignalRouter:
    """``core.JobSignal`` goes to ``jobs_db()``; nothing else is ever migrated to the ``jobs``
    alias (on PostgreSQL it is the default database itself, which ``migrate`` builds)."""

    def _signal(self, model: Any) -> bool:
        return bool(model._meta.app_label == "core" and model._meta.model_name == SIGNAL_MODEL)

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return jobs_db() if self._signal(model) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return jobs_db() if self._signal(model) else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if db == JOBS_ALIAS:
            return app_label == "core" and model_name == SIGNAL_MODEL
        return None
