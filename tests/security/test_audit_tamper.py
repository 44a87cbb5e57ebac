"""Audit tampering, as an attacker with the application's database connection would try it.

- A **freshly migrated** database (real migrations, in a subprocess, no test fixture anywhere) takes
  new audit events and refuses to change, delete or (PostgreSQL) truncate them: a fixture that
  re-installed the triggers before every test once hid that migration core/0003 had dropped them
  on SQLite (issue 9).
- The migration graph: after the last operation on ``auditevent`` comes the operation that installs
  the triggers, so the next migration that rebuilds the table cannot drop them unnoticed.
- **PostgreSQL**: the app connects as a role that does not own the audit table (``jaring db
  grant-app-role``): it can write every other table, insert audit events, and nothing else — no
  UPDATE, DELETE, TRUNCATE, ALTER TABLE … DISABLE TRIGGER, DROP TRIGGER or replaced function.
- The test suite's own database keeps the triggers during every test body, transactional tests
  included (see the ``_django_db_helper`` override in conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import migrations
from django.db.migrations.operations.models import ModelOperation

from jaring.core.db import TRIGGERS, installed_audit_triggers, reinstall_audit_triggers

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
only_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only: run with DATABASE_URL=postgres://…")

INSERT_COLUMNS = "at, actor_label, action, object_type, object_id, region_code, request_id, channel"


# --- The migration graph ------------------------------------------------------------------------------

def _touches_auditevent(operation: migrations.operations.base.Operation) -> bool:
    """Could this operation rebuild core_auditevent (and so drop its triggers on SQLite)?"""
    if isinstance(operation, migrations.RunPython):
        return False
    if isinstance(operation, migrations.RunSQL):
        return "auditevent" in str(operation.sql).lower()
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        return any(_touches_auditevent(o) for o in operation.database_operations)
    model = getattr(operation, "model_name", None) or (
        operation.name if isinstance(operation, ModelOperation) else None)
    if model is not None:
        return str(model).lower() == "auditevent"
    return operation.references_model("auditevent", "core")  # an unknown kind: assume it does


def _installs_triggers(operation: migrations.operations.base.Operation) -> bool:
    return isinstance(operation, migrations.RunPython) and operation.code is reinstall_audit_triggers


def _unguarded(plan: list[tuple[str, list[Any]]]) -> list[str]:
    """Operations on auditevent after which no operation installs the triggers again."""
    unguarded: list[str] = []
    for name, operations in plan:
        for operation in operations:
            if _installs_triggers(operation):
                unguarded = []
            elif _touches_auditevent(operation):
                unguarded.append(f"{name}: {operation.describe()}")
    return unguarded


def _core_plan() -> list[tuple[str, list[Any]]]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes("core")
    assert len(leaves) == 1, f"core has {len(leaves)} leaf migrations: {leaves}"
    return [(f"core/{name}", loader.graph.nodes[(app, name)].operations)
            for app, name in loader.graph.forwards_plan(leaves[0]) if app == "core"]


def test_every_change_to_the_audit_table_is_followed_by_the_triggers() -> None:
    plan = _core_plan()
    assert any(_touches_auditevent(op) for _, ops in plan for op in ops)  # CreateModel, 0003's AddField…
    assert not _unguarded(plan), (
        "these migrations alter core_auditevent after the last one that installs its triggers; on SQLite "
        "the table is rebuilt and the triggers are lost. End the migration with "
        "jaring.core.db.audit_triggers_operation():\n  " + "\n  ".join(_unguarded(plan)))


def test_the_graph_check_catches_a_rebuild_without_the_triggers() -> None:
    """Not vacuous: 0003's kind of migration without a re-install is caught, and one with it is not."""
    from django.db import models

    add = migrations.AddField(model_name="auditevent", name="note", field=models.CharField(max_length=8))
    other = migrations.AddField(model_name="job", name="note", field=models.CharField(max_length=8))
    index = migrations.AddIndex(model_name="auditevent", index=models.Index(fields=["action"], name="x_idx"))
    plan = _core_plan()
    assert _unguarded([*plan, ("core/9998_note", [add])]) == ["core/9998_note: Add field note to auditevent"]
    assert _unguarded([*plan, ("core/9998_note", [index])])
    assert _unguarded([*plan, ("core/9998_note", [add, migrations.RunPython(reinstall_audit_triggers)])]) == []
    assert _unguarded([*plan, ("core/9998_note", [other])]) == []
    assert _unguarded([*plan, ("core/9998_sql", [migrations.RunSQL("DROP TRIGGER core_auditevent_no_update")])])


# --- A freshly migrated database, no fixture --------------------------------------------------------

def _env(home: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
    env.update({"DJANGO_SETTINGS_MODULE": "jaring.settings", "JARING_HOME": str(home), "JARING_TESTING": "true",
                "JARING_DATA_KEY": "dGFtcGVyLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmcuLi4=",
                "SECRET_KEY": "tamper-test-secret-key-0123456789-abcdefghijklmnop", "PYTHONWARNINGS": "ignore"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    return done


def test_fresh_sqlite_database_refuses_update_and_delete(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(_env(home), "manage.py", "migrate", "-v0")
    database = home / "jaring.sqlite3"  # the demo's database: settings' default path under $JARING_HOME
    db = sqlite3.connect(database, isolation_level=None)
    try:
        names = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent' "
                           "ORDER BY name").fetchall()
        assert [n for (n,) in names] == list(TRIGGERS["sqlite"])

        db.execute(f"INSERT INTO core_auditevent ({INSERT_COLUMNS}) VALUES "  # noqa: S608 - constant columns
                   "('2026-01-05 10:00:00', 'operator_sorong', 'person.register', 'registry.person', '1', '', '', "
                   "'web')")
        ((pk, action),) = db.execute("SELECT id, action FROM core_auditevent").fetchall()
        assert action == "person.register"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE core_auditevent SET action = 'tampered' WHERE id = ?", [pk])
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM core_auditevent WHERE id = ?", [pk])
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM core_auditevent")  # SQLite's "truncate": a DELETE without WHERE
        assert db.execute("SELECT id, action FROM core_auditevent").fetchall() == [(pk, "person.register")]
    finally:
        db.close()


# --- PostgreSQL: throwaway databases and roles -------------------------------------------------------

def _server() -> dict[str, Any]:
    conf = settings.DATABASES["default"]
    return {"host": conf.get("HOST") or "127.0.0.1", "port": int(conf.get("PORT") or 5432),
            "user": conf.get("USER") or "postgres", "password": conf.get("PASSWORD") or None}


def _url(*, user: str, password: str | None, database: str) -> str:
    server = _server()
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgres://{auth}@{server['host']}:{server['port']}/{database}"


def _connect(database: str, user: str | None = None, password: str | None = None) -> Any:
    import psycopg

    server = _server()
    return psycopg.connect(host=server["host"], port=server["port"], dbname=database, autocommit=True,
                           user=user or server["user"], password=password or server["password"], connect_timeout=5)


@contextlib.contextmanager
def throwaway_database(*roles: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A new database (owned by the first of ``roles`` if any) and LOGIN roles with random passwords;
    everything dropped afterwards, whatever happens."""
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
    name = f"jaring_tamper_{tag}"
    passwords = {role: secrets.token_hex(16) for role in roles}
    names = {role: f"{role}_{tag}" for role in roles}
    admin = _connect("postgres")
    try:
        for role, password in passwords.items():
            admin.execute(f"CREATE ROLE \"{names[role]}\" LOGIN PASSWORD '{password}'")
        owner = f' OWNER "{names[roles[0]]}"' if roles else ""
        admin.execute(f'CREATE DATABASE "{name}"{owner}')
        yield name, {role: f"{names[role]}:{passwords[role]}" for role in roles}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in roles:
            admin.execute(f'DROP ROLE IF EXISTS "{names[role]}"')
        admin.close()


def _insert_event(connection: Any, action: str) -> int:
    row = connection.execute(f"INSERT INTO core_auditevent ({INSERT_COLUMNS}) VALUES "  # noqa: S608
                             "(now(), 'operator_sorong', %s, 'registry.person', '1', '', '', 'web') RETURNING id",
                             [action]).fetchone()
    return int(row[0])


@only_postgresql
def test_fresh_postgresql_database_refuses_update_delete_and_truncate(tmp_path: Path) -> None:
    import psycopg

    with throwaway_database() as (database, _):
        server = _server()
        run(_env(tmp_path / "home", _url(user=server["user"], password=server["password"], database=database)),
            "manage.py", "migrate", "-v0")
        db = _connect(database)
        try:
            names = db.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass "
                               "AND NOT tgisinternal ORDER BY tgname").fetchall()
            assert [n for (n,) in names] == list(TRIGGERS["postgresql"])
            pk = _insert_event(db, "person.register")
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("UPDATE core_auditevent SET action = 'tampered' WHERE id = %s", [pk])
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("DELETE FROM core_auditevent WHERE id = %s", [pk])
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("TRUNCATE core_auditevent CASCADE")
            assert db.execute("SELECT id, action FROM core_auditevent").fetchall() == [(pk, "person.register")]
        finally:
            db.close()


# Runs as the app role, in the Jaring process: a user and a person through the services.
APP_SCENARIO = r"""
import datetime as dt, json
import django
django.setup()
from jaring.accounts.services import user_create
from jaring.core.models import AuditEvent
from jaring.registry.services import PersonInput, person_register
operator = user_create(actor=None, username="operator_sorong", name="Rudi Latumahina", role="operator",
                       password="rahasia-jaring-2026", areas=["96.71"])
person = person_register(actor=operator, data=PersonInput.of(
    nik="9271015403850007", full_name="Yuliana Wanma", birth_date=dt.date(1985, 3, 14), sex="F",
    kelurahan="96.71.01.1004", occupation="ojek_driver", phone="081299887766"))
print(json.dumps({"person": person.pk, "audit": sorted(AuditEvent.objects.values_list("action", flat=True))}))
"""


@only_postgresql
def test_app_role_writes_but_cannot_rewrite_the_audit(tmp_path: Path) -> None:
    import psycopg

    with throwaway_database("jaring_owner", "jaring_app") as (database, logins):
        owner, owner_password = logins["jaring_owner"].split(":")
        app, app_password = logins["jaring_app"].split(":")
        owner_env = _env(tmp_path / "home", _url(user=owner, password=owner_password, database=database))
        run(owner_env, "manage.py", "migrate", "-v0")  # the owner runs the migrations…
        granted = run(owner_env, "-m", "jaring.cli", "db", "grant-app-role", app)  # … and then the grants
        assert f'REVOKE UPDATE, DELETE ON "public"."core_auditevent" FROM "{app}";' in granted.stdout.splitlines()

        # The application, as the app role, works: users, persons and their audit events are written.
        app_env = _env(tmp_path / "home", _url(user=app, password=app_password, database=database))
        done = json.loads(run(app_env, "-c", APP_SCENARIO).stdout.strip().splitlines()[-1])
        assert done["person"] and {"user.create", "person.register"} <= set(done["audit"])

        db = _connect(database, app, app_password)
        try:
            pk = _insert_event(db, "person.update")  # INSERT: allowed
            db.execute("UPDATE registry_person SET phone = '081200000000'")  # ordinary tables: writable
            db.execute("UPDATE core_job SET message = 'x'")
            refused = [
                "UPDATE core_auditevent SET action = 'tampered'",
                "DELETE FROM core_auditevent",
                "TRUNCATE core_auditevent",
                "TRUNCATE core_auditevent CASCADE",
                "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change",
                "DROP TRIGGER core_auditevent_no_change ON core_auditevent",
                "DROP TABLE core_auditevent CASCADE",
                "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ BEGIN RETURN NULL; "
                "END; $$ LANGUAGE plpgsql",
                "SET session_replication_role = replica",
                "TRUNCATE registry_person CASCADE",  # no TRUNCATE anywhere
                "CREATE TABLE public.core_auditevent_copy (id int)",  # no CREATE in the schema
            ]
            for statement in refused:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    db.execute(statement)
            actions = [a for (a,) in db.execute("SELECT action FROM core_auditevent ORDER BY id")]
            assert {"db.app_role_granted", "person.register"} <= set(actions) and actions[-1] == "person.update"
            assert db.execute("SELECT count(*) FROM core_auditevent WHERE id = %s", [pk]).fetchone() == (1,)
        finally:
            db.close()

        # `jaring backup` works as the app role (pg_dump only reads), when pg_dump is here.
        if shutil.which("pg_dump"):
            run(app_env, "-m", "jaring.cli", "backup", "--output", str(tmp_path / "app.backup"))

        # A table a later migration creates (as the owner) is writable by the app: default privileges.
        as_owner = _connect(database, owner, owner_password)
        try:
            as_owner.execute("CREATE TABLE core_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x int)")
        finally:
            as_owner.close()
        db = _connect(database, app, app_password)
        try:
            db.execute("INSERT INTO core_later (x) VALUES (1)")
            db.execute("UPDATE core_later SET x = 2")
            db.execute("DELETE FROM core_later")
        finally:
            db.close()

        # Refusals: the owner (or a member of it) as the app role, a superuser, a missing role.
        server = _server()
        for role, message in ((owner, "pemilik"), (server["user"], "superuser"), ("no_such_role_x", "tidak ada")):
            refused_run = subprocess.run([sys.executable, "-m", "jaring.cli", "db", "grant-app-role", role], cwd=ROOT,
                                         env=owner_env, capture_output=True, text=True, timeout=300, check=False)
            assert refused_run.returncode != 0 and message in refused_run.stderr, refused_run.stderr


# --- The suite's own database ------------------------------------------------------------------------

def _assert_triggers_refuse_tampering() -> None:
    from django.db import DatabaseError, connection, transaction

    from jaring.core.models import AuditEvent

    assert installed_audit_triggers(connection) == sorted(TRIGGERS[connection.vendor])
    event = AuditEvent.objects.filter(action="user.create").first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_triggers_are_on_in_a_test_body(personas: dict[str, Any]) -> None:
    _assert_triggers_refuse_tampering()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_triggers_are_on_in_a_transactional_test_body(personas: dict[str, Any]) -> None:
    _assert_triggers_refuse_tampering()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_triggers_are_back_after_the_flush_of_a_transactional_test(personas: dict[str, Any]) -> None:
    """pytest-django runs transactional tests after the others, in file order: this one runs after the
    one above, whose flush needed the triggers off, and finds them on again."""
    _assert_triggers_refuse_tampering()


def test_grant_app_role_refuses_what_could_disable_the_triggers(db: Any, capsys: Any) -> None:
    from django.core.management import call_command

    def grant(role: str) -> tuple[int, str]:
        try:
            call_command("db_grant_app_role", role)
        except SystemExit as exc:
            return int(exc.code or 0), capsys.readouterr().err
        return 0, capsys.readouterr().err

    if not ON_POSTGRESQL:
        code, err = grant("jaring_app")
        assert code == 2 and "hanya untuk PostgreSQL" in err
        return
    code, err = grant(_server()["user"])  # the suite connects as a superuser (or as the owner)
    assert code == 3 and ("superuser" in err or "pemilik" in err)
    code, err = grant(f"no_such_role_{uuid.uuid4().hex[:8]}")
    assert code == 4 and "tidak ada" in err
