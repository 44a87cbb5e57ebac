"""kill -9 in the middle of an import, run it again: the database equals a clean run."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from jaring.core.models import Job
from jaring.registry.models import Person
from jaring.registry.testing import make_nik

ROWS = 60_000


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "big.csv"
    born = dt.date(1980, 1, 1)
    lines = ["NIK;Nama;Tgl Lahir;JK;Kelurahan"]
    for i in range(ROWS):
        day = born + dt.timedelta(days=i % 9000)
        lines.append(f"{make_nik(birth_date=day, sex='M', serial=i // 9000)};Orang {i};{day:%d/%m/%Y};L;Remu")
    lines.append("Rusak;3.27E+15;01/01/1980;L;Remu")
    path.write_text("\n".join(lines) + "\n")
    return path


def _jaring(path: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "JARING_DATA_KEY": settings.JARING_DATA_KEY,
           "SECRET_KEY": settings.SECRET_KEY, "JARING_HOME": str(settings.JARING_HOME),
           "DJANGO_SETTINGS_MODULE": "jaring.settings"}
    return subprocess.Popen([sys.executable, "-m", "jaring.cli", "import", "registry", str(path), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kill_minus_nine_then_rerun_equals_clean_run(tmp_path):
    path = _file(tmp_path)
    process = _jaring(path)
    deadline = time.monotonic() + 60
    while not Job.objects.filter(kind="import.registry").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # well into validation or writing
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert Person.objects.count() == 0  # all or nothing: the killed transaction left no row
    rerun = _jaring(path)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()[-2000:]
    assert Person.objects.count() == ROWS
    assert Job.objects.filter(status="failed", message__startswith="Terputus").count() == 1
    again = _jaring(path)
    again.communicate(timeout=300)
    assert Person.objects.count() == ROWS  # a re-import adds nothing
