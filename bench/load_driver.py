"""The load benchmark's traffic (``bench.load`` runs it in its own process): locust users, headless.

``python -m bench.load_driver PLAN.json RESULT.json`` reads the plan (server address, users, seconds,
facilitators with their passwords, API tokens, kelurahan, person ids and search words) and writes the
figures and every registration's key, NIK and answers. Only this process imports locust (gevent
patches the standard library when it is imported): the tests and the server never do.

The mix, by weight: 50 facilitators' name searches in their own kelurahan (the person list's htmx
rows, as on a phone), 25 person pages, 10 registrations through the API with an ``Idempotency-Key``
(about one in ten retried with the same key and body: half after the answer came, as after a lost
response, half sent twice at once, as a double tap), 15 dashboard reads (the office's API token).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
import sys
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.stats import StatsEntry

PLAN: dict[str, Any] = {}
REGISTRATIONS: list[dict[str, Any]] = []
_serial = itertools.count()
_users = itertools.count()
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MIX = ("search", "person_page", "register", "register_retry", "dashboard")


def registration_body(n: int, kelurahan: str, rng: random.Random) -> dict[str, Any]:
    """The ``n``-th registration: a valid NIK (region, birth date, sex, a serial the seed never uses)."""
    sex = "F" if n % 2 else "M"
    born = dt.date(1975, 1, 1) + dt.timedelta(days=n % 9000)
    day = born.day + (40 if sex == "F" else 0)
    nik = f"9271{n % 10 + 1:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{9000 + (n // 9000) % 1000:04d}"
    return {"nik": nik, "full_name": f"{rng.choice(PLAN['given'])} {rng.choice(PLAN['surnames'])}",
            "birth_date": born.isoformat(), "sex": sex,
            "kelurahan_code": kelurahan, "phone": f"0813{n:08d}"[:13]}


class Facilitator(FastHttpUser):
    """A facilitator on a phone: signs in on the web; registers through the API with a token."""

    weight = 85
    wait_time = between(0.0, 0.0)
    concurrency = 4

    def on_start(self) -> None:
        index = next(_users)
        self.rng = random.Random(index)
        self.me = PLAN["facilitators"][index % len(PLAN["facilitators"])]
        page = self.client.get("/masuk/", name="login")
        token = CSRF_RE.search(page.text or "")
        self.client.post("/masuk/", data={"username": self.me["username"], "password": self.me["password"],
                                          "csrfmiddlewaretoken": token.group(1) if token else "", "next": ""},
                         headers={"Referer": self.host + "/masuk/"}, name="login")
        self.api = {"Authorization": f"Bearer {self.me['token']}", "Content-Type": "application/json"}

    @task(50)
    def search(self) -> None:
        word = self.rng.choice(PLAN["given"] + PLAN["surnames"])
        q = word[: self.rng.randint(3, max(3, len(word)))].lower()
        with self.client.get(f"/orang/?q={q}", headers={"HX-Request": "true"}, name="search",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(25)
    def person_page(self) -> None:
        person_id = self.rng.choice(self.me["person_ids"])
        with self.client.get(f"/orang/{person_id}/", name="person_page", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def _post(self, key: str, body: str, name: str) -> tuple[int, int | None, bool]:
        headers = {**self.api, "Idempotency-Key": key}
        with self.client.post("/api/v1/persons/", data=body, headers=headers, name=name,
                              catch_response=True) as response:
            status = response.status_code
            person_id = None
            if status == 201:
                try:
                    person_id = int(json.loads(response.text)["id"])
                except (ValueError, KeyError, TypeError):
                    response.failure("201 without an id")
            elif status == 409:
                response.success()  # the same key still running: the client retries
            else:
                response.failure(f"HTTP {status}")
            replayed = (response.headers or {}).get("Idempotent-Replayed") == "true"
        return status, person_id, replayed

    @task(10)
    def register(self) -> None:
        n = next(_serial)
        body = registration_body(n, self.me["kelurahan"], self.rng)
        key = str(uuid.uuid4())
        raw = json.dumps(body)
        record: dict[str, Any] = {"key": key, "nik": body["nik"], "answers": []}
        REGISTRATIONS.append(record)
        retry = self.rng.random() < PLAN.get("retry_share", 0.1)
        if retry and self.rng.random() < 0.5:
            # A double tap: the same request twice at once; one runs, the other waits or replays.
            calls = [gevent.spawn(self._post, key, raw, "register_retry") for _ in range(2)]
            gevent.joinall(calls)
            record["answers"].extend(call.value for call in calls if call.value)
        else:
            record["answers"].append(self._post(key, raw, "register"))
            if retry:  # the answer was lost on the way: the phone sends it again
                record["answers"].append(self._post(key, raw, "register_retry"))
        for _ in range(20):  # a 409 (still running) is asked again until it has an answer
            if record["answers"] and all(status != 409 for status, _id, _r in record["answers"]):
                break
            gevent.sleep(0.05)
            record["answers"] = [a for a in record["answers"] if a[0] != 409]
            record["answers"].append(self._post(key, raw, "register_retry"))


class Office(FastHttpUser):
    """The office reading the coverage dashboard through the API (an operator's token)."""

    weight = 15
    wait_time = between(0.0, 0.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {PLAN['office_token']}"}

    @task
    def dashboard(self) -> None:
        with self.client.get("/api/v1/dashboard/", headers=self.headers, name="dashboard",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


def summary(env: Environment, seconds: float) -> dict[str, Any]:
    total = StatsEntry(env.stats, "mix", "", use_response_times_cache=False)
    by_name: dict[str, Any] = {}
    for (name, _method), entry in env.stats.entries.items():
        if name not in MIX:
            continue
        total.extend(entry)
        by_name[name] = {"requests": entry.num_requests, "failures": entry.num_failures,
                         "p50_ms": entry.get_response_time_percentile(0.5),
                         "p95_ms": entry.get_response_time_percentile(0.95),
                         "p99_ms": entry.get_response_time_percentile(0.99)}
    errors = {f"{e.method} {e.name}: {e.error}"[:200]: e.occurrences for e in env.stats.errors.values()}
    return {"seconds": round(seconds, 2), "requests": total.num_requests, "failures": total.num_failures,
            "requests_per_s": round(total.num_requests / seconds, 1) if seconds else 0.0,
            "p50_ms": total.get_response_time_percentile(0.5), "p95_ms": total.get_response_time_percentile(0.95),
            "p99_ms": total.get_response_time_percentile(0.99), "by_request": by_name, "errors": errors}


def main(plan_path: str, result_path: str) -> int:
    with open(plan_path) as plan:
        PLAN.update(json.load(plan))
    Facilitator.host = Office.host = PLAN["host"]
    env = Environment(user_classes=[Facilitator, Office], events=events)
    runner = env.create_local_runner()
    users = PLAN["users"]
    runner.start(users, spawn_rate=max(1, users))
    # Warm-up (sign-ins, first connections, cold caches) is not measured; its registrations count.
    gevent.sleep(PLAN["warmup"])
    warmup_requests = env.stats.total.num_requests
    env.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(PLAN["seconds"])
    measured = time.perf_counter() - started
    figures = summary(env, measured)
    runner.quit()
    figures["users"] = users
    figures["warmup_requests"] = warmup_requests
    figures["registrations"] = REGISTRATIONS
    with open(result_path, "w") as out:
        json.dump(figures, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
