"""Claims (issue 11): coverage at the event date, deadlines, the checklist, the transitions, the
effects of a death's settlement, area scoping, and the CLI and API shapes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from jaring.claims.models import Claim, ClaimHeir
from jaring.claims.selectors import claim_deadlines_list, claim_get
from jaring.claims.services import (
    claim_document_received,
    claim_heir_add,
    claim_open,
    claim_outcome,
    claim_reject,
    claim_settle,
    claim_submit,
    claims_lapse,
)
from jaring.contributions.models import CreditEntry, Due
from jaring.contributions.services import billing_run, payment_record
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.membership.services import membership_end, membership_enrol
from jaring.rules import default_parameters
from jaring.rules.claims import add_working_days, claim_deadlines
from jaring.testing import run_jaring as jaring

pytestmark = pytest.mark.django_db
EVENT = dt.date(2026, 6, 20)
TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def member(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> Any:
    """Make a member of Remu active since January 2026 who paid ``paid`` months on their due dates."""
    operator = personas["operator_sorong"]
    serial = iter(range(1, 100))

    def make(paid: int, *, months: int = 11, name: str = "Yohanes Kalami") -> Membership:
        n = next(serial)
        person = register_person(full_name=name, birth_date=dt.date(1980, 2, n))
        membership = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                                      declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1),
                                      kpj=f"2604{n:07d}")
        for month in range(1, months + 1):
            billing_run(actor=operator, period=dt.date(2026, month, 1))
        for due in Due.objects.filter(membership=membership).order_by("period")[:paid]:
            payment_record(actor=operator, membership=membership, amount_idr=due.amount_idr, paid_on=due.due_date)
        return membership

    return make


def open_claim(personas: dict[str, Any], person: Any, type: str = "jkk", event_date: dt.date = EVENT,
               **kw: Any) -> Claim:
    return claim_open(actor=personas["operator_sorong"], person=person, type=type, event_date=event_date,
                      today=TODAY, **kw)


def complete(personas: dict[str, Any], claim: Claim, day: dt.date) -> Claim:
    for document in claim.documents.filter(required=True):
        claim = claim_document_received(actor=personas["operator_sorong"], claim=claim, code=document.code,
                                        received_on=day, today=TODAY)
    return claim


# --- Coverage at the event date ----------------------------------------------------------------------

def test_a_member_who_paid_is_protected_on_the_event_date(personas, member):
    membership = member(paid=11)
    claim = open_claim(personas, membership.person, chronology="Jatuh dari ojek di Jl. Basuki Rahmat")
    assert (claim.protected_on_event_date, claim.coverage_reason) == (True, "paid")
    assert claim.membership == membership
    assert claim.status == "reported" and claim.reported_by == "operator"
    assert AuditEvent.objects.filter(action="claim.open", object_id=str(claim.pk)).count() == 1


def test_a_member_in_arrears_is_recorded_unprotected(personas, member):
    membership = member(paid=3)  # January–March paid; April, May and June past due on 20 June
    claim = open_claim(personas, membership.person)
    assert (claim.protected_on_event_date, claim.coverage_reason) == (False, "in_arrears")
    assert "April 2026" in claim.coverage_text
    assert Claim.objects.filter(pk=claim.pk).exists()  # recorded all the same


def test_not_yet_a_member_and_ended(personas, member, register_person):
    stranger = register_person(full_name="Bukan Peserta", birth_date=dt.date(1990, 5, 5))
    claim = open_claim(personas, stranger, type="jkm")
    assert (claim.protected_on_event_date, claim.coverage_reason, claim.membership) == (False, "no_membership", None)
    assert claim.estimate_idr is None  # no income declared anywhere: no estimate
    membership = member(paid=4, months=5)
    membership_end(actor=personas["operator_sorong"], membership=membership, reason="withdrawn",
                   ended_on=dt.date(2026, 5, 31))
    claim = open_claim(personas, membership.person)
    assert (claim.protected_on_event_date, claim.coverage_reason, claim.membership) == (False, "ended", None)


def test_estimates_follow_the_rules_and_the_outcome(personas, member):
    membership = member(paid=11)
    death = open_claim(personas, membership.person, type="jkm", event_date=dt.date(2026, 8, 10))
    assert death.estimate_idr == 42_000_000  # lump sum + periodic + funeral (DOMAIN §2.2)
    accident = open_claim(personas, membership.person)
    assert accident.estimate_idr is None  # outcome not known yet
    accident = claim_outcome(actor=personas["operator_sorong"], claim=accident, outcome="total_disability",
                             outcome_date=dt.date(2026, 7, 1), today=TODAY)
    assert accident.estimate_idr == 56 * 1_000_000 + 12_000_000


def test_a_lapsed_right_and_a_future_event_are_refused(personas, member, capsys):
    person = member(paid=11).person
    today = timezone.localdate()
    old = today.replace(year=today.year - 5) - dt.timedelta(days=3)
    code, out, err = jaring(capsys, "claim", "open", "--nik", person.nik, "--type", "jkk",
                            "--event-date", old.isoformat(), "--json")
    assert code == 2 and "gugur" in err
    assert json.loads(out)["error"]["code"] == "lapsed"
    code, _out, err = jaring(capsys, "claim", "open", "--nik", person.nik, "--type", "jkk",
                             "--event-date", (today + dt.timedelta(days=1)).isoformat())
    assert code == 2
    assert not Claim.objects.exists()


# --- Deadlines ---------------------------------------------------------------------------------------

def test_deadlines_across_a_month_end_and_holidays(personas, member):
    from jaring.claims.selectors import deadlines_of

    person = member(paid=11).person
    claim = open_claim(personas, person, event_date=dt.date(2026, 5, 30))
    deadlines = deadlines_of(claim_get(actor=personas["operator_sorong"], claim_id=claim.pk))
    assert deadlines.stage1_report == dt.date(2026, 6, 1)  # 2 × 24 hours across the month end
    assert deadlines.lapses_on == dt.date(2031, 5, 30)
    assert deadlines == claim_deadlines("jkk", dt.date(2026, 5, 30))
    # Submitted the day before the cuti bersama of Idul Adha (28 May 2026): BPJSTK's 7 working days skip it.
    claim = complete(personas, open_claim(personas, person, event_date=dt.date(2026, 5, 22)), dt.date(2026, 5, 25))
    claim = claim_submit(actor=personas["operator_sorong"], claim=claim, bpjstk_number="JKK-2026-0001",
                         submitted_on=dt.date(2026, 5, 27))
    due = deadlines_of(claim).payment_due
    assert due == add_working_days(dt.date(2026, 5, 27), 7, default_parameters())
    assert due == claim_deadlines("jkk", claim.event_date, complete_on=dt.date(2026, 5, 27)).payment_due
    assert due > dt.date(2026, 5, 27) + dt.timedelta(days=8)  # a Sunday and the holiday do not count


def test_the_deadlines_list_puts_overdue_first(personas, member):
    person = member(paid=11).person
    late = open_claim(personas, person, event_date=dt.date(2026, 11, 20))  # stage I missed on 22 November
    fresh = open_claim(personas, person, type="jkm", event_date=dt.date(2026, 12, 6))
    rows = claim_deadlines_list(actor=personas["operator_sorong"], today=TODAY)
    assert [(r.claim.pk, r.kind, r.overdue) for r in rows] == [(late.pk, "stage1_report", True),
                                                                (fresh.pk, "stage1_report", False)]
    assert rows[1].date == dt.date(2026, 12, 8)
    assert claim_deadlines_list(actor=personas["facilitator_klawasi"], today=TODAY) == []


# --- Checklist and transitions -----------------------------------------------------------------------

def test_the_checklist_completes_the_status_and_the_transitions_keep_their_order(personas, member):
    operator = personas["operator_sorong"]
    claim = open_claim(personas, member(paid=11).person, type="jkm", event_date=dt.date(2026, 8, 10))
    codes = set(claim.documents.values_list("code", flat=True))
    assert {"akta_kematian", "surat_ahli_waris", "npwp"} <= codes
    assert not claim.documents.get(code="npwp").required
    with pytest.raises(Conflict):
        claim_submit(actor=operator, claim=claim, bpjstk_number="JKM-1")  # documents missing
    with pytest.raises(Conflict):
        claim_settle(actor=operator, claim=claim, paid_idr=1, paid_on=dt.date(2026, 9, 1))
    with pytest.raises(Conflict):
        claim_reject(actor=operator, claim=claim, reason="Tidak lengkap")
    with pytest.raises(ValidationFailed):
        claim_document_received(actor=operator, claim=claim, code="tidak_ada", received_on=dt.date(2026, 8, 12))
    claim = complete(personas, claim, dt.date(2026, 8, 12))
    assert claim.status == "documents_complete"  # the optional NPWP is not waited for
    claim = claim_submit(actor=operator, claim=claim, bpjstk_number="JKM-2026-77", submitted_on=dt.date(2026, 8, 13))
    assert (claim.status, claim.complete_on, claim.submitted_on) == ("submitted", dt.date(2026, 8, 13),
                                                                     dt.date(2026, 8, 13))
    with pytest.raises(Conflict):
        claim_document_received(actor=operator, claim=claim, code="npwp", received_on=dt.date(2026, 8, 14))
    claim = claim_reject(actor=operator, claim=claim, reason="Ahli waris belum jelas")
    assert (claim.status, claim.rejection_reason) == ("rejected", "Ahli waris belum jelas")
    with pytest.raises(Conflict):
        claim_settle(actor=operator, claim=claim, paid_idr=1, paid_on=dt.date(2026, 9, 1))


def test_heirs_are_ranked_and_their_nik_is_never_stored_in_clear(personas, member):
    from jaring.registry.testing import make_nik

    claim = open_claim(personas, member(paid=11).person, type="jkm", event_date=dt.date(2026, 8, 10))
    nik = make_nik(birth_date=dt.date(1984, 7, 1), sex="F", serial=901)
    operator = personas["operator_sorong"]
    claim_heir_add(actor=operator, claim=claim, name="Ayah Kalami", relationship="parent")
    spouse = claim_heir_add(actor=operator, claim=claim, name="Martha Kalami", relationship="spouse", nik=nik)
    assert [h.relationship for h in claim.heirs.all()] == ["spouse", "parent"]
    stored = ClaimHeir.objects.get(pk=spouse.pk)
    assert nik.encode() not in bytes(stored.nik_encrypted) and stored.nik_index and nik not in stored.nik_index
    with pytest.raises(ValidationFailed):
        claim_heir_add(actor=operator, claim=claim, name="X", relationship="child", nik="123")


def test_settling_a_death_ends_the_membership_and_refunds_the_months_after(personas, member):
    operator = personas["operator_sorong"]
    membership = member(paid=11)  # January–November paid
    claim = open_claim(personas, membership.person, type="jkm", event_date=dt.date(2026, 8, 10))
    claim = complete(personas, claim, dt.date(2026, 8, 12))
    claim = claim_submit(actor=operator, claim=claim, bpjstk_number="JKM-2026-78", submitted_on=dt.date(2026, 8, 13))
    with pytest.raises(ValidationFailed):  # the items must add up
        claim_settle(actor=operator, claim=claim, paid_idr=42_000_000, paid_on=dt.date(2026, 8, 20),
                     items=[{"code": "jkm_lump_sum", "amount_idr": 20_000_000}])
    claim = claim_settle(actor=operator, claim=claim, paid_idr=42_000_000, paid_on=dt.date(2026, 8, 20),
                         items=[{"code": "jkm_lump_sum", "amount_idr": 20_000_000},
                                {"code": "jkm_periodic", "amount_idr": 12_000_000},
                                {"code": "jkm_funeral", "amount_idr": 10_000_000}])
    assert (claim.status, claim.paid_idr, claim.payments.count()) == ("paid", 42_000_000, 3)
    membership.refresh_from_db()
    assert (membership.status, membership.end_reason, membership.ended_on) == ("ended", "death", dt.date(2026, 8, 10))
    refunded = CreditEntry.objects.filter(membership=membership, reason="refund")
    assert sorted(e.due.period.month for e in refunded) == [9, 10, 11]
    membership.person.refresh_from_db()
    assert membership.person.death_date == dt.date(2026, 8, 10)
    # Settling again with the same figures changes nothing.
    assert claim_settle(actor=operator, claim=claim, paid_idr=42_000_000, paid_on=dt.date(2026, 8, 20)).pk == claim.pk
    assert AuditEvent.objects.filter(action="claim.settle").count() == 1


def test_lapse_marks_only_open_claims_past_their_right(personas, member):
    operator = personas["operator_sorong"]
    claim = open_claim(personas, member(paid=11).person)
    assert claims_lapse(actor=operator, today=dt.date(2031, 6, 20)) == []  # the last day still counts
    assert claims_lapse(actor=operator, today=dt.date(2031, 6, 21)) == [claim.pk]
    assert Claim.objects.get(pk=claim.pk).status == "lapsed"
    assert claims_lapse(actor=operator, today=dt.date(2031, 6, 21)) == []


# --- Area scoping ------------------------------------------------------------------------------------

def test_a_facilitator_of_another_kelurahan_sees_and_touches_nothing(personas, member, api_client_for):
    person = member(paid=11).person
    remu = claim_open(actor=personas["facilitator_remu"], person=person, type="jkk", event_date=EVENT, today=TODAY)
    assert remu.reported_by == "facilitator"
    klawasi = personas["facilitator_klawasi"]
    with pytest.raises(NotFound):
        claim_get(actor=klawasi, claim_id=remu.pk)
    with pytest.raises(NotFound):
        claim_open(actor=klawasi, person=person, type="jkm", event_date=EVENT, today=TODAY)
    with pytest.raises(NotFound):
        claim_document_received(actor=klawasi, claim=remu, code="ktp", received_on=EVENT)
    api = api_client_for("facilitator_klawasi")
    assert api.get(f"/api/v1/claims/{remu.pk}/").status_code == 404
    assert api.post(f"/api/v1/claims/{remu.pk}/documents/", {"code": "ktp", "received_on": "2026-06-21"},
                    format="json").status_code == 404
    assert api.get("/api/v1/claims/").json()["results"] == []
    liaison = api_client_for("liaison")
    assert liaison.get(f"/api/v1/claims/{remu.pk}/").status_code == 200
    assert liaison.post("/api/v1/claims/", {"person": person.pk, "type": "jkm", "event_date": "2026-06-20"},
                        format="json").status_code == 403


# --- CLI and API -------------------------------------------------------------------------------------

def test_the_cli_from_opening_to_payment(personas, member, capsys):
    person = member(paid=11).person
    code, out, err = jaring(capsys, "claim", "open", "--nik", person.nik, "--type", "jkk", "--event-date",
                            "2026-09-01", "--chronology", "Ditabrak saat mengantar penumpang", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"id", "status", "protected_on_event_date", "coverage_reason", "deadlines", "checklist",
            "estimate_idr"} <= set(data)
    assert data["deadlines"]["stage1_report"] == "2026-09-03" and data["deadlines"]["lapses_on"] == "2031-09-01"
    assert {"code", "label", "received"} <= set(data["checklist"][0])
    assert data["protected_on_event_date"] is True and data["status"] == "reported"
    claim_id = str(data["id"])
    code, _out, err = jaring(capsys, "claim", "submit", claim_id, "--bpjstk-number", "X1")
    assert code == 3, err  # documents not complete: wrong order
    for item in data["checklist"]:
        if item["code"] != "laporan_polisi":
            code, out, err = jaring(capsys, "claim", "document", claim_id, "--code", item["code"],
                                    "--received", "2026-09-02", "--json")
            assert code == 0, err
    assert json.loads(out)["status"] == "documents_complete"
    code, out, err = jaring(capsys, "claim", "submit", claim_id, "--bpjstk-number", "JKK-99", "--json")
    assert code == 0, err
    assert json.loads(out)["deadlines"]["payment_due"] is not None
    code, out, err = jaring(capsys, "claim", "deadlines", "--json")
    assert code == 0 and [r["deadline"] for r in json.loads(out)] == ["payment_due"]
    code, out, err = jaring(capsys, "claim", "settle", claim_id, "--paid-idr", "2500000", "--date",
                            timezone.localdate().isoformat(), "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "paid"
    code, out, err = jaring(capsys, "claim", "show", claim_id, "--json")
    assert code == 0 and json.loads(out)["paid_idr"] == 2_500_000
    code, _out, err = jaring(capsys, "claim", "reject", claim_id, "--reason", "Terlambat")
    assert code == 3
    code, _out, _err = jaring(capsys, "claim", "show", claim_id, "--as", "facilitator_klawasi")
    assert code == 4


def test_the_api_opens_idempotently_and_walks_the_claim(personas, member, api_client_for):
    person = member(paid=11).person
    api = api_client_for("operator_sorong")
    body = {"nik": person.nik, "type": "jkm", "event_date": "2026-08-10", "chronology": "Sakit jantung"}
    first = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="claim-1")
    assert first.status_code == 201, first.json()
    again = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="claim-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and Claim.objects.count() == 1
    assert api.post("/api/v1/claims/", body, format="json").status_code == 409  # the same case, no key
    claim_id = first.json()["id"]
    assert first.json()["estimate_idr"] == 42_000_000
    for item in first.json()["checklist"]:
        if item["required"]:
            response = api.post(f"/api/v1/claims/{claim_id}/documents/",
                                {"code": item["code"], "received_on": "2026-08-11"}, format="json")
            assert response.status_code == 200, response.json()
    assert response.json()["status"] == "documents_complete"
    assert api.post(f"/api/v1/claims/{claim_id}/settle/", {"paid_idr": 1, "paid_on": "2026-08-20"},
                    format="json").status_code == 409
    response = api.post(f"/api/v1/claims/{claim_id}/submit/", {"bpjstk_number": "JKM-5", "submitted_on": "2026-08-12"},
                        format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = api.post(f"/api/v1/claims/{claim_id}/settle/", {"paid_idr": 42_000_000, "paid_on": "2026-08-20"},
                        format="json")
    assert response.status_code == 200 and response.json()["status"] == "paid"
    detail = api.get(f"/api/v1/claims/{claim_id}/").json()
    assert detail["heirs"] == [] and detail["paid_idr"] == 42_000_000
    assert [r["id"] for r in api.get("/api/v1/claims/?status=paid").json()["results"]] == [claim_id]
    assert api.get("/api/v1/claims/deadlines/").json() == []


def test_settling_a_total_disability_ends_the_membership_on_the_day_of_the_disability(personas, member):
    operator = personas["operator_sorong"]
    membership = member(paid=11)
    claim = open_claim(personas, membership.person, event_date=dt.date(2026, 6, 20), outcome="total_disability",
                       outcome_date=dt.date(2026, 7, 30))
    assert claim.estimate_idr == 56 * 1_000_000 + 12_000_000
    assert claim_get(actor=operator, claim_id=claim.pk).outcome_date == dt.date(2026, 7, 30)
    claim = complete(personas, claim, dt.date(2026, 8, 1))
    claim = claim_submit(actor=operator, claim=claim, bpjstk_number="JKK-TD-1", submitted_on=dt.date(2026, 8, 3))
    claim_settle(actor=operator, claim=claim, paid_idr=68_000_000, paid_on=dt.date(2026, 8, 10))
    membership.refresh_from_db()
    assert (membership.end_reason, membership.ended_on) == ("total_disability", dt.date(2026, 7, 30))
    assert sorted(e.due.period.month for e in CreditEntry.objects.filter(membership=membership,
                                                                          reason="refund")) == [8, 9, 10, 11]
    membership.person.refresh_from_db()
    assert membership.person.death_date is None


def test_only_the_office_submits_settles_or_rejects(personas, member, api_client_for):
    """A facilitator reports and collects documents; submitting to BPJSTK and recording its payment
    (which ends a membership) or its rejection are the office's (``claims.office``)."""
    from jaring.core.errors import PermissionDenied

    facilitator = personas["facilitator_remu"]
    claim = complete(personas, open_claim(personas, member(10).person), TODAY)
    with pytest.raises(PermissionDenied):
        claim_submit(actor=facilitator, claim=claim, bpjstk_number="JKK-1")
    with pytest.raises(PermissionDenied):
        claim_reject(actor=facilitator, claim=claim, reason="x")
    with pytest.raises(PermissionDenied):
        claim_settle(actor=facilitator, claim=claim, paid_idr=1, paid_on=TODAY)
    api = api_client_for("facilitator_remu")
    assert api.post(f"/api/v1/claims/{claim.pk}/submit/", {"bpjstk_number": "JKK-1"},
                    format="json").status_code == 403
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DOCUMENTS_COMPLETE


def test_a_report_made_to_bpjstk_is_no_longer_due(personas, member, capsys):
    from jaring.claims.services import claim_report_made

    person = member(paid=11).person
    late = open_claim(personas, person, event_date=dt.date(2026, 11, 20))  # stage I was due on 22 November
    facilitator = personas["facilitator_remu"]
    # The facilitator made the report on the 21st (Permenaker 1/2025 art. 48A: the wadah may notify).
    claim_report_made(actor=facilitator, claim=late, stage=1, reported_on=dt.date(2026, 11, 21), today=TODAY)
    rows = claim_deadlines_list(actor=personas["operator_sorong"], today=TODAY)
    assert [(r.kind, r.overdue) for r in rows] == [("lapses_on", False)]
    with pytest.raises(ValidationFailed):
        claim_report_made(actor=facilitator, claim=late, stage=3, reported_on=dt.date(2026, 11, 21), today=TODAY)
    with pytest.raises(ValidationFailed):
        claim_report_made(actor=facilitator, claim=late, stage=2, reported_on=dt.date(2026, 11, 19), today=TODAY)
    with pytest.raises(NotFound):
        claim_report_made(actor=personas["facilitator_klawasi"], claim=late, stage=1,
                          reported_on=dt.date(2026, 11, 21), today=TODAY)
    assert AuditEvent.objects.filter(action="claim.report_made", object_id=str(late.pk)).count() == 1
    code, out, err = jaring(capsys, "claim", "reported", str(late.pk), "--stage", "2", "--date", "2026-12-01", "--json")
    assert code == 0, err
    assert json.loads(out)["stage2_reported_on"] == "2026-12-01"
