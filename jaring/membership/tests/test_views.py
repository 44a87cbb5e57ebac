import datetime as dt

import pytest
from django.urls import reverse

from jaring.contributions.services import billing_run, payment_record
from jaring.membership.services import membership_enrol, payer_create


@pytest.fixture
def member(personas, register_person):  # type: ignore[no-untyped-def]
    operator = personas["operator_sorong"]
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    person = register_person(occupation="market_trader")
    today = dt.date.today()
    start = dt.date(today.year - 1, today.month, 1)
    membership = membership_enrol(actor=operator, person=person, payer=payer, programs="JKK,JKM",
                                  declared_income_idr=1_000_000, start_date=start, kpj="26010000001")
    period = start
    for _ in range(3):
        billing_run(actor=operator, period=period)
        due = membership.dues.get(period=period)
        payment_record(actor=operator, membership=membership, amount_idr=due.amount_idr,
                       paid_on=due.due_date, reference=f"R{period:%Y%m}")
        period = dt.date(period.year + (period.month == 12), period.month % 12 + 1, 1)
    billing_run(actor=operator, period=period)
    return person


def test_person_page_shows_membership_and_strip(client, personas, member, django_assert_max_num_queries):
    client.force_login(personas["facilitator_remu"])
    with django_assert_max_num_queries(15):
        html = client.get(reverse("registry:person_detail", args=[member.pk])).content.decode()
    assert "Kepesertaan BPJS Ketenagakerjaan" in html
    strip = html.split('class="strip"')[1].split('class="legend"')[0]
    assert strip.count('class="cell s-paid_on_time') == 3
    assert strip.count('class="cell s-unpaid') == 1
    assert "KPJ" in html and "26010000001" in html


def test_person_without_membership(client, personas, register_person):
    person = register_person()
    client.force_login(personas["operator_sorong"])
    assert "Belum pernah terdaftar" in client.get(reverse("registry:person_detail", args=[person.pk])).content.decode()


def test_payment_entry_at_risk_and_payer_pages(client, personas, member):
    from jaring.contributions.models import Payment

    client.force_login(personas["facilitator_remu"])
    risk = client.get("/risiko/").content.decode()
    assert member.full_name in risk  # one month past due
    form = client.get(f"/orang/{member.pk}/bayar/")
    assert form.status_code == 200
    response = client.post(f"/orang/{member.pk}/bayar/", {"amount_idr": "0", "paid_on": "2026-01-01",
                                                          "channel": "retail"})
    assert response.status_code == 200 and response.context["form"].errors["amount_idr"]
    due = member.memberships.get().dues.filter(status="open").get()
    response = client.post(f"/orang/{member.pk}/bayar/", {"amount_idr": str(due.amount_idr),
                                                          "paid_on": due.due_date.isoformat(), "channel": "retail",
                                                          "reference": "ALFA-1", "confirm": "1"})
    assert response.status_code == 302 and Payment.objects.filter(reference="ALFA-1").exists()
    assert member.full_name not in client.get("/risiko/").content.decode()
    assert client.get("/wadah/").status_code == 403  # facilitators do not see the payers' books
    client.force_login(personas["admin_sorong"])
    assert "Mandiri" in client.get("/wadah/").content.decode()
    assert member.full_name in client.get("/wadah/MANDIRI/").content.decode()
    client.force_login(personas["facilitator_klawasi"])
    assert client.get(f"/orang/{member.pk}/bayar/").status_code == 404
    assert member.full_name not in client.get("/risiko/").content.decode()
