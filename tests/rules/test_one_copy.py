"""One copy of each rule that spans apps (ARCHITECTURE invariant 10), proved by properties.

- NIK validity: registry.identity holds the rules once (``NIK_RULES``); the one-NIK reading
  (``nik_findings``: forms, API, CLI through the person services) and the column reading
  (``nik_columns``/``nik_error``: the bulk import) agree on any string, and the web form, the bulk
  import, the API and the CLI accept and refuse exactly the same NIKs.
- Arrears and "protected": random payment histories, set up through the services, give the same
  months in arrears and the same protected months in the coverage strip, the at-risk list, the
  dashboard snapshot, billing_close and the pure rules engine.
- Budget available: the targeting preview, the payer page and the round-approval check read the
  same figure for random budgets and commitments.
"""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stderr, redirect_stdout

import polars as pl
import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import REMU
from jaring.registry.identity import NIK_RULE, NIK_RULES, nik_findings
from jaring.registry.importing import import_registry, validate

DB_EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True,
                       suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- NIKs, valid and not --------------------------------------------------------------------------

provinces = st.one_of(st.integers(11, 99), st.integers(0, 10))  # below 11: no province code
days = st.one_of(st.integers(1, 31), st.integers(41, 71),  # men, women (+40)
                 st.sampled_from([0, 29, 30, 31, 32, 40, 69, 70, 71, 72, 99]))
months = st.one_of(st.integers(1, 12), st.just(2), st.sampled_from([0, 13, 99]))
years = st.one_of(st.integers(0, 99), st.sampled_from([0, 1, 4, 96, 99, 100 - 1]))  # leap and not
serials = st.one_of(st.integers(1, 9999), st.just(0))  # 0000 is no serial


@st.composite
def structured_niks(draw: st.DrawFn) -> str:
    nik = (f"{draw(provinces):02d}{draw(st.integers(0, 9999)):04d}{draw(days):02d}{draw(months):02d}"
           f"{draw(years):02d}{draw(serials):04d}")
    mutation = draw(st.sampled_from(["none", "none", "separators", "non_ascii", "short", "long", "float",
                                     "letter", "spaces"]))
    if mutation == "separators":  # people type 9271-0114-0385-0001 or 9271.0114…
        sep = draw(st.sampled_from([" ", ".", "-", "\u00a0"]))
        nik = sep.join([nik[:4], nik[4:8], nik[8:12], nik[12:]])
    elif mutation == "non_ascii":  # a digit from another script, a superscript, a full-width one
        at = draw(st.integers(0, 15))
        nik = nik[:at] + draw(st.sampled_from(["٣", "３", "³", "²", "۵", "१"])) + nik[at + 1:]
    elif mutation == "short":
        nik = nik[:draw(st.integers(0, 15))]
    elif mutation == "long":
        nik = nik + draw(st.text(alphabet="0123456789", min_size=1, max_size=3))
    elif mutation == "float":  # what Excel made of it
        nik = f"{nik[0]}.{nik[1:draw(st.integers(2, 8))]}{draw(st.sampled_from(['E+15', 'e15', 'E+16']))}"
    elif mutation == "letter":
        at = draw(st.integers(0, 15))
        nik = nik[:at] + draw(st.sampled_from(["O", "l", "a", "/", ","])) + nik[at + 1:]
    elif mutation == "spaces":
        nik = f"  {nik} "
    return nik


niks = st.one_of(structured_niks(), st.text(alphabet="0123456789 .-Ee+", max_size=20))

# The examples the issue names, always tried (decoded: province, region, DDMMYY, serial).
NAMED = [
    "9271012902000001",  # 29 Feb (20)00: a leap year
    "9271012902960001",  # 29 Feb (19)96
    "9271012902010001",  # 29 Feb (19/20)01: not in the calendar (the import accepted it)
    "9271016902970001",  # a woman's 29 Feb (19/20)97: not in the calendar
    "9271016902920001",  # a woman's 29 Feb 1992
    "9271013102850001",  # 31 February
    "9271011403850000",  # serial 0000
    "1071011403850001",  # province 10: no such province
    "٩٢٧١٠١١٤٠٣٨٥٠٠٠١",  # Arabic-Indic digits
    "927101140385000³",  # a superscript three
]


def first_error(nik: str) -> str | None:
    errors = [f.code for f in nik_findings(nik) if f.is_error]
    return errors[0] if errors else None


def import_nik_errors(raw: list[str]) -> list[str | None]:
    """The import's own ``validate`` over a column of NIKs: the first NIK error of each row."""
    frame = validate(pl.DataFrame({"nik": raw}, schema={"nik": pl.Utf8}), {"nik": "nik"}, dt.date(2026, 1, 1))
    return [next((c for c in codes if c.startswith("nik_")), None) for codes in frame["_errors"].to_list()]


@settings(max_examples=400, deadline=None)
@given(st.lists(niks, min_size=1, max_size=40))
def test_the_import_reads_every_nik_as_the_form_does(raw):
    """No database: the vectorised rules and the one-NIK rules give the same first error."""
    assert import_nik_errors(raw) == [first_error(n) for n in raw]


def test_named_examples_are_read_the_same_and_as_the_calendar_says():
    assert import_nik_errors(NAMED) == [first_error(n) for n in NAMED] == [
        None, None, "nik_date", "nik_date", None, "nik_date", "nik_serial", "nik_province",
        "nik_not_digits", "nik_not_digits"]


def test_every_rule_has_one_message_for_every_way_in():
    from jaring.registry.importing import ERRORS

    for rule in NIK_RULES:
        assert ERRORS[rule.code] == ("NIK", rule.message)


# --- NIKs through the four doors (database) -------------------------------------------------------

PERSON = {"full_name": "Yohanes Kalami", "birth_date": "1985-03-14", "sex": "M"}


class Refused(Exception):
    """Refused for a reason other than the NIK: the example says nothing about NIK rules."""


def form_accepts(nik: str, personas) -> bool:  # type: ignore[no-untyped-def]
    from jaring.registry.forms import PersonForm

    form = PersonForm({"nik": nik, **PERSON, "kelurahan": REMU, "disability": "none"},
                      user=personas["operator_sorong"])
    if form.is_valid():
        return True
    if set(form.errors) != {"nik"}:
        raise Refused(form.errors.as_json())
    return False


def api_accepts(nik: str, api) -> bool:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        response = api.post("/api/v1/persons/", {"nik": nik, **PERSON, "kelurahan_code": REMU,
                                                 "confirm_warnings": True}, format="json")
        transaction.set_rollback(True)
    if response.status_code == 201:
        return True
    body = response.json()
    if response.status_code != 400 or set(body["error"].get("fields", {})) != {"nik"}:
        raise Refused(f"{response.status_code} {body}")
    return False


def cli_accepts(nik: str) -> bool:
    err = io.StringIO()
    with transaction.atomic(), redirect_stdout(io.StringIO()), redirect_stderr(err):
        try:
            call_command("person_add", nik=nik, name=PERSON["full_name"], birth_date=PERSON["birth_date"],
                         sex="M", kelurahan=REMU, confirm_warnings=True)
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        transaction.set_rollback(True)
    if code == 0:
        return True
    if code != 2 or not err.getvalue().startswith("error: ") or "nik" not in err.getvalue():
        raise Refused(f"exit {code}: {err.getvalue()}")
    return False


def import_accepts(nik: str, personas, folder) -> bool:  # type: ignore[no-untyped-def]
    """One row through the whole import (the reading worker included), as a dry run."""
    path, report = folder / "orang.csv", folder / "laporan.xlsx"
    path.write_text("Nama Lengkap;NIK;Tgl Lahir;Jenis Kelamin;Kelurahan\n"
                    f"{PERSON['full_name']};{nik};14/03/1985;L;{REMU}\n", encoding="utf-8")
    report.unlink(missing_ok=True)
    result = import_registry(actor=personas["operator_sorong"], path=path, dry_run=True, report=report)
    assert result.rows == 1
    if not result.rejected:
        return True
    rejected = list(load_workbook(report)["Ditolak"].iter_rows(min_row=2, values_only=True))
    if [row[1] for row in rejected] != ["NIK"]:
        raise Refused(str(rejected))
    # The reason is the one the form would give first, in the rule table's words.
    assert rejected[0][2] == NIK_RULE[first_error(nik) or ""].message
    return False


@DB_EXAMPLES
@given(nik=structured_niks())
@example(nik=NAMED[0]).via("the issue")
@example(nik=NAMED[2]).via("the issue")
@example(nik=NAMED[3]).via("the issue")
@example(nik=NAMED[6]).via("the issue")
@example(nik=NAMED[7]).via("the issue")
@example(nik=NAMED[9]).via("the issue")
@pytest.mark.django_db
def test_form_import_api_and_cli_accept_exactly_the_same_niks(nik, personas, api_client_for, tmp_path_factory):
    api = api_client_for("operator_sorong")
    verdicts = {
        "form": form_accepts(nik, personas),
        "import": import_accepts(nik, personas, tmp_path_factory.mktemp("import")),
        "api": api_accepts(nik, api),
        "cli": cli_accepts(nik),
    }
    assert len(set(verdicts.values())) == 1, (nik, verdicts)
    assert verdicts["form"] == (first_error(nik) is None)


# --- Arrears and "protected" (database) -----------------------------------------------------------

START = dt.date(2025, 1, 1)
BILLED = 10  # January to October 2025: every month up to the latest as_of is billed

payment_plans = st.lists(st.tuples(st.integers(0, BILLED - 1), st.integers(0, 75)), max_size=12)
as_of_dates = st.dates(min_value=dt.date(2025, 1, 2), max_value=dt.date(2025, 10, 15))


def _pay_oldest(operator, membership, paid_on: dt.date) -> None:  # type: ignore[no-untyped-def]
    """One month's contribution on ``paid_on`` (payment_record takes the oldest open month)."""
    from jaring.contributions.models import Due
    from jaring.contributions.services import payment_record

    due = Due.objects.filter(membership=membership, status="open").order_by("period").first()
    if due is None:
        return  # nothing owed: a payment now would buy months ahead, another story
    payment_record(actor=operator, membership=membership, amount_idr=due.amount_idr, paid_on=paid_on)


@DB_EXAMPLES
@given(plan=payment_plans, as_of=as_of_dates)
@example(plan=[], as_of=dt.date(2025, 6, 20)).via("never paid: lapsing")
@example(plan=[(0, 3), (1, 3)], as_of=dt.date(2025, 4, 20)).via("two months unpaid: at risk")
@example(plan=[(i, 40) for i in range(BILLED)], as_of=dt.date(2025, 10, 15)).via("always late")
@pytest.mark.django_db
def test_strip_at_risk_snapshot_and_billing_close_agree_on_arrears(plan, as_of, personas, register_person):
    from jaring.contributions.models import Due
    from jaring.contributions.selectors import at_risk, coverage_strip, max_arrears_months, protection
    from jaring.contributions.services import billing_close, billing_run
    from jaring.core.money import add_months, month_start, months_between
    from jaring.core.parameters import current_parameters
    from jaring.membership.services import membership_enrol, payer_create
    from jaring.reports.services import snapshot_refresh
    from jaring.rules import (
        PROTECTED_STATUSES,
        ArrearsStanding,
        MonthStatus,
        arrears_run,
        arrears_standing,
        consecutive_past_due_unpaid,
        lapse_date,
        month_statuses,
    )

    operator, admin = personas["operator_sorong"], personas["admin_sorong"]
    with transaction.atomic():
        payer = payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self")
        person = register_person(occupation="ojek_driver")
        membership = membership_enrol(actor=operator, person=person, payer=payer, programs="JKK,JKM",
                                      declared_income_idr=1_000_000, start_date=START, kpj="25010000001")
        for i in range(BILLED):
            billing_run(actor=operator, period=add_months(START, i))
        for month, days in sorted(plan):
            _pay_oldest(operator, membership, add_months(START, month) + dt.timedelta(days=days))

        # The rules engine, from plain data.
        params = current_parameters()
        limit = max_arrears_months(as_of)
        paid = dict(Due.objects.filter(membership=membership, status="paid").values_list("period", "paid_on"))
        run = consecutive_past_due_unpaid(START, paid, as_of, params=params)
        standing = arrears_standing(run, limit)
        event(f"standing: {standing}")

        # The person's coverage strip: the same months in arrears, the same protected months.
        strip = coverage_strip(person=person, months=months_between(START, month_start(as_of)) + 1, today=as_of)
        assert strip[0].period == START
        assert arrears_run([(m.period, MonthStatus(m.status)) for m in strip]) == run
        lapsed = lapse_date(START, paid, as_of, params=params)
        for month, status in month_statuses(START, paid, as_of, params=params):
            if lapsed is None or month < lapsed:
                shown = next(m for m in strip if m.period == month)
                assert shown.protected == (status in PROTECTED_STATUSES), (month, shown, status)
                if shown.protected:
                    assert shown.status == status

        # The at-risk list.
        listed = [r for r in at_risk(actor=operator, today=as_of) if r.membership_id == membership.pk]
        assert bool(listed) == (standing == ArrearsStanding.AT_RISK), (run, listed)
        if listed:
            assert listed[0].unpaid_months == run

        # billing_close's lapse rule (a dry run: it reports, it changes nothing).
        close = billing_close(actor=operator, as_of=as_of, dry_run=True)
        assert (membership.pk in close.membership_ids) == (standing == ArrearsStanding.LAPSING), (run, close)
        assert close.at_risk == (1 if standing == ArrearsStanding.AT_RISK else 0)

        # "Protected on the day" (rules.protection, as the person page, the API and the CLI read it):
        # no month in arrears — the running month paid or not yet due.
        status = protection(person=person, day=as_of)
        assert status.protected == (run == 0), (run, status)
        if run:
            assert status.months_in_arrears == run

        # The dashboard snapshot of as_of's month, as of that day: the same "protected".
        month = snapshot_refresh(actor=admin, period=month_start(as_of), today=as_of).months[0]
        assert month.members == 1
        assert month.protected == (1 if status.protected else 0), (run, status, month)
        assert month.at_risk == (1 if standing == ArrearsStanding.AT_RISK else 0), (run, month)
        transaction.set_rollback(True)


# --- Budget available (database) ------------------------------------------------------------------

rounds = st.lists(st.integers(1, 12), min_size=1, max_size=3)  # each round's budget, in people-years


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(line_units=st.integers(0, 20), round_units=rounds, direct=st.integers(0, 3))
@pytest.mark.django_db
def test_preview_payer_page_and_approval_read_the_same_budget_available(line_units, round_units, direct,
                                                                        personas):
    from django.utils import timezone

    from jaring.contributions.selectors import payer_summary
    from jaring.contributions.services import billing_run
    from jaring.core.errors import Conflict
    from jaring.core.money import add_months
    from jaring.membership.services import budget_line_add, membership_enrol, payer_create
    from jaring.registry.models import Person
    from jaring.targeting.models import AllocationRound
    from jaring.targeting.selectors import RoundInput, allocation_preview
    from jaring.targeting.services import policy_create, round_approve, round_prepare
    from jaring.targeting.testing import build_candidates

    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    start = dt.date(timezone.localdate().year + 1, 1, 1)
    with transaction.atomic():
        payer = payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                             wadah_code="SG", region_code="96.71")
        policy = policy_create(actor=admin, code="inpres", name="Inpres 4/2022", max_decile=4, min_age=18,
                               max_age=64)
        build_candidates(10, on=start)
        probe = allocation_preview(actor=operator, data=RoundInput(payer=payer, policy=policy, budget_idr=10**12,
                                                                   months=12, start=start))
        unit = probe.unit_idr
        budget_line_add(actor=admin, payer=payer, fiscal_year=start.year, amount_idr=line_units * unit,
                        source_document="DPA")
        # Members the payer took on outside any round: their billed dues use the budget too.
        for person in Person.objects.filter(occupation__isnull=False).order_by("-id")[:direct]:
            membership_enrol(actor=operator, person=person, payer=payer, programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=start, kpj=None)
        for i in range(3):
            billing_run(actor=operator, period=add_months(start, i))

        for units in round_units:
            data = RoundInput(payer=payer, policy=policy, budget_idr=units * unit, months=12, start=start)
            preview = allocation_preview(actor=operator, data=data)
            page = payer_summary(payer=payer, year=start.year)["available_idr"]
            assert preview.available[start.year] == page
            try:  # preparing checks the same figure first
                allocation_round = round_prepare(actor=operator, data=data)
            except Conflict as refused:
                assert refused.code == "budget_line_exceeded", refused.code
                assert refused.extra["available_idr"] == page < preview.by_year[start.year]
                continue
            cost = preview.by_year.get(start.year, 0)
            try:
                round_approve(actor=admin, allocation_round=allocation_round)
                approved = True
            except Conflict as refused:
                assert refused.code == "budget_line_exceeded", refused.code
                assert refused.extra["available_idr"] == page
                approved = False
            assert approved == (cost <= page), (cost, page)
            if approved:
                approved_round = AllocationRound.objects.get(pk=allocation_round.pk)
                after = payer_summary(payer=payer, year=start.year)["available_idr"]
                assert after == page - approved_round.committed_by_year[str(start.year)]
        transaction.set_rollback(True)
