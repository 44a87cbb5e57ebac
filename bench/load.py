"""Load: the server on loopback under a mix of facilitators' and the office's requests, bounded in time.

``python -m bench load [--size 100000] [--database-url URL] [--workers 3] [--threads 4] [--seconds 60]
[--users 40] [--no-baseline]``

Each configuration runs on a fresh home and database: ``size`` persons written set-based by the
registry_search generator (names from Papua and beyond, NIKs encrypted and blind-indexed), 20
facilitators with one kelurahan each, an operator's API token for the dashboard, the running month's
snapshot. Then ``jaring serve`` starts on 127.0.0.1 (one waitress process on SQLite; with
``--database-url``, gunicorn with ``--workers`` processes on PostgreSQL, ``DB_CONN_MAX_AGE=60``, JSON
logs with an access line per request, as docs/deploy.md describes), and locust (``bench.load_driver``,
headless, one process) drives the mix for ``--seconds`` after a short warm-up: 50% name searches in
the facilitator's kelurahan (htmx rows), 25% person pages, 10% registrations through the API with an
``Idempotency-Key`` (about one in ten retried with the same key and body, half of those sent twice at
once) and 15% dashboard reads through the API.

Afterwards the database is checked: every acknowledged registration (a 201, first or replayed) is
there exactly once, with the id the client was given; no NIK was stored twice; a key never answered
two different ids. Figures: requests/s, p50/p95/p99 (ms, locust's rounding), failures, lost and
duplicate registrations, and the CPU seconds of the server (all its processes) and of the load
generator while it drives: on this 2-core machine locust takes its share of the same cores, so the
server has less than two. Users do not wait between requests: the figures are the server's
throughput at saturation, and the latencies include the queueing of ``--users`` concurrent clients.

Baseline: with ``--database-url``, the same mix first against one waitress process on SQLite (what
``jaring serve`` runs by default), beside the PostgreSQL figures. Needs the ``load`` extra
(``pip install -e '.[load]'``: locust).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness import django_home, emit, progress

ROOT = Path(__file__).resolve().parents[1]
FACILITATORS = 20
PERSON_IDS = 300  # person pages are drawn from this many persons of each facilitator's kelurahan
GOAL = {"requests_per_s": 500, "p99_ms": 200}


def account(registrations: list[dict[str, Any]], stored: dict[str, list[int]]) -> dict[str, int]:
    """Check the client's registrations against the database.

    ``registrations``: what the client sent and heard: ``{"key", "nik", "answers": [[status, id,
    replayed], ...]}``; ``stored``: NIK → ids of the persons the database holds with it.
    Lost: acknowledged (a 201 with an id) but that id is not stored for the NIK. Duplicates: persons
    beyond the first stored for one NIK. Mismatched: one key answered with two different ids.
    """
    acknowledged = lost = duplicates = mismatched = unacknowledged_stored = retried = replayed = 0
    for record in registrations:
        answers = record["answers"]
        ids = {answer[1] for answer in answers if answer[0] == 201 and answer[1] is not None}
        rows = stored.get(record["nik"], [])
        duplicates += max(0, len(rows) - 1)
        retried += len(answers) > 1
        replayed += sum(1 for answer in answers if len(answer) > 2 and answer[2])
        if len(ids) > 1:
            mismatched += 1
        if ids:
            acknowledged += 1
            if not ids <= set(rows):
                lost += 1
        elif rows:
            unacknowledged_stored += 1  # stored, the client never heard: a retry would be replayed
    return {"registrations_sent": len(registrations), "registrations_acknowledged": acknowledged,
            "registrations_retried": retried, "replays": replayed, "lost": lost, "duplicates": duplicates,
            "mismatched_replays": mismatched, "stored_unacknowledged": unacknowledged_stored}


def stored_by_nik(niks: list[str]) -> dict[str, list[int]]:
    """NIK → ids of the persons stored with it (through the blind index)."""
    from jaring.registry.models import Person
    from jaring.registry.selectors import nik_index_of

    by_index = {nik_index_of(nik): nik for nik in set(niks)}
    found: dict[str, list[int]] = {}
    indexes = list(by_index)
    for start in range(0, len(indexes), 500):
        for index, person_id in Person.objects.filter(nik_index__in=indexes[start:start + 500]).values_list(
                "nik_index", "id"):
            found.setdefault(by_index[index], []).append(person_id)
    return found


def _seed(size: int, home: str) -> dict[str, Any]:
    from django.db import transaction

    from bench.registry_search import GIVEN_F, GIVEN_M, SURNAMES, build
    from jaring.accounts.services import api_token_create, user_create
    from jaring.regions.models import Region
    from jaring.registry.models import Person
    from jaring.reports.services import snapshot_refresh

    started = time.perf_counter()
    with transaction.atomic():
        build(size)
    progress(f"{size:,} persons in {time.perf_counter() - started:.0f} s")
    kelurahan = list(Region.objects.filter(level="kelurahan").order_by("code").values_list("id", "code"))
    facilitators = []
    for i, (region_id, code) in enumerate(kelurahan[:FACILITATORS]):
        password = secrets.token_urlsafe(18)
        user = user_create(actor=None, username=f"beban_fasilitator_{i}", name="Fasilitator Beban",
                           role="facilitator", password=password, areas=[code], validate=False)
        if getattr(user, "must_change_password", False):
            type(user).objects.filter(pk=user.pk).update(must_change_password=False)
        person_ids = list(Person.objects.filter(kelurahan_id=region_id).order_by("id")
                          .values_list("id", flat=True)[:PERSON_IDS])
        facilitators.append({"username": user.username, "password": password, "kelurahan": code,
                             "token": api_token_create(actor=None, user=user, name="bench load"),
                             "person_ids": person_ids})
    office = user_create(actor=None, username="beban_operator", name="Operator Beban", role="operator",
                         password=None, areas=["96.71"])
    snapshot_refresh(actor=office)
    return {"facilitators": facilitators, "office_token": api_token_create(actor=None, user=office, name="bench"),
            "given": GIVEN_M + GIVEN_F, "surnames": SURNAMES}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, server: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {server.returncode}); see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {seconds:.0f} s")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _group_cpu(group: int) -> float:
    """CPU seconds used so far by the live processes of a process group (the server and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime are fields 14 and 15 of the line
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def phase(config: dict[str, Any]) -> dict[str, Any]:
    """One configuration: seed, serve, drive, stop, check. Runs in its own process (Django once)."""
    with django_home(config["database_url"]) as home:
        from django.db import connection, connections

        from jaring.registry.models import Person

        plan = _seed(config["size"], home)
        vendor = connection.vendor
        persons_before = Person.objects.count()
        connections.close_all()
        port = _free_port()
        env = {**os.environ, "JARING_LOG_FORMAT": "json", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        if config["database_url"]:
            env["DB_CONN_MAX_AGE"] = "60"
        command = [str(Path(sys.executable).with_name("jaring")), "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--threads", str(config["threads"])]
        if config["workers"]:
            command += ["--workers", str(config["workers"])]
        log_path = Path(home) / "server.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                _wait_ready(f"http://127.0.0.1:{port}/readyz", server)
            except RuntimeError:
                progress("the server's log:\n" + "\n".join(log_path.read_text(errors="replace").splitlines()[-30:]))
                raise
            progress(f"{vendor}: server ready ({' '.join(command[1:])}); driving {config['users']} users "
                     f"for {config['seconds']} s")
            plan.update(host=f"http://127.0.0.1:{port}", users=config["users"], seconds=config["seconds"],
                        warmup=config["warmup"], retry_share=0.1)
            plan_path, result_path = Path(home) / "plan.json", Path(home) / "result.json"
            plan_path.write_text(json.dumps(plan))
            # The machine's 1-minute load before the run: other work on the same cores shows here.
            load_before = round(os.getloadavg()[0], 1)
            cpu_driver_start, cpu_server_start = _children_cpu(), _group_cpu(server.pid)
            subprocess.run([sys.executable, "-m", "bench.load_driver", str(plan_path), str(result_path)], cwd=ROOT,
                           check=True, timeout=config["seconds"] + config["warmup"] + 180)
            driver_cpu = _children_cpu() - cpu_driver_start
            server_cpu = _group_cpu(server.pid) - cpu_server_start
            result = json.loads(result_path.read_text())
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()
        log_lines = log_path.read_text(errors="replace").splitlines()
        registrations = result.pop("registrations")
        checks = account(registrations, stored_by_nik([r["nik"] for r in registrations]))
        checks["persons_added"] = Person.objects.count() - persons_before
        # The server's CPU over warm-up and run, shared by every request it answered (sign-ins included).
        answered = result["requests"] + result.pop("warmup_requests", 0)
        checks["server_cpu_ms_per_request"] = round(server_cpu * 1000 / answered, 1) if answered else None
        return {**result, **checks, "database": vendor,
                "load_average_before": load_before, "load_average_after": round(os.getloadavg()[0], 1),
                "workers": config["workers"] or 1,
                "server": "gunicorn" if config["workers"] else "waitress", "threads": config["threads"],
                "server_cpu_s": round(server_cpu, 1), "driver_cpu_s": round(driver_cpu, 1),
                "server_errors_logged": sum(1 for line in log_lines if '"level": "ERROR"' in line),
                "access_lines": sum(1 for line in log_lines if '"logger": "jaring.access"' in line)}


def _run_phase(config: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="jaring-load-") as folder:
        config_path, out_path = Path(folder) / "config.json", Path(folder) / "out.json"
        config_path.write_text(json.dumps(config))
        subprocess.run([sys.executable, "-m", "bench.load", "--phase", str(config_path), str(out_path)],
                       cwd=ROOT, check=True)
        return json.loads(out_path.read_text())


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("database", "server", "workers", "threads", "users", "requests", "failures",
            "requests_per_s", "p50_ms", "p95_ms", "p99_ms", "registrations_sent", "registrations_acknowledged",
            "registrations_retried", "replays", "lost", "duplicates", "mismatched_replays", "stored_unacknowledged",
            "persons_added", "load_average_before", "load_average_after",
            "server_cpu_s", "server_cpu_ms_per_request", "driver_cpu_s", "server_errors_logged", "access_lines",
            "by_request", "errors")
    return {"measured_seconds": result.get("seconds"), **{key: result.get(key) for key in keep}}


def run(*, size: int, database_url: str | None = None, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers on PostgreSQL")
    parser.add_argument("--threads", type=int, default=4, help="threads of each server process")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--users", type=int, default=20, help="locust users (no wait between requests)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the SQLite run beside PostgreSQL")
    args = parser.parse_args(argv or [])
    common = {"size": size, "threads": args.threads, "seconds": args.seconds, "warmup": args.warmup,
              "users": args.users}
    note = ("locust (one process) runs on the same machine as the server: driver_cpu_s is its share of "
            "the cores; server_cpu_s is the server's (all its processes)")
    sqlite: dict[str, Any] | None = None
    if not database_url or not args.no_baseline:
        sqlite = _figures(_run_phase({**common, "database_url": None, "workers": 0}))
        emit("load.sqlite", size, sqlite["p99_ms"] / 1000, note=note,
             baseline="none (one waitress process on SQLite: what jaring serve runs by default)", **sqlite)
    if database_url:
        pg = _figures(_run_phase({**common, "database_url": database_url, "workers": args.workers}))
        extra: dict[str, Any] = {}
        if sqlite:
            extra = {"baseline": "the same mix, one waitress process on SQLite (p99 as baseline_seconds)",
                     "baseline_requests_per_s": sqlite["requests_per_s"], "baseline_p50_ms": sqlite["p50_ms"],
                     "baseline_p95_ms": sqlite["p95_ms"], "baseline_failures": sqlite["failures"]}
        emit("load.postgresql", size, pg["p99_ms"] / 1000,
             baseline_seconds=sqlite["p99_ms"] / 1000 if sqlite else None, note=note,
             goal=f">= {GOAL['requests_per_s']} requests/s with p99 <= {GOAL['p99_ms']} ms",
             goal_met=bool(pg["requests_per_s"] >= GOAL["requests_per_s"] and pg["p99_ms"] <= GOAL["p99_ms"]
                           and not pg["lost"] and not pg["duplicates"]), **extra, **pg)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--phase":
        result = phase(json.loads(Path(sys.argv[2]).read_text()))
        Path(sys.argv[3]).write_text(json.dumps(result))
    else:
        sys.exit("usage: python -m bench load [options] (python -m bench load --help)")
