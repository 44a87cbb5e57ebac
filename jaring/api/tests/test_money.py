import datetime as dt

from django.utils import timezone

from conftest import KLAWASI, REMU
from jaring.contributions.models import Payment
from jaring.contributions.services import billing_run
from jaring.membership.services import payer_create


def test_enrol_bill_pay_and_read_coverage(api_for, personas, register_person):
    admin = api_for("admin_sorong")
    assert admin.post("/api/v1/payers/", {"code": "MANDIRI", "name": "Mandiri", "kind": "self"},
                      format="json").status_code == 201
    person = register_person(occupation="market_trader", kelurahan=REMU)
    facilitator = api_for("facilitator_remu")
    enrolled = facilitator.post("/api/v1/memberships/", {
        "nik": person.nik, "payer": "MANDIRI", "programs": ["JKK", "JKM"], "declared_income_idr": 1000000,
        "start_date": "2026-03-01", "kpj": "26030000001"}, format="json")
    assert enrolled.status_code == 201, enrolled.content
    membership_id = enrolled.json()["id"]
    billing_run(actor=personas["operator_sorong"], period=dt.date(2026, 3, 1))
    body = {"membership": membership_id, "amount_idr": 16800, "paid_on": "2026-03-10", "reference": "BNI-1"}
    first = facilitator.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = facilitator.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["paid_periods"] == ["2026-03"]
    assert Payment.objects.count() == 1
    detail = facilitator.get(f"/api/v1/memberships/{membership_id}/").json()
    assert detail["months"][0]["status"] == "paid" and detail["status"] == "active"
    coverage = facilitator.get(f"/api/v1/persons/{person.pk}/coverage/", {"months": "12"}).json()
    assert len(coverage) == 12
    # Another area sees none of it.
    other = api_for("facilitator_klawasi")
    assert other.get(f"/api/v1/memberships/{membership_id}/").status_code == 404
    assert other.get(f"/api/v1/persons/{person.pk}/coverage/").status_code == 404
    assert other.post("/api/v1/payments/", {**body, "reference": "X"}, format="json").status_code == 404


def test_payment_refusals(api_for, personas, register_person):
    payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self")
    person = register_person(kelurahan=KLAWASI)
    client = api_for("operator_sorong")
    enrolled = client.post("/api/v1/memberships/", {"person": person.pk, "payer": "MANDIRI",
                                                    "declared_income_idr": 1000000,
                                                    "start_date": timezone.localdate().isoformat()},
                           format="json").json()
    zero = client.post("/api/v1/payments/", {"membership": enrolled["id"], "amount_idr": 0,
                                             "paid_on": "2026-03-10"}, format="json")
    assert zero.status_code == 400 and "amount_idr" in zero.json()["error"]["fields"]
    draft = client.post("/api/v1/payments/", {"membership": enrolled["id"], "amount_idr": 16800,
                                              "paid_on": "2026-03-10"}, format="json")
    assert draft.status_code == 409 and draft.json()["error"]["code"] == "not_active"
    assert api_for("liaison").post("/api/v1/payers/", {"code": "X", "name": "X", "kind": "csr"},
                                   format="json").status_code == 403


def test_invoice_pay_api(api_for, personas, register_person):
    payer_create(actor=personas["admin_sorong"], code="APBD-KOTA", name="APBD Kota", kind="government_city")
    client = api_for("operator_sorong")
    for i in range(2):
        person = register_person(full_name=f"P{i}", birth_date=dt.date(1980, 2, 1 + i))
        assert client.post("/api/v1/memberships/", {"person": person.pk, "payer": "APBD-KOTA",
                                                    "declared_income_idr": 1000000, "start_date": "2026-01-01",
                                                    "kpj": f"2601000000{i}"}, format="json").status_code == 201
    billing_run(actor=personas["operator_sorong"], period=dt.date(2026, 1, 1))
    paid = client.post("/api/v1/invoices/pay/", {"payer": "APBD-KOTA", "period": "2026-01", "paid_on": "2026-01-20",
                                                 "reference": "SP2D-1"}, format="json")
    assert paid.status_code == 200 and paid.json()["total_idr"] == 33600 and paid.json()["status"] == "paid"
    assert client.get("/api/v1/invoices/", {"payer": "APBD-KOTA"}).json()["results"][0]["member_count"] == 2
    assert len(client.get("/api/v1/dues/", {"period": "2026-01"}).json()["results"]) == 2
    bad = client.get("/api/v1/dues/", {"period": "Januari"})
    assert bad.status_code == 400
