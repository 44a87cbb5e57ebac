"""`jaring backup` and `jaring restore` end to end, as an operator runs them: each step is its own
process on a throwaway $JARING_HOME (SQLite) or a throwaway PostgreSQL database, whatever database
the test run itself uses. Data is made through the services."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA_KEY = "YmFja3VwLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmcuLi4="  # 32 bytes, base64
OTHER_KEY = "YW5vdGhlci1kYXRhLWtleS1ub3QtdGhlLW9uZS0zMmI="  # 32 other bytes, base64
NIK = "9271015403850007"
NAME = "Yuliana Wanma Kambuaya"
PHONE = "081299887766"

# Runs inside the Jaring process under test: seeds through services, prints the state as JSON.
SCENARIO = r"""
import datetime as dt, json, sys
import django
django.setup()
from django.db import connection
from jaring.accounts.services import user_create
from jaring.core.models import AuditEvent
from jaring.registry.models import Person
from jaring.registry.services import PersonInput, person_register

def register(actor, nik, name, phone):
    return person_register(actor=actor, data=PersonInput.of(
        nik=nik, full_name=name, birth_date=dt.date(1985, 3, 14), sex="F", kelurahan="96.71.01.1004",
        occupation="ojek_driver", phone=phone))

action = sys.argv[1]
if action == "seed":
    operator = user_create(actor=None, username="operator_sorong", name="Rudi Latumahina", role="operator",
                           password="rahasia-jaring-2026", areas=["96.71"])
    register(operator, sys.argv[2], sys.argv[3], sys.argv[4])
elif action == "mutate":
    from jaring.accounts.models import User
    register(User.objects.get(username="operator_sorong"), "9271015403850099", "Orang Baru", "081200000001")
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='core_auditevent'")
    else:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid='core_auditevent'::regclass "
                       "AND NOT tgisinternal")
    triggers = sorted(row[0] for row in cursor.fetchall())
print(json.dumps({
    "persons": [[p.pk, p.full_name, p.phone, p.nik] for p in Person.objects.order_by("pk")],
    "audit": [[e.pk, e.action, e.object_id, e.actor_label] for e in AuditEvent.objects.order_by("pk")],
    "triggers": triggers,
}))
"""


def _env(home: Path, database_url: str | None = None, data_key: str = DATA_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
    env.update({"DJANGO_SETTINGS_MODULE": "jaring.settings", "JARING_HOME": str(home), "JARING_TESTING": "true",
                "JARING_DATA_KEY": data_key, "SECRET_KEY": "backup-test-secret-key-0123456789-abcdefghij",
                "PYTHONWARNINGS": "ignore"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def jaring(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jaring.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def state(env: dict[str, str], action: str = "state", *args: str) -> dict[str, Any]:
    done = ok(subprocess.run([sys.executable, "-c", SCENARIO, action, *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300, check=False))
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_opaque(backup: Path) -> None:
    """Nothing readable: no SQLite or pg_dump header, no NIK, name or phone in clear."""
    content = backup.read_bytes()
    assert content.startswith(b"JARINGBK")
    for secret in (b"SQLite format 3", b"PGDMP", NIK.encode(), NAME.encode(), PHONE.encode(),
                   b"operator_sorong", b"core_auditevent"):
        assert secret not in content, secret


def tamper(source: Path, target: Path, *, at: int) -> Path:
    data = bytearray(source.read_bytes())
    data[at] ^= 0x01
    target.write_bytes(bytes(data))
    return target


# --- SQLite ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One migrated, seeded home and its backup; each test works on its own copy of the home."""
    base = tmp_path_factory.mktemp("backup-sqlite")
    home = base / "home"
    env = _env(home)
    ok(jaring(env, "migrate", "-v0"))
    before = state(env, "seed", NIK, NAME, PHONE)
    backup = base / "jaring.backup"
    done = ok(jaring(env, "backup", "--output", str(backup), "--json"))
    return {"home": home, "before": before, "backup": backup, "report": json.loads(done.stdout)}


@pytest.fixture
def sqlite_home(sqlite_backup: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    shutil.copytree(sqlite_backup["home"], home)
    return _env(home)


def test_backup_is_encrypted_private_and_checksummed(sqlite_backup: dict[str, Any],
                                                       sqlite_home: dict[str, str]) -> None:
    backup: Path = sqlite_backup["backup"]
    report = sqlite_backup["report"]
    assert report["engine"] == "sqlite"
    assert (backup.stat().st_mode & 0o777) == 0o600
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    assert report["sha256"] == digest
    assert Path(f"{backup}.sha256").read_text() == f"{digest}  {backup.name}\n"
    assert_opaque(backup)
    audit = state(sqlite_home)["audit"]
    assert audit[-1][1:] == ["backup.created", digest, "system"]


def test_restore_brings_back_data_and_audit_trail(sqlite_backup: dict[str, Any],
                                                  sqlite_home: dict[str, str]) -> None:
    before = sqlite_backup["before"]
    changed = state(sqlite_home, "mutate")
    assert len(changed["persons"]) == len(before["persons"]) + 1

    refused = jaring(sqlite_home, "restore", str(sqlite_backup["backup"]))
    assert refused.returncode == 3 and "--force" in refused.stderr
    assert state(sqlite_home) == changed

    ok(jaring(sqlite_home, "restore", str(sqlite_backup["backup"]), "--force"))
    after = state(sqlite_home)
    assert after["persons"] == before["persons"]
    assert [p[3] for p in after["persons"]] == [NIK]
    assert after["triggers"] == before["triggers"]
    # Every audit event up to the snapshot, unchanged, then the restore itself.
    assert after["audit"][: len(before["audit"])] == before["audit"]
    assert [e[1] for e in after["audit"][len(before["audit"]):]] == ["backup.restored"]
    database = Path(sqlite_home["JARING_HOME"]) / "jaring.sqlite3"
    assert (database.stat().st_mode & 0o777) == 0o600
    assert not list(database.parent.glob(".jaring-*")), "no clear temporary file left behind"


def test_restore_after_the_database_is_lost(sqlite_backup: dict[str, Any], sqlite_home: dict[str, str]) -> None:
    database = Path(sqlite_home["JARING_HOME"]) / "jaring.sqlite3"
    database.unlink()
    ok(jaring(sqlite_home, "restore", str(sqlite_backup["backup"])))
    assert state(sqlite_home)["persons"] == sqlite_backup["before"]["persons"]


def test_damaged_backups_are_refused_and_nothing_changes(sqlite_backup: dict[str, Any],
                                                         sqlite_home: dict[str, str], tmp_path: Path) -> None:
    backup: Path = sqlite_backup["backup"]
    content = backup.read_bytes()
    changed = state(sqlite_home, "mutate")
    damaged = {
        # one bit flipped: in the header's salt, in the first data record, in the end record
        "header": (tamper(backup, tmp_path / "header.backup", at=30), "kunci data lain"),
        "record": (tamper(backup, tmp_path / "record.backup", at=200), "rusak atau telah diubah"),
        "end": (tamper(backup, tmp_path / "end.backup", at=len(content) - 1), "rusak atau telah diubah"),
        # cut inside the end record (61 bytes), and the whole end record
        "cut-40": (tmp_path / "cut40.backup", "terpotong"),
        "cut-61": (tmp_path / "cut61.backup", "terpotong"),
    }
    damaged["cut-40"][0].write_bytes(content[:-40])
    damaged["cut-61"][0].write_bytes(content[:-61])
    for name, (path, message) in damaged.items():
        refused = jaring(sqlite_home, "restore", str(path), "--force")
        assert refused.returncode == 7 and message in refused.stderr, (name, refused.stderr)
    assert state(sqlite_home) == changed
    assert not list(Path(sqlite_home["JARING_HOME"]).glob(".jaring-*")), "no clear temporary file left behind"


def test_backup_under_another_data_key_is_refused(sqlite_backup: dict[str, Any],
                                                  sqlite_home: dict[str, str]) -> None:
    other = dict(sqlite_home, JARING_DATA_KEY=OTHER_KEY)
    refused = jaring(other, "restore", str(sqlite_backup["backup"]), "--force")
    assert refused.returncode == 7
    assert "kunci data lain" in refused.stderr and "JARING_DATA_KEY" in refused.stderr
    assert state(sqlite_home)["persons"] == sqlite_backup["before"]["persons"]


def test_not_a_backup_is_refused(sqlite_home: dict[str, str]) -> None:
    database = Path(sqlite_home["JARING_HOME"]) / "jaring.sqlite3"
    refused = jaring(sqlite_home, "restore", str(database), "--force")
    assert refused.returncode == 7 and "bukan cadangan Jaring" in refused.stderr


def test_dump_to_decrypts_the_verified_database(sqlite_backup: dict[str, Any], sqlite_home: dict[str, str],
                                                tmp_path: Path) -> None:
    clear = tmp_path / "clear.sqlite3"
    ok(jaring(sqlite_home, "restore", str(sqlite_backup["backup"]), "--dump-to", str(clear)))
    assert clear.read_bytes().startswith(b"SQLite format 3\x00")
    assert (clear.stat().st_mode & 0o777) == 0o600


# --- PostgreSQL --------------------------------------------------------------------------------------

def _pg_admin_url() -> str:
    return os.environ.get("TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_database() -> Any:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not on PATH: the PostgreSQL backup path is documented, not tested here")
    import psycopg

    admin = _pg_admin_url()
    try:
        connection = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {admin}: {exc}")
    name = f"jaring_backup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def test_postgresql_backup_and_restore_end_to_end(pg_database: str, tmp_path: Path) -> None:
    env = _env(tmp_path / "home", database_url=pg_database)
    ok(jaring(env, "migrate", "-v0"))
    before = state(env, "seed", NIK, NAME, PHONE)
    backup = tmp_path / "pg.backup"
    report = json.loads(ok(jaring(env, "backup", "--output", str(backup), "--json")).stdout)
    assert report["engine"] == "postgresql"
    assert (backup.stat().st_mode & 0o777) == 0o600
    assert_opaque(backup)

    changed = state(env, "mutate")
    assert jaring(env, "restore", str(backup)).returncode == 3
    bad = tamper(backup, tmp_path / "bad.backup", at=backup.stat().st_size // 2)
    assert jaring(env, "restore", str(bad), "--force").returncode == 7
    assert jaring(dict(env, JARING_DATA_KEY=OTHER_KEY), "restore", str(backup), "--force").returncode == 7
    assert state(env) == changed

    ok(jaring(env, "restore", str(backup), "--force"))
    after = state(env)
    assert after["persons"] == before["persons"]
    assert after["triggers"] == before["triggers"]
    assert after["audit"][: len(before["audit"])] == before["audit"]
    assert [e[1] for e in after["audit"][len(before["audit"]):]] == ["backup.restored"]


    # Without pg_dump on the Jaring machine: a dump made elsewhere is encrypted, and decrypts as it was.
    dump = tmp_path / "elsewhere.dump"
    pg_dump = shutil.which("pg_dump") or "pg_dump"
    subprocess.run([pg_dump, "--format=custom", "--file", str(dump), pg_database], check=True, timeout=120)
    ok(jaring(env, "backup", "--from-dump", str(dump), "--output", str(tmp_path / "from-dump.backup")))
    assert_opaque(tmp_path / "from-dump.backup")
    ok(jaring(env, "restore", str(tmp_path / "from-dump.backup"), "--dump-to", str(tmp_path / "back.dump")))
    assert (tmp_path / "back.dump").read_bytes() == dump.read_bytes()
