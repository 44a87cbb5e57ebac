"""The data migrations of decision 0033, run for real on a fresh database (SQLite in a temporary
folder; on PostgreSQL a throwaway database): registry 0006 moves each person's KPJ from their
memberships to ``Person.kpj``, membership 0003 gives existing payers the funding source of their kind.

A subprocess migrates to the state before, writes rows through the historical models, migrates to the
end, reports what it finds, then migrates back to check the reverse puts the KPJs on the memberships.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.security.test_audit_tamper import _env, _server, _url, only_postgresql, run, throwaway_database

SCENARIO = r"""
import datetime as dt, json
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("registry", "0005_dedup"), ("membership", "0001_initial")]
executor = MigrationExecutor(connection)
executor.migrate(BEFORE)
apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
Region, Person = apps.get_model("regions", "Region"), apps.get_model("registry", "Person")
Payer, Membership = apps.get_model("membership", "Payer"), apps.get_model("membership", "Membership")
remu = Region.objects.get(code="96.71.01.1004")
kinds = ["self", "government_city", "government_province", "village", "csr", "bank", "other"]
payers = {kind: Payer.objects.create(code=kind.upper(), name=kind, kind=kind) for kind in kinds}
people = {}
for key in ("two_kpj", "bad_format", "none", "shared_earlier", "shared_later", "one"):
    people[key] = Person.objects.create(nik_encrypted=b"x", nik_index=key, full_name=key, name_key=key,
                                        name_key_last=key, birth_date=dt.date(1985, 3, 14), sex="M",
                                        kelurahan=remu, data_source="cli")
def member(key, start, kpj, status="active"):
    return Membership.objects.create(person=people[key], payer=payers["self"], declared_income_idr=1_000_000,
                                     start_date=start, kpj=kpj, status=status)
member("two_kpj", dt.date(2024, 1, 1), "2401-000-0001", status="ended")
member("two_kpj", dt.date(2025, 1, 1), "25010000002")
member("bad_format", dt.date(2025, 1, 1), "K-9")
member("none", dt.date(2025, 1, 1), None)
member("shared_earlier", dt.date(2025, 1, 1), "26010000004")
member("shared_later", dt.date(2025, 6, 1), "2601 0000004")  # the same KPJ once spaces are removed
member("one", dt.date(2025, 1, 1), "26010000009")

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
from jaring.core.models import AuditEvent
from jaring.membership.models import Payer as CurrentPayer
from jaring.registry.models import Person as CurrentPerson
kpj = dict(CurrentPerson.objects.values_list("full_name", "kpj"))
funding = dict(CurrentPayer.objects.values_list("kind", "funding_source"))
conflicts = {CurrentPerson.objects.get(pk=int(e.object_id)).full_name: e.after
             for e in AuditEvent.objects.filter(action="person.kpj_migration_conflict")}

executor = MigrationExecutor(connection)
executor.migrate([("registry", "0005_dedup")])  # and so membership back to 0001, which needs it
apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
back = {m.person.full_name: m.kpj for m in apps.get_model("membership", "Membership").objects
        .select_related("person").order_by("start_date", "id")}
print(json.dumps({"kpj": kpj, "funding": funding, "conflicts": conflicts, "back": back}))
"""


def _check(done: object) -> None:
    report = json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
    assert report["kpj"] == {"two_kpj": "25010000002", "bad_format": "K-9", "none": None,
                             "shared_earlier": None, "shared_later": "26010000004", "one": "26010000009"}
    assert report["conflicts"] == {
        "two_kpj": {"reason": "two_kpj_for_one_person", "kept": "25010000002",
                    "dropped": {"24010000001": [report["conflicts"]["two_kpj"]["dropped"]["24010000001"][0]]}},
        "shared_earlier": {"reason": "kpj_of_another_person", "kpj": "26010000004",
                           "kept_by_person": report["conflicts"]["shared_earlier"]["kept_by_person"]},
    }
    assert report["funding"] == {"self": "self", "government_city": "apbd_city", "government_province": "apbd_province",
                                 "village": "dana_kelurahan", "csr": "non_state", "bank": "non_state",
                                 "other": "non_state"}
    # Going back puts each person's KPJ on their latest membership (the last one listed per person).
    assert report["back"] == {"two_kpj": "25010000002", "bad_format": "K-9", "none": None, "shared_earlier": None,
                              "shared_later": "26010000004", "one": "26010000009"}
    log = done.stderr  # type: ignore[attr-defined]
    assert "KPJ migration" in log and "two_kpj_for_one_person" in log and "'K-9'" in log


def test_kpj_and_funding_source_migrations_on_sqlite(tmp_path: Path) -> None:
    _check(run(_env(tmp_path / "home"), "-c", SCENARIO))


@only_postgresql
def test_kpj_and_funding_source_migrations_on_postgresql(tmp_path: Path) -> None:
    with throwaway_database() as (database, _):
        server = _server()
        _check(run(_env(tmp_path / "home", _url(user=server["user"], password=server["password"], database=database)),
                   "-c", SCENARIO))
