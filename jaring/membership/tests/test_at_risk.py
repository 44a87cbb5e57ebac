"""The at-risk list (issue 10 §7): who pays shown, self-payers apart from a government's arrears,
first to lapse first, paged and filtered instead of cut."""

import datetime as dt

import pytest

from jaring.contributions.selectors import AtRiskFilter, at_risk
from jaring.contributions.services import billing_run
from jaring.core.money import add_months, month_start
from jaring.membership.services import membership_enrol, payer_create

KLAWASI = "96.71.01.1001"  # outside facilitator_remu's area


@pytest.fixture
def behind(personas, register_person):  # type: ignore[no-untyped-def]
    """Three members with the last two months unpaid: a self-payer, a city-paid one, a self-payer in
    another kelurahan; one self-payer one month behind."""
    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    own = payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self")
    city = payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                        region_code="96.71")
    today = dt.date.today()
    running = month_start(today)
    people = {}
    for key, payer, kelurahan, first in (("self", own, None, -2), ("city", city, None, -2),
                                         ("far", own, KLAWASI, -2), ("one", own, None, -1)):
        extra = {"kelurahan": kelurahan} if kelurahan else {}
        person = register_person(full_name=f"Peserta {key}", **extra)
        membership_enrol(actor=operator, person=person, payer=payer, programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=add_months(running, first),
                         kpj=f"2612{len(people):07d}")
        people[key] = person
    for back in (-2, -1):
        billing_run(actor=operator, period=add_months(running, back))
    return people


def test_the_list_names_the_payer_and_separates_government_arrears(client, personas, behind):
    operator = personas["operator_sorong"]
    everyone = {r.full_name: r for r in at_risk(actor=operator)}
    assert {"Peserta self", "Peserta city", "Peserta far", "Peserta one"} <= set(everyone)
    assert everyone["Peserta city"].payer == "APBD Kota Sorong" and not everyone["Peserta city"].payer_is_self
    assert everyone["Peserta self"].payer_is_self
    assert [r.full_name for r in at_risk(actor=operator, where=AtRiskFilter(months=1))] == ["Peserta one"]
    assert {r.full_name for r in at_risk(actor=operator, where=AtRiskFilter(payer_group="collective"))} == {
        "Peserta city"}
    assert "Peserta far" not in {r.full_name for r in at_risk(actor=operator, where=AtRiskFilter(
        region_code="96.71.01.1002"))}
    # First to lapse first: the two-months-behind lapse before the one-month-behind.
    ordered = [r.full_name for r in at_risk(actor=operator)]
    assert ordered.index("Peserta one") > ordered.index("Peserta self")

    client.force_login(personas["facilitator_remu"])
    page = client.get("/risiko/").content.decode()
    assert "Peserta self" in page and "Peserta one" in page
    assert "Peserta city" not in page  # a government's arrears are not the facilitator's visit
    assert "Peserta far" not in page  # another area
    assert "Dibayar pemerintah/lembaga (1)" in page
    collective = client.get("/risiko/", {"kelompok": "collective"}).content.decode()
    assert "Peserta city" in collective and "APBD Kota Sorong" in collective and "Peserta self" not in collective
    one = client.get("/risiko/", {"bulan": "1"}).content.decode()
    assert "Peserta one" in one and "Peserta self" not in one
    assert client.get("/risiko/", {"kelompok": "semua"}).status_code == 400
    assert client.get("/risiko/", {"bulan": "x"}).status_code == 400
    # A kelurahan outside the area is ignored, never a way to see it.
    assert "Peserta far" not in client.get("/risiko/", {"kelurahan": KLAWASI}).content.decode()


def test_the_list_pages_instead_of_cutting(client, personas, register_person):
    operator = personas["operator_sorong"]
    own = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    running = month_start(dt.date.today())
    for i in range(55):
        person = register_person(full_name=f"Orang {i:02d}")
        membership_enrol(actor=operator, person=person, payer=own, programs="JKK,JKM", declared_income_idr=1_000_000,
                         start_date=add_months(running, -1), kpj=f"2613{i:07d}")
    billing_run(actor=operator, period=add_months(running, -1))
    client.force_login(personas["operator_sorong"])
    first = client.get("/risiko/").content.decode()
    second = client.get("/risiko/", {"page": "2"}).content.decode()
    assert "dari 55" in first and "Orang" in second
    names = {f"Orang {i:02d}" for i in range(55)}
    assert {n for n in names if n in first} | {n for n in names if n in second} == names
