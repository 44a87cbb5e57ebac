"""The KPJ is the person's across memberships and payers (DOMAIN §2.1, decision 0033), and protection
is never backdated: enrolment, the drafts, the BPJSTK files, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jaring.contributions.services import billing_close, billing_run
from jaring.core.errors import Conflict, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.exchange import kpj_import, payment_statement_reconcile, registration_export
from jaring.membership.models import Membership
from jaring.membership.services import (
    membership_end,
    membership_enrol,
    memberships_create_drafts,
)
from jaring.registry.models import Person
from jaring.registry.services import person_assign_kpj
from jaring.testing import run_jaring as jaring

KPJ = "26010000001"




def _next_month() -> dt.date:
    return (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _self_member(operator, payers, person, *, kpj=KPJ, start=dt.date(2026, 1, 1)):  # type: ignore[no-untyped-def]
    return membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=start, kpj=kpj)


def test_reenrolment_after_an_arrears_end_keeps_the_kpj(personas, payers, register_person):
    operator = personas["operator_sorong"]
    person = register_person()
    first = _self_member(operator, payers, person)
    for month in range(1, 5):
        billing_run(actor=operator, period=dt.date(2026, month, 1))
    assert billing_close(actor=operator, as_of=dt.date(2026, 4, 16)).ended == 1
    first.refresh_from_db()
    assert (first.status, first.end_reason) == ("ended", "arrears")
    # "Iuran lanjutan": the self-payer comes back with the same NIK and the same KPJ. Giving it is
    # no longer refused as a duplicate; not giving it continues with his own, active at once.
    again = membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=timezone.localdate())
    assert (again.status, again.kpj) == ("active", KPJ)
    assert AuditEvent.objects.get(action="membership.enrol", object_id=str(again.pk)).after["continuing"] is True
    membership_end(actor=operator, membership=again, reason="withdrawn", ended_on=timezone.localdate())
    third = _self_member(operator, payers, person, start=_next_month())
    assert (third.status, third.kpj, Person.objects.get(pk=person.pk).kpj) == ("active", KPJ, KPJ)
    assert set(Membership.objects.filter(person=person).values_list("person__kpj", flat=True)) == {KPJ}
    membership_end(actor=operator, membership=third, reason="withdrawn", ended_on=_next_month())
    with pytest.raises(Conflict) as differs:  # another number for the same person is not recorded
        _self_member(operator, payers, person, kpj="26010000099", start=_next_month())
    assert differs.value.code == "kpj_differs"
    assert Person.objects.get(pk=person.pk).kpj == KPJ


def test_a_self_payer_moved_to_the_city_keeps_his_kpj(personas, payers, register_person, tmp_path, capsys):
    operator, admin = personas["operator_sorong"], personas["admin_sorong"]
    person = register_person()
    own = _self_member(operator, payers, person)
    membership_end(actor=operator, membership=own, reason="withdrawn", ended_on=dt.date(2026, 1, 20))
    # The city takes him on: BPJSTK must register the new period for the city's cohort (a draft),
    # and the collective file carries his KPJ.
    city = membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=_next_month())
    assert (city.status, city.kpj) == ("draft", KPJ)
    export = registration_export(actor=admin, payer=payers["city"], fmt="xlsx")
    out = tmp_path / export.filename
    out.write_bytes(export.content)
    header, row = list(load_workbook(out).active.iter_rows(values_only=True))
    assert row[header.index("KPJ")] == KPJ
    kpj_file = tmp_path / "kpj.csv"
    kpj_file.write_text(f"NIK;KPJ;Tanggal Mulai\n{person.nik};{KPJ};{_next_month():%d-%m-%Y}\n", encoding="utf-8")
    code, stdout, err = jaring(capsys, "bpjstk", "import-kpj", str(kpj_file), "--json")
    assert code == 0, err
    assert json.loads(stdout)["activated"] == 1
    city.refresh_from_db()
    assert (city.status, city.kpj, city.start_date) == ("active", KPJ, _next_month())
    # Given explicitly, his own KPJ makes a city membership active at once (it was refused as taken).
    membership_end(actor=operator, membership=city, reason="moved", ended_on=_next_month())
    other = register_person(full_name="Pindah Lagi")
    _self_member(operator, payers, other, kpj="26010000002")
    membership_end(actor=operator, membership=Membership.objects.get(person=other), reason="withdrawn",
                   ended_on=dt.date(2026, 1, 20))
    moved = membership_enrol(actor=operator, person=other, payer=payers["city"], programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=_next_month(), kpj="2601-0000002")
    assert (moved.status, moved.kpj) == ("active", "26010000002")


def test_kpj_file_never_overwrites_a_persons_kpj(personas, payers, register_person, tmp_path, capsys):
    operator, admin = personas["operator_sorong"], personas["admin_sorong"]
    known, holder, fresh = (register_person(full_name=name) for name in ("Sudah Punya", "Pemilik", "Baru"))
    own = _self_member(operator, payers, known)
    membership_end(actor=operator, membership=own, reason="withdrawn", ended_on=dt.date(2026, 1, 20))
    person_assign_kpj(actor=operator, person=holder, kpj="26010000002", by="test")
    for person in (known, fresh):
        membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=_next_month())
    start = f"{_next_month():%Y-%m-%d}"
    rows = [{"nik": known.nik, "kpj": "26010000099", "tanggal mulai": start},  # differs from his own
            {"nik": fresh.nik, "kpj": "26010000002", "tanggal mulai": start},  # another person's
            {"nik": fresh.nik, "kpj": "2601000000", "tanggal mulai": start}]  # 10 digits
    result = kpj_import(actor=admin, rows=rows)
    assert (result.rows, len(result.activated), len(result.unchanged), len(result.rejected), len(result.review)) == (
        3, 0, 0, 1, 2)
    assert [r["row"] for r in result.review] == [2, 3]
    assert result.review[0]["recorded_kpj"] == KPJ and "berbeda" in result.review[0]["reason"]
    assert result.rejected[0]["reason"] == "Nomor KPJ harus 11 digit, bukan 10 digit."
    assert dict(Person.objects.filter(pk__in=[known.pk, holder.pk, fresh.pk]).values_list("full_name", "kpj")) == {
        "Sudah Punya": KPJ, "Pemilik": "26010000002", "Baru": None}
    assert set(Membership.objects.filter(payer=payers["city"]).values_list("status", flat=True)) == {"draft"}
    assert AuditEvent.objects.get(action="bpjstk.import_kpj").after["review"] == 2
    kpj_file = tmp_path / "kpj.csv"
    kpj_file.write_text(f"NIK;KPJ;Tanggal Mulai\n{known.nik};26010000099;{start}\n", encoding="utf-8")
    code, stdout, _err = jaring(capsys, "bpjstk", "import-kpj", str(kpj_file))
    assert code == 0 and "review=1" in stdout and "(review)" in stdout


def test_reconcile_finds_the_month_through_the_persons_kpj(personas, payers, register_person):
    operator = personas["operator_sorong"]
    person = register_person(occupation="market_trader")  # no transport discount in January
    own = _self_member(operator, payers, person)
    billing_run(actor=operator, period=dt.date(2026, 1, 1))
    membership_end(actor=operator, membership=own, reason="withdrawn", ended_on=dt.date(2026, 1, 31))
    city = membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=dt.date(2026, 2, 1), kpj=KPJ)
    billing_run(actor=operator, period=dt.date(2026, 2, 1))
    assert city.kpj == KPJ
    report = payment_statement_reconcile(actor=operator, rows=[
        {"kpj": "2601-0000001", "bulan": "2026-01", "iuran": "16800"},
        {"kpj": KPJ, "bulan": "2026-02", "iuran": "16800"}])
    assert (len(report.matched), len(report.not_billed), len(report.unknown_person)) == (2, 0, 0), report.as_dict()


def test_bad_kpj_is_refused_by_service_cli_and_api(personas, payers, register_person, capsys, api_client_for):
    operator = personas["operator_sorong"]
    person = register_person()
    for bad in ("2601000000", "2601000000A", "260100000011"):
        with pytest.raises(ValidationFailed) as refused:
            _self_member(operator, payers, person, kpj=bad)
        assert refused.value.code == "kpj_format" and refused.value.fields["kpj"][0].startswith("Nomor KPJ")
        code, _out, err = jaring(capsys, "membership", "enrol", "--nik", person.nik, "--payer", "MANDIRI",
                                 "--income", "1000000", "--start", "2026-01-01", "--kpj", bad)
        assert code == 2 and "Nomor KPJ" in err
        response = api_client_for("operator_sorong").post("/api/v1/memberships/", {
            "person": person.pk, "payer": "MANDIRI", "declared_income_idr": 1000000, "start_date": "2026-01-01",
            "kpj": bad}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["kpj"][0].startswith("Nomor KPJ")
    assert not Membership.objects.exists() and Person.objects.get(pk=person.pk).kpj is None
    response = api_client_for("operator_sorong").post("/api/v1/memberships/", {
        "person": person.pk, "payer": "MANDIRI", "declared_income_idr": 1000000, "start_date": "2026-01-01",
        "kpj": KPJ}, format="json")
    assert response.status_code == 201 and response.json()["kpj"] == KPJ
    assert api_client_for("operator_sorong").get(f"/api/v1/persons/{person.pk}/").json()["kpj"] == KPJ


# --- No backdated start --------------------------------------------------------------------------

def test_a_start_before_today_is_refused_for_what_jaring_starts_itself(personas, payers, register_person):
    operator, today = personas["operator_sorong"], timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    person = register_person()
    for payer in ("self", "city"):
        with pytest.raises(ValidationFailed) as backdated:
            membership_enrol(actor=operator, person=person, payer=payers[payer], programs="JKK,JKM",
                             declared_income_idr=1_000_000, start_date=yesterday)
        assert backdated.value.code == "backdated" and "start_date" in backdated.value.fields
    with pytest.raises(ValidationFailed) as drafts:
        memberships_create_drafts(actor=personas["admin_sorong"], payer=payers["city"], person_ids=[person.pk],
                                  start_date=yesterday, declared_income_idr=1_000_000, reason="test")
    assert drafts.value.code == "backdated"
    assert not Membership.objects.exists()
    assert membership_enrol(actor=operator, person=person, payer=payers["city"], programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=today).status == "draft"
    # With a KPJ, BPJSTK already holds the membership: its start (past or not) is mirrored.
    mirrored = _self_member(operator, payers, register_person(full_name="Sudah Terdaftar"), start=yesterday)
    assert (mirrored.status, mirrored.start_date) == ("active", yesterday)


def test_the_export_never_writes_a_past_start(personas, payers, register_person, tmp_path):
    today = timezone.localdate()
    stale_person, fresh_person = register_person(full_name="Lama Menunggu"), register_person(full_name="Baru")
    # A draft whose start has passed by the export (written as it stood then: no service makes one now).
    stale = Membership.objects.create(person=stale_person, payer=payers["city"], declared_income_idr=1_000_000,
                                      start_date=today - dt.timedelta(days=40), status="draft")
    fresh = membership_enrol(actor=personas["operator_sorong"], person=fresh_person, payer=payers["city"],
                             programs="JKK,JKM", declared_income_idr=1_000_000, start_date=_next_month())
    export = registration_export(actor=personas["admin_sorong"], payer=payers["city"], fmt="csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    starts = {line.split(";")[header.index("NAMA LENGKAP")]: line.split(";")[header.index("TANGGAL MULAI")]
              for line in lines[1:]}
    assert starts == {"Lama Menunggu": f"{today:%d-%m-%Y}", "Baru": f"{_next_month():%d-%m-%Y}"}
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.start_date, stale.status, fresh.start_date) == (today, "submitted", _next_month())
    (event,) = AuditEvent.objects.filter(action="membership.move_start")
    assert (event.object_id, event.before, event.after) == (
        str(stale.pk), {"start_date": (today - dt.timedelta(days=40)).isoformat()},
        {"start_date": today.isoformat(), "by": "bpjstk.export"})
    registration_export(actor=personas["admin_sorong"], payer=payers["city"], fmt="csv")  # again: nothing to move
    assert AuditEvent.objects.filter(action="membership.move_start").count() == 1


def test_demo_kpjs_are_eleven_digits_and_one_per_person(db):  # type: ignore[no-untyped-def]
    from jaring.demo import seed_demo
    from jaring.registry.identity import kpj_findings

    seed_demo(persons=600, seed=5, today=dt.date(2026, 11, 24))
    kpjs = list(Person.objects.exclude(kpj=None).values_list("kpj", flat=True))
    assert kpjs and all(kpj_findings(kpj) == [] for kpj in kpjs) and len(set(kpjs)) == len(kpjs)
    assert Membership.objects.exists() and not Membership.objects.filter(person__kpj=None).exists()
