"""Who writes a table (ARCHITECTURE §5.10): only services write, and a table is written only by its
own app. import-linter cannot see calls, so this test reads the source: it walks the AST of every
module under jaring/ and finds

- ORM writes: ``.save()``, ``.delete()``, and ``create``, ``update``, ``bulk_create``,
  ``bulk_update``, ``get_or_create``, ``update_or_create`` on a manager or a queryset;
- raw SQL writes: string constants (f-strings included) that begin ``INSERT INTO``, ``UPDATE … SET``,
  ``DELETE FROM``, ``REPLACE INTO``, ``TRUNCATE`` or ``COPY``.

Rule 1: such a write appears only in a service module (``services.py``) or ``models.py``.
Rule 2: the model or table it writes belongs to the module's own app (table owner = app label).

Exceptions are listed below, each with its reason. ``TODO(issue 9)`` marks a temporary one in code
that someone else was changing when the rule arrived; each is checked to still exist, so fixing the
code makes this test ask for the exception to be removed.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

import jaring

JARING = Path(jaring.__file__).parent
ROOT = JARING.parent

WRITE_METHODS = {"create", "save", "delete", "update", "bulk_create", "bulk_update", "get_or_create",
                 "update_or_create"}
QUERYSET_METHODS = {"objects", "filter", "exclude", "all", "select_for_update", "select_related",
                    "prefetch_related", "order_by", "using", "only", "defer", "distinct", "none"}
# SQL keywords in upper case, as this code base writes them (prose such as "Update …" is not SQL),
# anywhere in the string: a statement may start with a WITH clause. A trigger's event
# ("BEFORE TRUNCATE ON t") is not a write.
SQL_WRITE = re.compile(r'\b(?:INSERT\s+(?:OR\s+[A-Z]+\s+)?INTO|REPLACE\s+INTO|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?'
                       r'|COPY)\s+(?!ON\b)"?(\{\}|\w+)"?|\bUPDATE\s+"?(\{\}|\w+)"?\s+SET\b')

# Modules that are not services.py but write by design (rule 1 does not apply to them).
WRITER_MODULES = {
    # audit_log: core's one writer of AuditEvent, called by every service inside its transaction.
    "jaring/core/audit.py",
    # The shared bulk loader (executemany / COPY) writes the table its caller names; the
    # import-linter contract "bulk-loader-in-services" allows only services to call it.
    "jaring/core/bulk.py",
    # The demo seed builds a whole demo city at bulk speed on an empty database (`jaring demo`).
    "jaring/demo.py",
    # The name-word search index: derived from each person's name_key (nothing the person row does not
    # hold, so no audit event of its own), rewritten set-based by the registry services and the import
    # when names change, and filled by its migration.
    "jaring/registry/name_words.py",
    # The services of user administration (decision 0045): every write with its audit event, kept beside
    # the rules they enforce (reach, grants, the last admin) that the web, the API and the CLI all call.
    "jaring/accounts/user_admin.py",
    # A running job's progress, heartbeat and cancel request (JobSignal, on the jobs alias, decision 0047):
    # bookkeeping written outside the job's own transaction, not a change of anything; no audit event.
    "jaring/core/jobs.py",
    # The task queue's glue: a dead worker's task row marked failed (its job gets the audit event).
    "jaring/core/tasks_queue.py",
}

# Temporary exceptions to rule 1: (module, what it writes) in files being changed by others.
# Issue 9 emptied it; a new entry needs a TODO with its reason, and fails once the code is fixed.
TODO_NOT_IN_SERVICES: set[tuple[str, str]] = set()

# Temporary exceptions to rule 2: (module, the app whose table it writes). Empty since issue 9: a
# write to another app's table goes through that app's services (set-based where the caller is:
# billing_close → membership.services.memberships_end_for_arrears → contributions.services.dues_void_after).
TODO_OTHER_APPS: set[tuple[str, str]] = set()

# Third-party tables and the Jaring app whose services own them.
THIRD_PARTY_OWNERS = {"otp_totp": "accounts", "otp_static": "accounts", "auth": "accounts",
                      "django_tasks_database": "core"}


@dataclass(frozen=True)
class Write:
    module: str  # path relative to the repository
    line: int
    what: str  # e.g. "Due.objects…update" or "SQL UPDATE contributions_due"
    owner: str | None  # the app whose table it writes, when it can be told


def _modules() -> Iterator[Path]:
    for path in sorted(JARING.rglob("*.py")):
        parts = path.relative_to(JARING).parts
        if "tests" in parts or "migrations" in parts or path.name == "testing.py":
            continue  # tests and test-data builders set up state for tests and the benchmarks
        yield path


def _own_app(path: Path) -> str | None:
    parts = path.relative_to(JARING).parts
    return parts[0] if len(parts) > 1 else None


def _is_service_module(path: Path) -> bool:
    return path.name in ("services.py", "models.py") or "services" in path.relative_to(JARING).parts[:-1]


def _table_owners() -> dict[str, str]:
    return {model._meta.db_table: _owner_of(model) for model in apps.get_models(include_auto_created=True)}


def _owner_of(model: type[models.Model]) -> str:
    label = model._meta.app_label
    if model.__module__.startswith("jaring."):
        return label
    return THIRD_PARTY_OWNERS.get(label, f"third-party:{label}")


def _imports(tree: ast.Module, module_name: str) -> dict[str, tuple[str, str]]:
    """Every ``from X import A as B`` anywhere in the module (function-local ones too)."""
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            source = node.module
            if node.level:  # relative import
                source = ".".join([*module_name.split(".")[:-node.level], node.module])
            for alias in node.names:
                names[alias.asname or alias.name] = (source, alias.name)
    return names


def _chain(func: ast.Attribute) -> tuple[list[str], ast.AST]:
    """The attribute names a call goes through and the root: ``Due.objects.filter(…).update`` gives
    (["filter", "objects"], Name("Due"))."""
    attrs: list[str] = []
    node: ast.AST = func.value
    while True:
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return attrs, node


def _model(root: ast.AST, imports: dict[str, tuple[str, str]], module: object) -> type[models.Model] | None:
    if not isinstance(root, ast.Name):
        return None
    if root.id in imports:
        source, name = imports[root.id]
        try:
            value = getattr(importlib.import_module(source), name, None)
        except ImportError:
            return None
    else:
        value = getattr(module, root.id, None)
    return value if isinstance(value, type) and issubclass(value, models.Model) else None


def _sql(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _writes(path: Path, tables: dict[str, str]) -> list[Write]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    rel = path.relative_to(ROOT).as_posix()
    module_name = rel[:-3].replace("/", ".").removesuffix(".__init__")
    module = importlib.import_module(module_name)
    imports = _imports(tree, module_name)
    found: list[Write] = []
    seen_sql: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS:
            attrs, root = _chain(node.func)
            model = _model(root, imports, module)
            method = node.func.attr
            orm = (bool(set(attrs) & QUERYSET_METHODS) or model is not None
                   or (method in ("save", "delete") and not node.args))
            if orm:
                name = root.id if isinstance(root, ast.Name) else "…"
                found.append(Write(rel, node.lineno, ".".join([name, *reversed(attrs), method]) + "()",
                                   _owner_of(model) if model is not None else None))
        text = _sql(node)
        if text is not None and id(node) not in seen_sql:
            if isinstance(node, ast.JoinedStr):
                seen_sql.update(id(v) for v in node.values)
            for match in SQL_WRITE.finditer(text):
                table = match.group(1) or match.group(2)
                owner = None if table == "{}" else tables.get(table, f"unknown table {table}")
                found.append(Write(rel, node.lineno, f"SQL {match.group(0)!r}", owner))
    return found


@pytest.fixture(scope="module")
def writes() -> list[Write]:
    tables = _table_owners()
    return [w for path in _modules() for w in _writes(path, tables)]


def test_the_scanner_sees_the_writes_it_must_see(writes):  # type: ignore[no-untyped-def]
    """Not vacuous: known writes of each kind are found, with their owners."""
    seen = {(w.module, w.owner) for w in writes}
    assert ("jaring/membership/services.py", "membership") in seen  # the drafts' INSERT and the ORM
    assert ("jaring/targeting/services.py", "targeting") in seen
    assert ("jaring/reports/services.py", "reports") in seen  # INSERT … SELECT into its snapshots
    assert any(w.what.startswith("SQL") and w.owner == "contributions" for w in writes)  # billing's INSERT
    assert any(w.what.endswith(".save()") for w in writes)


@pytest.mark.parametrize(("sql", "table"), [
    ("TRUNCATE core_auditevent", "core_auditevent"),
    ('TRUNCATE TABLE "core_auditevent"', "core_auditevent"),
    ("WITH x AS (SELECT 1) UPDATE registry_person SET phone = ''", "registry_person"),
    ("INSERT OR IGNORE INTO membership_membership (id) VALUES (1)", "membership_membership"),
    ("CREATE TRIGGER t BEFORE TRUNCATE ON core_auditevent FOR EACH STATEMENT EXECUTE FUNCTION f()", None),
    ("CREATE TRIGGER t BEFORE UPDATE OR DELETE ON core_auditevent FOR EACH ROW EXECUTE FUNCTION f()", None),
])
def test_the_sql_pattern(sql: str, table: str | None) -> None:
    found = [m.group(1) or m.group(2) for m in SQL_WRITE.finditer(sql)]
    assert found == ([table] if table else [])


def test_only_services_write(writes):  # type: ignore[no-untyped-def]
    outside = [w for w in writes if not _is_service_module(ROOT / w.module) and w.module not in WRITER_MODULES]
    unexpected = [w for w in outside if (w.module, w.owner or _own_app(ROOT / w.module)) not in TODO_NOT_IN_SERVICES]
    assert not unexpected, "writes outside a service module:\n" + "\n".join(
        f"  {w.module}:{w.line} {w.what}" for w in unexpected)
    still = {(w.module, w.owner or _own_app(ROOT / w.module)) for w in outside}
    stale = TODO_NOT_IN_SERVICES - still
    assert not stale, f"these exceptions are fixed: remove them from TODO_NOT_IN_SERVICES: {sorted(stale)}"


def test_a_table_is_written_only_by_its_own_app(writes):  # type: ignore[no-untyped-def]
    foreign = [w for w in writes if w.owner is not None and w.module not in WRITER_MODULES
               and w.owner != _own_app(ROOT / w.module)]
    unexpected = [w for w in foreign if (w.module, w.owner) not in TODO_OTHER_APPS]
    assert not unexpected, "writes to another app's table:\n" + "\n".join(
        f"  {w.module}:{w.line} {w.what} -> {w.owner}" for w in unexpected)
    stale = TODO_OTHER_APPS - {(w.module, w.owner) for w in foreign}
    assert not stale, f"these exceptions are fixed: remove them from TODO_OTHER_APPS: {sorted(stale)}"
