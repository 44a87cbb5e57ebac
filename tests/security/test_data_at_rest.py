"""$JARING_HOME and what Jaring writes in it are for the service account only (0700 / 0600).

Each check starts a fresh Jaring process on a temporary home (SQLite, whatever database the test
run itself uses), as `jaring` starts in production."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Inside the process under test: a write through a service while the connection is still open
# (so SQLite's -wal and -shm exist), a job's progress (in the jobs side database), and an arbitrary export file.
WRITE_AND_STAT = r"""
import json, os, sys
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.db import connection
from jaring.accounts.services import user_create
from jaring.core.jobs import JobChannel

user_create(actor=None, username="operator_sorong", name="Rudi Latumahina", role="operator",
            password="rahasia-jaring-2026", areas=["96.71"])
home = Path(settings.JARING_HOME)
JobChannel(424242)("validate", 0, 10)
from jaring.core.models import JobSignal
progress = JobSignal.objects.using("jobs").get(job_id=424242).stage
export = Path(sys.argv[1])
export.write_bytes(b"an export with personal data")

def mode(path):
    return oct(path.stat().st_mode & 0o777) if path.exists() else None

database = Path(settings.DATABASES["default"]["NAME"])
print(json.dumps({
    "database": mode(database), "wal": mode(Path(f"{database}-wal")), "shm": mode(Path(f"{database}-shm")),
    "jobs": mode(home / "jaring-jobs.sqlite3"), "progress": progress, "export": mode(export),
    "umask": oct(os.umask(0o077)),
}))
connection.close()
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SECRET_KEY", "JARING_DATA_KEY", "TEST_DATABASE_NAME")}
    env.update({"DJANGO_SETTINGS_MODULE": "jaring.settings", "JARING_HOME": str(home), "JARING_TESTING": "true"})
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def bootstrap(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings and nothing else, as every entry point does first."""
    return run(env, "-c", "import django; django.setup()")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_fresh_home_is_private(tmp_path: Path) -> None:
    home = tmp_path / "srv" / "jaring"
    done = bootstrap(_env(home))
    assert mode(home) == 0o700
    assert mode(home / "secrets.json") == 0o600  # generated keys (no SECRET_KEY / JARING_DATA_KEY set)
    assert mode(home / "static") == 0o700
    assert "InsecureHomeWarning" not in done.stderr


def test_open_home_of_an_older_version_is_tightened_with_a_warning(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "jobs").mkdir(parents=True)
    (home / "uploads" / "7").mkdir(parents=True)
    files = {"jaring.sqlite3": b"", "secrets.json": b"{}", "jobs/3.json": b"{}", "uploads/7/data.csv": b"nik\n"}
    for name, content in files.items():
        (home / name).write_bytes(content)
        os.chmod(home / name, 0o644)
    for folder in (home, home / "jobs", home / "uploads", home / "uploads" / "7"):
        os.chmod(folder, 0o755)  # noqa: S103 - the open home an older version left

    done = bootstrap(_env(home))

    assert "InsecureHomeWarning" in done.stderr and str(home) in done.stderr
    assert mode(home) == 0o700
    for folder in (home / "jobs", home / "uploads", home / "uploads" / "7"):
        assert mode(folder) == 0o700, folder
    for name in files:
        assert mode(home / name) == 0o600, name
    # Once private, a later start has nothing to say.
    assert "InsecureHomeWarning" not in bootstrap(_env(home)).stderr


def test_a_loose_file_in_a_private_home_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bootstrap(_env(home))
    database = home / "jaring.sqlite3"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    done = bootstrap(_env(home))
    assert mode(database) == 0o600
    assert "InsecureHomeWarning" in done.stderr


@pytest.mark.parametrize("entry", [["-m", "jaring.cli"], ["manage.py"]])
def test_database_wal_jobs_and_exports_are_private(tmp_path: Path, entry: list[str]) -> None:
    home = tmp_path / "home"
    env = _env(home, JARING_JOBS_DB="jobs", SECRET_KEY="data-at-rest-test-secret-key-0123456789-abcdefgh",
               JARING_DATA_KEY="ZGF0YS1hdC1yZXN0LXRlc3Qta2V5LTMyLWJ5dGVzISE=")
    run(env, *entry, "migrate", "-v0")
    database = home / "jaring.sqlite3"
    assert mode(home) == 0o700
    assert mode(database) == 0o600

    export = tmp_path / "exports" / "registrasi.xlsx"
    export.parent.mkdir()
    modes = json.loads(run(env, "-c", WRITE_AND_STAT, str(export)).stdout.strip().splitlines()[-1])
    assert modes == {"database": "0o600", "wal": "0o600", "shm": "0o600", "jobs": "0o600",
                     "progress": "validate", "export": "0o600", "umask": "0o77"}
    assert "secrets.json" not in os.listdir(home)  # keys given in the environment are never written down
