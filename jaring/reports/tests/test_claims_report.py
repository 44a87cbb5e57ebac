"""The claims report (issue 11, point 8): figures counted by hand, area scoping per role, money only
for roles that read money, no poverty data for BPJSTK's liaison, the page, the XLSX, the API and the
CLI, and hostile inputs.

The city (all in 2026; the report runs January to December):

| claim | person (kelurahan)  | payer     | type | event  | what happened                                   |
|-------|---------------------|-----------|------|--------|-------------------------------------------------|
| c1    | P1 (Remu)           | APBD-KOTA | jkm  | 10 Aug | submitted 13 Aug, paid Rp42.000.000 on 20 Aug   |
| c2    | P2 (Remu)           | MANDIRI   | jkk  | 20 Jun | submitted 23 Jun, rejected                      |
| c3    | P3 (Remu)           | —         | jkm  | 5 Sep  | reported; not a member, so not protected        |
| c4    | P4 (Klawasi)        | MANDIRI   | jkk  | 3 Mar  | reported, right lapsed                          |

P1, P2 and P4 are members since January; January to July are billed and paid (the city's by
invoice on the 10th, the self-payers on each due date, the 15th): the city pays Rp16.800 a month,
a self-payer Rp8.400 (the self-payers' discount), so Rp33.600 a month and Rp235.200 in all.
P1's household is of decile 1 and receives PKH (the poverty data the liaison must not see).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from conftest import KLAWASI, PASSWORD
from jaring.claims.figures import claims_report, claims_summary
from jaring.claims.models import Claim
from jaring.core.errors import PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)
JAN, DEC = dt.date(2026, 1, 1), dt.date(2026, 12, 1)
YEAR = {"dari": "2026-01", "sampai": "2026-12"}
BENEFIT = 42_000_000
CITY_DUE, SELF_DUE = 16_800, 8_400
CITY_PAID, SELF_PAID = 7 * CITY_DUE, 14 * SELF_DUE
ALL_PAID = CITY_PAID + SELF_PAID  # 235.200
POVERTY_WORDS = ("desil", "decile", "PKH", "kesejahteraan", "welfare", "miskin")


@pytest.fixture
def city(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Any]:
    from jaring.claims.services import (
        claim_document_received,
        claim_open,
        claim_reject,
        claim_settle,
        claim_submit,
        claims_lapse,
    )
    from jaring.contributions.models import Due
    from jaring.contributions.services import billing_run, invoice_pay, payment_record
    from jaring.membership.services import membership_enrol
    from jaring.registry.services import HouseholdInput, household_create
    from jaring.registry.testing import make_kk

    operator = personas["operator_sorong"]
    kk = make_kk(issued=dt.date(2015, 5, 2), serial=41)
    household_create(actor=operator, data=HouseholdInput.of(
        kk_number=kk, kelurahan="96.71.01.1004", welfare_decile=1, decile_source="P3KE",
        decile_date=dt.date(2024, 1, 1), pkh_beneficiary=True))
    people = {
        "P1": register_person(full_name="Yakobus Satu", birth_date=dt.date(1980, 2, 1), kk_number=kk),
        "P2": register_person(full_name="Markus Dua", birth_date=dt.date(1981, 3, 2)),
        "P3": register_person(full_name="Lukas Tiga", birth_date=dt.date(1982, 4, 3)),
        "P4": register_person(full_name="Yohanes Empat", birth_date=dt.date(1983, 5, 4), kelurahan=KLAWASI),
    }
    memberships = {key: membership_enrol(actor=operator, person=people[key], payer=payers[payer], programs="JKK,JKM",
                                         declared_income_idr=1_000_000, start_date=JAN, kpj=f"2604000000{i}")
                   for i, (key, payer) in enumerate((("P1", "city"), ("P2", "self"), ("P4", "self")), start=1)}
    for month in range(1, 8):
        period = dt.date(2026, month, 1)
        billing_run(actor=operator, period=period)
        invoice_pay(actor=operator, payer=payers["city"], period=period, paid_on=period.replace(day=10),
                    reference=f"SP2D-{month}")
    for key in ("P2", "P4"):
        for due in Due.objects.filter(membership=memberships[key]).order_by("period"):
            payment_record(actor=operator, membership=memberships[key], amount_idr=due.amount_idr,
                           paid_on=due.due_date)

    def complete(claim: Claim, day: dt.date) -> Claim:
        for document in claim.documents.filter(required=True):
            claim = claim_document_received(actor=operator, claim=claim, code=document.code, received_on=day,
                                            today=TODAY)
        return claim

    c1 = claim_open(actor=operator, person=people["P1"], type="jkm", event_date=dt.date(2026, 8, 10), today=TODAY)
    c1 = claim_submit(actor=operator, claim=complete(c1, dt.date(2026, 8, 12)), bpjstk_number="JKM-2026-1",
                      submitted_on=dt.date(2026, 8, 13))
    c1 = claim_settle(actor=operator, claim=c1, paid_idr=BENEFIT, paid_on=dt.date(2026, 8, 20))
    c2 = claim_open(actor=operator, person=people["P2"], type="jkk", event_date=dt.date(2026, 6, 20), today=TODAY)
    c2 = claim_submit(actor=operator, claim=complete(c2, dt.date(2026, 6, 22)), bpjstk_number="JKK-2026-2",
                      submitted_on=dt.date(2026, 6, 23))
    c2 = claim_reject(actor=operator, claim=c2, reason="Bukan kecelakaan kerja")
    c3 = claim_open(actor=operator, person=people["P3"], type="jkm", event_date=dt.date(2026, 9, 5), today=TODAY)
    c4 = claim_open(actor=operator, person=people["P4"], type="jkk", event_date=dt.date(2026, 3, 3), today=TODAY)
    assert claims_lapse(actor=personas["facilitator_klawasi"], today=dt.date(2032, 1, 1)) == [c4.pk]
    assert [c.protected_on_event_date for c in (c1, c2, c3, c4)] == [True, True, False, True]
    dues = Due.objects.filter(membership__in=memberships.values(), status="paid")
    assert sorted({(d.payer.code, d.amount_idr) for d in dues}) == [("APBD-KOTA", CITY_DUE), ("MANDIRI", SELF_DUE)]
    assert dues.count() == 21
    return {"people": people, "claims": {"c1": c1, "c2": c2, "c3": c3, "c4": c4}}


def login(client: Any, personas: dict[str, Any], username: str) -> None:
    assert client.login(username=username, password=PASSWORD)


def counts(row: Any) -> tuple[int, ...]:
    return (row.reported, row.open, row.paid, row.rejected, row.lapsed, row.unprotected, row.settled)


# --- Figures counted by hand ----------------------------------------------------------------------------

def test_the_city_figures_match_the_hand_count(personas, city):
    report = claims_report(actor=personas["admin_sorong"], date_from=JAN, date_to=DEC)
    assert report.money
    totals = report.totals
    assert counts(totals) == (4, 1, 1, 1, 1, 1, 1)
    assert (totals.benefits_idr, totals.contributions_idr) == (BENEFIT, ALL_PAID)
    for summary in report.groups.values():  # every grouping splits the same claims
        assert counts(summary.totals) == counts(totals)
        assert summary.totals.benefits_idr == BENEFIT and summary.totals.contributions_idr == ALL_PAID

    by_type = {r.key: r for r in report.groups["type"].rows}
    assert list(by_type) == ["jkk", "jkm", "scholarship"]
    assert counts(by_type["jkk"]) == (2, 0, 0, 1, 1, 0, 0) and counts(by_type["jkm"]) == (2, 1, 1, 0, 0, 1, 1)
    assert by_type["jkm"].benefits_idr == BENEFIT and by_type["jkk"].contributions_idr is None

    by_month = {r.key: r for r in report.groups["month"].rows}
    assert len(by_month) == 12
    assert {k: r.reported for k, r in by_month.items() if r.reported} == {
        "2026-03": 1, "2026-06": 1, "2026-08": 1, "2026-09": 1}
    assert (by_month["2026-08"].settled, by_month["2026-08"].benefits_idr) == (1, BENEFIT)
    assert [by_month[f"2026-{m:02d}"].contributions_idr for m in range(1, 9)] == [33_600] * 7 + [0]

    by_distrik = {r.key: r for r in report.groups["distrik"].rows}
    assert (by_distrik["96.71.01"].reported, by_distrik["96.71.03"].reported) == (3, 1)
    assert by_distrik["96.71.01"].contributions_idr == 176_400 and by_distrik["96.71.03"].contributions_idr == 58_800
    assert sum(r.reported for r in by_distrik.values()) == 4 and len(by_distrik) >= 2  # every distrik, zeros too

    by_payer = {r.key: r for r in report.groups["payer"].rows}
    assert list(by_payer) == ["APBD-KOTA", "MANDIRI", "none"]
    assert counts(by_payer["APBD-KOTA"]) == (1, 0, 1, 0, 0, 0, 1)
    assert (by_payer["APBD-KOTA"].benefits_idr, by_payer["APBD-KOTA"].contributions_idr) == (BENEFIT, CITY_PAID)
    assert counts(by_payer["MANDIRI"]) == (2, 0, 0, 1, 1, 0, 0) and by_payer["MANDIRI"].contributions_idr == SELF_PAID
    assert counts(by_payer["none"]) == (1, 1, 0, 0, 0, 1, 0) and by_payer["none"].contributions_idr == 0
    assert [p.key for p in report.payers] == ["APBD-KOTA", "MANDIRI"]


def test_filters_narrow_every_figure(personas, city):
    admin = personas["admin_sorong"]
    remu = claims_summary(actor=admin, group_by="payer", date_from=JAN, date_to=DEC, distrik="96.71.01")
    assert counts(remu.totals) == (3, 1, 1, 1, 0, 1, 1) and remu.totals.contributions_idr == 176_400
    jkm = claims_summary(actor=admin, group_by="type", date_from=JAN, date_to=DEC, type="jkm")
    assert [r.key for r in jkm.rows] == ["jkm"] and counts(jkm.totals) == (2, 1, 1, 0, 0, 1, 1)
    assert jkm.totals.contributions_idr == ALL_PAID  # contributions do not split by claim type
    none = claims_summary(actor=admin, group_by="payer", date_from=JAN, date_to=DEC, payer="none")
    assert [r.key for r in none.rows] == ["none"] and counts(none.totals) == (1, 1, 0, 0, 0, 1, 0)
    assert none.totals.contributions_idr == 0
    city_payer = claims_summary(actor=admin, group_by="month", date_from=JAN, date_to=DEC, payer="APBD-KOTA")
    assert counts(city_payer.totals) == (1, 0, 1, 0, 0, 0, 1) and city_payer.totals.contributions_idr == CITY_PAID
    # A period before the events: nothing reported, nothing paid; benefits count in the month paid.
    spring = claims_summary(actor=admin, group_by="month", date_from=JAN, date_to=dt.date(2026, 2, 1))
    assert counts(spring.totals) == (0,) * 7 and spring.totals.contributions_idr == 2 * 33_600
    august = claims_summary(actor=admin, group_by="type", date_from=dt.date(2026, 8, 1), date_to=dt.date(2026, 8, 1))
    assert (august.totals.reported, august.totals.settled, august.totals.benefits_idr) == (1, 1, BENEFIT)


# --- Roles and areas ----------------------------------------------------------------------------------------

def test_a_facilitator_sees_only_their_area_and_no_money(personas, city):
    remu = claims_report(actor=personas["facilitator_remu"], date_from=JAN, date_to=DEC)
    assert not remu.money and remu.payers == []
    for summary in remu.groups.values():
        assert counts(summary.totals) == (3, 1, 1, 1, 0, 1, 1)
        data = summary.as_dict()
        assert "benefits_idr" not in data["totals"] and "contributions_idr" not in data["totals"]
        assert all("benefits_idr" not in row for row in data["rows"])
    assert [r.key for r in remu.groups["distrik"].rows] == ["96.71.01"]
    assert [r.key for r in remu.groups["payer"].rows] == ["APBD-KOTA", "MANDIRI", "none"]
    klawasi = claims_report(actor=personas["facilitator_klawasi"], date_from=JAN, date_to=DEC)
    assert counts(klawasi.totals) == (1, 0, 0, 0, 1, 0, 0)
    assert [r.key for r in klawasi.groups["distrik"].rows] == ["96.71.03"]
    # "Not a member" is always listed (zero here): the claims that no payer covers are never out of sight.
    assert [(r.key, r.reported) for r in klawasi.groups["payer"].rows] == [("MANDIRI", 1), ("none", 0)]


def test_the_liaison_and_the_auditor_read_with_money(personas, city):
    for username in ("liaison", "auditor", "operator_sorong"):
        report = claims_report(actor=personas[username], date_from=JAN, date_to=DEC)
        assert report.money and counts(report.totals) == (4, 1, 1, 1, 1, 1, 1)
        assert report.totals.benefits_idr == BENEFIT


def test_a_user_without_claims_read_is_refused(personas, city):
    from jaring.accounts.services import user_create

    # No role lacks claims.read today; a deactivated user stands for one.
    user = user_create(actor=None, username="mantan", name="Mantan", role="operator", password=PASSWORD,
                       areas=["96.71"])
    user.is_active = False
    with pytest.raises(PermissionDenied):
        claims_summary(actor=user, group_by="month", date_from=JAN, date_to=DEC)


@pytest.mark.parametrize("username", ["admin_sorong", "operator_sorong", "facilitator_remu", "liaison", "auditor"])
def test_the_page_for_every_role(client, personas, city, username, django_assert_max_num_queries):
    login(client, personas, username)
    # Session, user, 2FA device, scope (areas, whole-region check), distrik and payer choices, then per
    # grouping its reported, settled and paid-dues GROUP BYs and its labels: 21, whatever the data.
    with django_assert_max_num_queries(22):
        response = client.get(reverse("reports:claims"), YEAR)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("month", "distrik", "type", "payer"):
        assert f'id="table-claims-{name}"' in html and f'id="chart-claims-{name}"' in html
    assert 'id="card-reported"' in html
    money = username != "facilitator_remu"
    assert ('id="card-benefits"' in html) == money and ("Rp42.000.000" in html) == money
    if money:
        assert "APBD Kota Sorong membayar iuran Rp" in html and "menerima manfaat Rp42.000.000" in html
        assert "Sorong Barat" in html
    else:
        assert "Klawasi" not in html and "Sorong Barat" not in html and "Rp" not in html
        assert '<tr data-key="total"><th scope="row">Jumlah</th><td class="num">3</td>' in html
    assert 'href="/laporan/klaim/"' in html and 'aria-current="page">Laporan klaim' in html  # the nav item
    assert len(response.content) < 150_000


def test_the_page_query_count_does_not_grow_with_claims(client, personas, city, register_person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jaring.claims.services import claim_open

    login(client, personas, "admin_sorong")
    client.get(reverse("reports:claims"), YEAR)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("reports:claims"), YEAR)
    for i in range(4):
        person = register_person(full_name=f"Tambahan {i}", birth_date=dt.date(1990, 1, i + 1),
                                 kelurahan="96.71.05.1001" if i % 2 else KLAWASI)
        claim_open(actor=personas["operator_sorong"], person=person, type="jkk", event_date=dt.date(2026, 10, i + 1),
                   today=TODAY)
    with CaptureQueriesContext(connection) as after:
        response = client.get(reverse("reports:claims"), YEAR)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert '<tr data-key="total"><th scope="row">Jumlah</th><td class="num">8</td>' in response.content.decode()


def test_the_liaison_sees_claims_but_no_poverty_data(client, personas, city):
    person = city["people"]["P1"]
    claim = city["claims"]["c1"]
    pages = [reverse("reports:claims") + "?dari=2026-01&sampai=2026-12", reverse("claims:claim_list"),
             reverse("claims:claim_detail", args=[claim.pk]), person.get_absolute_url()]
    # The operator's person page shows the household's decile and PKH: the check below can fail.
    login(client, personas, "operator_sorong")
    control = " ".join(strip_tags(client.get(person.get_absolute_url()).content.decode()).split())
    assert "desil 1" in control and "PKH" in control  # "desil" is a glossary link
    login(client, personas, "liaison")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        lowered = html.lower()
        assert not [w for w in POVERTY_WORDS if w.lower() in lowered], url
    detail = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "Yakobus Satu" in detail and "Rp42.000.000" in detail
    assert "Yakobus Satu" in client.get(person.get_absolute_url()).content.decode()  # its claims panel too


def test_the_dashboard_links_to_the_claims_report(client, personas, city):
    login(client, personas, "liaison")
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="claims-report-link"' in html and 'href="/laporan/klaim/"' in html


def test_an_auditors_read_is_logged(client, personas, city):
    login(client, personas, "auditor")
    assert client.get(reverse("reports:claims"), YEAR).status_code == 200
    event = AuditEvent.objects.get(action="claims_report.view", actor=personas["auditor"])
    assert event.object_id == "2026-01..2026-12"
    login(client, personas, "admin_sorong")
    client.get(reverse("reports:claims"), YEAR)
    assert AuditEvent.objects.filter(action="claims_report.view").count() == 1


# --- The workbook ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin_sorong", "facilitator_remu", "auditor"])
def test_the_xlsx_export_opens_and_is_audited(client, personas, city, username):
    from openpyxl import load_workbook

    login(client, personas, username)
    response = client.get(reverse("reports:claims_xlsx"), {**YEAR, "jenis": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="laporan-klaim-2026-01-2026-12-')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Ringkasan", "Per bulan", "Per distrik", "Per jenis klaim", "Per pembayar"]
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True) if row}
    by_type = {row[0]: row[1:] for row in book["Per jenis klaim"].iter_rows(min_row=2, values_only=True)}
    header = next(book["Per pembayar"].iter_rows(max_row=1, values_only=True))
    if username == "facilitator_remu":
        assert summary["Klaim dilaporkan (bulan kejadian)"] == 3 and "Manfaat dibayar dalam periode (Rp)" not in summary
        assert "Manfaat dibayar (Rp)" not in header
        assert by_type["Jumlah"] == (3, 1, 1, 1, 0, 1, 1)
    else:
        assert summary["Klaim dilaporkan (bulan kejadian)"] == 4
        assert summary["Manfaat dibayar dalam periode (Rp)"] == BENEFIT
        assert summary["Iuran dibayar dalam periode (Rp)"] == ALL_PAID
        assert by_type["Jumlah"] == (4, 1, 1, 1, 1, 1, 1, BENEFIT, ALL_PAID)
        assert by_type["JKK — kecelakaan kerja atau penyakit akibat kerja"][-1] is None
    event = AuditEvent.objects.get(action="reports.export", object_type="reports.claims")
    assert event.actor == personas[username] and event.after["money"] == (username != "facilitator_remu")
    assert event.object_id == "2026-01..2026-12"


def test_a_refused_export_says_why_on_the_page(client, personas, city):
    login(client, personas, "facilitator_remu")
    response = client.get(reverse("reports:claims_xlsx"), {**YEAR, "distrik": "96.71.03"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:claims")
    assert "Distrik 96.71.03 tidak ada di wilayah Anda." in response.content.decode()
    assert not AuditEvent.objects.filter(action="reports.export").exists()


# --- The API and the CLI --------------------------------------------------------------------------------------

def test_the_api_is_scoped_like_the_page(api_client_for, city):
    admin = api_client_for("admin_sorong").get("/api/v1/reports/claims/", {"group_by": "payer", "from": "2026-01",
                                                                            "to": "2026-12"})
    assert admin.status_code == 200
    data = admin.json()
    assert (data["group_by"], data["from"], data["to"], data["money"]) == ("payer", "2026-01", "2026-12", True)
    assert data["totals"]["reported"] == 4 and data["totals"]["benefits_idr"] == BENEFIT
    assert {r["key"]: r["contributions_idr"] for r in data["rows"]} == {
        "APBD-KOTA": CITY_PAID, "MANDIRI": SELF_PAID, "none": 0}
    remu = api_client_for("facilitator_remu").get("/api/v1/reports/claims/", {"group_by": "distrik",
                                                                               "from": "2026-01", "to": "2026-12"})
    body = remu.json()
    assert body["money"] is False and "benefits_idr" not in body["totals"]
    assert [(r["key"], r["reported"], r["paid"], r["rejected"]) for r in body["rows"]] == [("96.71.01", 3, 1, 1)]
    assert api_client_for("auditor").get("/api/v1/reports/claims/").status_code == 200  # this year by default


@pytest.mark.parametrize(("params", "field"), [
    ({"group_by": "kelurahan"}, "group_by"),
    ({"from": "2026-13"}, "from"),
    ({"from": "kemarin"}, "from"),
    ({"from": "2026-12", "to": "2026-01"}, "to"),
    ({"from": "1900-01", "to": "2200-12"}, "to"),
    ({"from": "2026-01", "to": "2026-12", "distrik": "96.71.03"}, "distrik"),
    ({"distrik": "96.71"}, "distrik"),
    ({"distrik": "'; DROP TABLE"}, "distrik"),
    ({"type": "jht"}, "type"),
    ({"payer": "TIDAK-ADA"}, "payer"),
])
def test_the_api_refuses_hostile_inputs_clearly(api_client_for, city, params, field):
    response = api_client_for("facilitator_remu").get("/api/v1/reports/claims/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == [field] and error["message"]


def test_the_cli_prints_the_figures(capsys, personas, city):
    code, out, err = jaring(capsys, "reports", "claims", "--group-by", "month", "--from", "2026-01", "--to",
                            "2026-12", "--json")
    assert code == 0, err
    import json

    data = json.loads(out)
    assert data["totals"]["reported"] == 4 and data["totals"]["benefits_idr"] == BENEFIT
    assert len(data["rows"]) == 12
    code, out, err = jaring(capsys, "reports", "claims", "--group-by", "type", "--from", "2026-01", "--to", "2026-12",
                            "--as", "facilitator_remu")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split("\t") == ["type", "reported", "open", "paid", "rejected", "lapsed", "unprotected",
                                    "settled"]
    assert lines[-1].split("\t") == ["Jumlah", "3", "1", "1", "1", "0", "1", "1"]
    code, out, err = jaring(capsys, "reports", "claims", "--group-by", "kelurahan")
    assert code == 2 and "group_by" in err
    code, out, err = jaring(capsys, "reports", "claims", "--from", "2026-1x")
    assert code == 2 and "--from" in err
    code, out, err = jaring(capsys, "reports", "claims", "--from", "2000-01", "--to", "2026-12", "--json")
    assert code == 2 and '"code": "invalid"' in out


# --- Hostile inputs on the page -----------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "message"), [
    ({"dari": "2026-13"}, "Parameter dari harus bulan berbentuk TTTT-BB."),
    ({"dari": "2026-12", "sampai": "2026-01"}, "Bulan akhir (2026-01) sebelum bulan awal (2026-12)."),
    ({"dari": "1900-01", "sampai": "2200-12"}, "Rentang paling panjang 120 bulan; yang diminta 3612 bulan."),
    ({"distrik": "96.71.03"}, "Distrik 96.71.03 tidak ada di wilayah Anda."),
    ({"distrik": "<script>"}, "Kode distrik tidak sah."),
    ({"jenis": "jht"}, "Jenis klaim tidak dikenal; pilihan: jkk, jkm, scholarship"),
    ({"pembayar": "TIDAK-ADA"}, "Pembayar TIDAK-ADA tidak dikenal."),
    ({"tahun": "³"}, "Parameter tahun harus bilangan bulat (angka 0–9)."),
])
def test_the_page_refuses_hostile_inputs_with_a_message(client, personas, city, params, message):
    login(client, personas, "facilitator_remu")
    response = client.get(reverse("reports:claims"), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="claims-error"' in html and message in html
    assert 'id="claims-cards"' not in html and 'id="claims-filters"' in html
    assert "<script>" not in html.split('id="claims-error"')[1].split("</div>")[0]


def test_a_year_picks_its_twelve_months(client, personas, city):
    login(client, personas, "admin_sorong")
    html = client.get(reverse("reports:claims"), {"tahun": "2026"}).content.decode()
    assert '<tr data-key="2026-12">' in html and '<tr data-key="2027-01">' not in html
    with pytest.raises(ValidationFailed):
        claims_summary(actor=personas["admin_sorong"], group_by="month", date_from=DEC, date_to=JAN)


def test_the_page_has_no_inline_code_for_the_csp(client, personas, city):
    from tests.security.test_web_hardening import inline_code

    for username in ("admin_sorong", "facilitator_remu"):
        login(client, personas, username)
        for params in (YEAR, {"dari": "2026-13"}):
            response = client.get(reverse("reports:claims"), params)
            assert "Content-Security-Policy" in response and inline_code(response.content.decode()) == []
