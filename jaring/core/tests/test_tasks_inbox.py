"""The tasks inbox of the home page (issue 14 §2): what waits for each role, from every app's task
source (``core.tasks``), scoped to the user's area and capabilities; counts set-based; links that
open; the home page in a bounded number of queries. The work is made through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from conftest import KLAWASI, REMU
from jaring.core.tasks import URGENT, Task, register_task_source, task_sources, tasks_for

pytestmark = pytest.mark.django_db

_kpjs = itertools.count(1)


def _month(offset: int) -> dt.date:
    from jaring.core.money import add_months, month_start

    return add_months(month_start(timezone.localdate()), offset)


def _enrol(personas: dict[str, Any], person: Any, payer: Any, months_back: int, *, kpj: bool = True) -> Any:
    from jaring.membership.services import membership_enrol

    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=1_000_000,
                            start_date=_month(-months_back) if kpj else timezone.localdate(),
                            kpj=f"2613{next(_kpjs):07d}" if kpj else None)


@pytest.fixture
def work(personas, payers, register_person):  # type: ignore[no-untyped-def]
    """Remu: two self-payers behind (2 and 1 months), one city-paid member billed, a registration
    BPJSTK rejected, a pair of possible duplicates, an overdue claim, a failed import of
    facilitator_remu; Klawasi: one self-payer behind; the city: a round prepared by the operator."""
    from jaring.claims.services import claim_open
    from jaring.contributions.services import billing_run
    from jaring.core.jobs import job_finish
    from jaring.core.services import job_create
    from jaring.membership.services import budget_line_add, membership_reject
    from jaring.registry.importing import IMPORT_JOB
    from jaring.registry.services import dedup_scan
    from jaring.targeting.selectors import RoundInput
    from jaring.targeting.services import policy_create, round_prepare
    from jaring.targeting.testing import build_candidates
    from jaring.targeting.tests.conftest import BUDGET, start_month

    operator, admin = personas["operator_sorong"], personas["admin_sorong"]
    two = register_person(full_name="Yuliana Kambuaya")
    one = register_person(full_name="Markus Mambrasar")
    city = register_person(full_name="Dorkas Rumbewas")
    far = register_person(full_name="Siti Fatimah", kelurahan=KLAWASI)
    _enrol(personas, two, payers["self"], 2)
    _enrol(personas, one, payers["self"], 1)
    _enrol(personas, city, payers["city"], 1)
    _enrol(personas, far, payers["self"], 2)
    for offset in (-2, -1):
        billing_run(actor=operator, period=_month(offset))

    rejected = register_person(full_name="Anton Wamafma")
    pending = _enrol(personas, rejected, payers["self"], 0, kpj=False)
    membership_reject(actor=operator, membership=pending, reason="NIK tidak cocok dengan Dukcapil")

    born = dt.date(1979, 5, 4)
    register_person(full_name="Soekarni Wanma", sex="F", birth_date=born, phone="", birth_place="Sorong")
    register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=born, phone="081298765432",
                    occupation="market_trader")
    dedup_scan(actor=operator)

    claim_open(actor=operator, person=two, type="jkk", event_date=timezone.localdate() - dt.timedelta(days=40))

    job = job_create(actor=personas["facilitator_remu"], kind=IMPORT_JOB, params={"file": "remu.csv"})
    job_finish(job, status="failed", message="Berkas rusak")

    start = start_month()
    budget_line_add(actor=admin, payer=payers["city"], fiscal_year=start.year, amount_idr=BUDGET,
                    source_document="DPA Dinas Sosial")
    policy = policy_create(actor=admin, code="inpres", name="Inpres 4/2022", max_decile=4, min_age=18, max_age=64)
    build_candidates(3, on=start)
    allocation_round = round_prepare(actor=operator, data=RoundInput(
        payer=payers["city"], policy=policy, budget_idr=BUDGET, months=12, start=start))
    return {"round": allocation_round, "rejected": rejected}


def _counts(user: Any) -> dict[str, int]:
    return {task.key: task.count for task in tasks_for(user)}


def _lapsing(user: Any) -> int:
    from jaring.contributions.selectors import AtRiskFilter, at_risk

    today = timezone.localdate()
    return len(at_risk(actor=user, today=today, where=AtRiskFilter(lapsing_by=today + dt.timedelta(days=7))))


def _without(counts: dict[str, int], key: str) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k != key}


def test_each_role_sees_its_own_work(personas, payers, work):
    from jaring.registry.models import DuplicateCandidate

    duplicates = DuplicateCandidate.objects.filter(status="open").count()
    assert duplicates >= 1
    operator, admin = personas["operator_sorong"], personas["admin_sorong"]

    office = {"registry.duplicates": duplicates, "registry.imports_failed": 1, "claims.overdue": 1,
              "contributions.invoices_to_issue": 1, "membership.rejected": 1}
    # The operator prepared the round: it waits for an admin, not for them (maker-checker).
    assert _without(_counts(operator), "contributions.lapsing_this_week") == {
        **office, "targeting.rounds_prepared": 1}
    assert _without(_counts(admin), "contributions.lapsing_this_week") == {
        **office, "targeting.rounds_to_approve": 1}
    assert _counts(admin).get("contributions.lapsing_this_week", 0) == _lapsing(admin)
    # One rejected registration: its link is the person's page, where BPJSTK's reason shows.
    rejected = next(task for task in tasks_for(operator) if task.key == "membership.rejected")
    assert rejected.url == f"/orang/{work['rejected'].pk}/" and rejected.urgency == URGENT

    # A facilitator: their kelurahan only, no money, no rounds.
    assert _counts(personas["facilitator_remu"]) == {
        "registry.duplicates": duplicates, "registry.imports_failed": 1, "claims.overdue": 1,
        "fieldwork.visits_due": 2, **({"fieldwork.lapsing_this_week": n} if (n := _week(personas, "remu")) else {})}
    assert _without(_counts(personas["facilitator_klawasi"]), "fieldwork.lapsing_this_week") == {
        "fieldwork.visits_due": 1}
    # The auditor reads everything and acts on nothing: no task at all; the liaison none here either.
    assert tasks_for(personas["auditor"]) == []
    assert tasks_for(personas["liaison"]) == []


def _week(personas: dict[str, Any], who: str) -> int:
    from jaring.fieldwork.selectors import WorkFilter, worklist

    return worklist(actor=personas[f"facilitator_{who}"], where=WorkFilter()).lapsing_this_week


def test_counts_follow_the_work(personas, payers, register_person, work):
    from jaring.contributions.services import invoice_issue
    from jaring.membership.services import membership_reject
    from jaring.targeting.services import round_approve

    admin = personas["admin_sorong"]
    second = _enrol(personas, register_person(full_name="Yakob Sawaki"), payers["self"], 0, kpj=False)
    membership_reject(actor=admin, membership=second, reason="Tanggal lahir berbeda")
    rejected = next(task for task in tasks_for(admin) if task.key == "membership.rejected")
    assert (rejected.count, rejected.url) == (2, "/bpjstk/")
    invoice_issue(actor=admin, payer=payers["city"], period=_month(-1))
    counts = _counts(admin)
    assert "contributions.invoices_to_issue" not in counts  # zero: hidden
    assert counts["contributions.invoices_unpaid"] == 1
    assert counts["targeting.rounds_to_approve"] == 1
    round_approve(actor=admin, allocation_round=work["round"])
    assert "targeting.rounds_to_approve" not in _counts(admin)
    assert "targeting.rounds_prepared" not in _counts(personas["operator_sorong"])


def test_the_most_urgent_come_first(personas, work):
    tasks = tasks_for(personas["admin_sorong"])
    urgencies = [task.urgency for task in tasks]
    assert urgencies == sorted(urgencies, reverse=True) and urgencies[0] == URGENT


@pytest.mark.parametrize("username", ["operator_sorong", "admin_sorong", "facilitator_remu", "auditor"])
def test_the_home_page_shows_the_inbox_with_links_that_open(client, personas, work, username,
                                                            django_assert_max_num_queries):
    user = personas[username]
    client.force_login(user)
    with django_assert_max_num_queries(30):
        page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Perlu ditindaklanjuti" in html
    tasks = tasks_for(user)
    if not tasks:
        assert "Tidak ada tugas" in html
    for task in tasks:
        assert f'data-task="{task.key}"' in html and str(task.label) in html
        assert client.get(task.url).status_code == 200, task.url


def test_the_home_page_queries_do_not_grow_with_the_work(client, personas, payers, register_person, work,
                                                         django_assert_max_num_queries):
    """Ten more members in arrears and duplicates, the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jaring.contributions.services import billing_run

    client.force_login(personas["admin_sorong"])
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for i in range(10):
        _enrol(personas, register_person(full_name=f"Peserta Tambahan {i}", kelurahan=REMU), payers["self"], 1)
    billing_run(actor=personas["operator_sorong"], period=_month(-1))
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get("/")


def test_no_task_without_the_capability_and_an_empty_inbox(client, personas):
    client.force_login(personas["auditor"])
    html = client.get("/").content.decode()
    assert "Tidak ada tugas" in html and "data-task=" not in html


def test_a_refused_source_leaves_the_others(personas):
    from jaring.core.errors import PermissionDenied

    def refused(actor: Any) -> list[Task]:
        raise PermissionDenied("no")

    def one(actor: Any) -> list[Task]:
        return [Task("test.one", "Satu", 1, "/"), Task("test.none", "Nol", 0, "/")]

    saved = list(task_sources)
    try:
        register_task_source(refused)
        register_task_source(one)
        register_task_source(one)  # registered once
        keys = [task.key for task in tasks_for(personas["auditor"])]
        assert keys == ["test.one"]
    finally:
        task_sources[:] = saved


@pytest.mark.parametrize("username", ["admin_sorong", "facilitator_remu"])
def test_each_source_counts_in_a_few_set_queries(personas, work, username):
    """One aggregate per task (the at-risk count is ``at_risk``'s two): a handful per source."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jaring.accounts.selectors import scope_for

    user = personas[username]
    scope_for(user).region_ids  # noqa: B018 - the user's area, read once per request by every page
    for source in task_sources:
        with CaptureQueriesContext(connection) as queries:
            list(source(user))
        assert len(queries.captured_queries) <= 5, source.__qualname__
