"""BPJSTK's files on the web (decision 0035): an uploaded payment statement or status file runs as a
job with its summary in words and an audited report; a hostile file is refused with its reason; the
review list shows the rows not applied and the office resolves them; the reactivation page shows
what would happen and reactivates only with a document and a confirmation. Facilitators get none
of it."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jaring.contributions.models import Due, Payment, StatementImport, StatementReviewRow
from jaring.contributions.services import billing_run
from jaring.core.jobs import JobChannel
from jaring.core.models import AuditEvent, Job
from jaring.core.money import add_months, month_start
from jaring.membership.models import Membership
from jaring.membership.services import membership_end, membership_enrol

THIS = month_start(timezone.localdate())
EARLIER, LAST = add_months(THIS, -2), add_months(THIS, -1)
HEADER = "KPJ;NIK;Bulan;Iuran;Tanggal Bayar;Saluran\n"


def enrol(personas: dict[str, Any], register_person: Any, payer: Any, n: int, kpj: str,
          start: dt.date) -> Membership:
    person = register_person(full_name=f"Pekerja {n}", birth_date=dt.date(1980, 1, n), occupation="market_trader")
    return membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer, programs="JKK,JKM",
                            declared_income_idr=1_000_000, start_date=start, kpj=kpj)


@pytest.fixture
def members(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Membership]:
    """Self-payers A and B, active for half a year (BPJSTK holds their KPJ), billed the last two
    months."""
    start = add_months(THIS, -6)
    found = {name: enrol(personas, register_person, payers["self"], n, f"2607000000{n}", start)
             for n, name in enumerate("AB", start=1)}
    for period in (EARLIER, LAST):
        billing_run(actor=personas["operator_sorong"], period=period)
    return found


def due(membership: Membership, period: dt.date) -> Due:
    return Due.objects.get(membership=membership, period=period)


@pytest.fixture
def upload(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Post a file; its job runs when the request's transaction commits (inline in tests)."""

    def post(client, text: str | bytes, name: str = "laporan-bpjstk.csv", kind: str = "payments",
             **extra: str):  # type: ignore[no-untyped-def]
        content = text.encode() if isinstance(text, str) else text
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("membership:bpjstk_exchange"),
                               {"file": SimpleUploadedFile(name, content), "kind": kind, **extra})

    return post


def statement(members: dict[str, Membership]) -> str:
    """Row 2 pays A's earlier month exactly; row 3 names nobody; row 4 has B's month at a wrong amount."""
    a, b = members["A"], members["B"]
    paid = EARLIER.replace(day=10).isoformat()
    return (HEADER + f"{a.kpj};;{EARLIER:%Y-%m};{due(a, EARLIER).amount_idr};{paid};JMO\n"
            f"26079999999;;{EARLIER:%Y-%m};16800;{paid};\n"
            f"{b.kpj};;{LAST:%Y-%m};{due(b, LAST).amount_idr + 1};{paid};\n")


def test_an_uploaded_statement_is_applied_with_its_summary_and_an_audited_report(client, personas, members,
                                                                                 upload):
    operator = personas["operator_sorong"]
    client.force_login(operator)
    page = client.get(reverse("membership:bpjstk_exchange")).content.decode()
    assert "Laporan pembayaran iuran" in page and 'enctype="multipart/form-data"' in page
    response = upload(client, statement(members))
    job = Job.objects.get(kind="bpjstk.upload")
    assert response.status_code == 302 and response["Location"] == reverse("membership:bpjstk_job", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED
    assert (job.result["rows"], job.result["applied"], job.result["review"]) == (3, 1, 2)
    assert not Path(job.params["path"]).exists() and not Path(job.params["path"]).parent.exists()  # upload gone
    inner = Job.objects.get(kind="bpjstk.payments")  # the same job as `jaring bpjstk import-payments`
    assert inner.status == Job.Status.SUCCEEDED and job.result["job"] == inner.pk
    assert due(members["A"], EARLIER).status == "paid" and Payment.objects.count() == 1
    assert due(members["B"], LAST).status == "open"
    assert StatementImport.objects.get().file_name == "laporan-bpjstk.csv"  # the file's own name is kept

    page = client.get(response["Location"]).content.decode()
    assert "Selesai" in page and "hx-trigger" not in page  # finished: no more polling
    assert "Iuran dibayar (cocok persis)" in page and "Orang tidak dikenal" in page and "Jumlah berbeda" in page
    assert reverse("membership:bpjstk_report", args=[job.pk]) in page
    assert not AuditEvent.objects.filter(action="bpjstk.report").exists()
    report = client.get(reverse("membership:bpjstk_report", args=[job.pk]))
    assert report.status_code == 200 and report["Cache-Control"] == "no-store"
    book = load_workbook(filename=io.BytesIO(b"".join(report.streaming_content)))
    assert book.sheetnames[:2] == ["Ringkasan", "Diterapkan"]
    assert [r[0] for r in book["Orang tidak dikenal"].iter_rows(values_only=True)][1:] == [3]
    event = AuditEvent.objects.get(action="bpjstk.report")
    assert event.actor == operator and event.object_id == str(job.pk) and event.after["kind"] == "payments"

    # The branch liaison may upload too, and sees its own uploads only; the office sees every one.
    client.force_login(personas["liaison"])
    assert client.get(reverse("membership:bpjstk_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("membership:bpjstk_report", args=[job.pk])).status_code == 404
    upload(client, statement(members), name="lagi.csv")
    again = Job.objects.filter(kind="bpjstk.upload").latest("id")
    assert (again.result["applied"], again.result["unchanged"]) == (0, 1)  # the same rows: nothing twice
    assert Payment.objects.count() == 1
    client.force_login(operator)
    assert "lagi.csv" in client.get(reverse("membership:bpjstk_exchange")).content.decode()


def test_a_dry_run_and_a_status_file_from_the_web(client, personas, payers, members, upload):
    client.force_login(personas["operator_sorong"])
    upload(client, statement(members), dry_run="on")
    job = Job.objects.get(kind="bpjstk.upload")
    assert job.result["applied"] == 1 and job.result["dry_run"] is True
    assert due(members["A"], EARLIER).status == "open" and not StatementReviewRow.objects.exists()
    page = client.get(reverse("membership:bpjstk_job", args=[job.pk])).content.decode()
    assert "Uji coba: tidak ada yang disimpan." in page and "Iuran yang akan dibayar" in page

    a = members["A"]
    ended_on = LAST.replace(day=16)
    status = f"No KPJ;Status;Tanggal Non Aktif\n{a.kpj};NON AKTIF;{ended_on.isoformat()}\n"
    refused = upload(client, status, name="status.csv", kind="status", payer="MANDIRI")
    assert refused.status_code == 200 and "hanya dipakai untuk laporan pembayaran" in refused.content.decode()
    upload(client, status, name="status.csv", kind="status")
    a.refresh_from_db()
    assert (a.status, a.end_reason, a.ended_on) == ("ended", "arrears", ended_on)
    job = Job.objects.filter(kind="bpjstk.upload").latest("id")
    page = client.get(reverse("membership:bpjstk_job", args=[job.pk])).content.decode()
    assert "Status kepesertaan" in page and "Kepesertaan diakhiri karena menunggak" in page


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("laporan.pdf", b"%PDF-1.4", "Jenis berkas tidak didukung"),
    ("laporan.csv", b"\x89PNG\r\n\x1a\n" + bytes(i % 32 for i in range(8192)), "bukan tabel"),
    ("laporan.csv", b"Nama;Alamat\nYohanes;Remu\n", "Kolom wajib tidak ditemukan"),
    ("laporan.xlsx", b"PK\x03\x04 not really a workbook", "bukan berkas Excel (XLSX) yang sah"),
], ids=["wrong-type", "binary", "no-columns", "broken-xlsx"])
def test_a_hostile_file_is_refused_with_its_reason(client, personas, members, upload, name, content, expected):
    client.force_login(personas["operator_sorong"])
    response = upload(client, content, name=name)
    if response.status_code == 200:  # refused by the form, before any job
        assert expected in response.content.decode() and not Job.objects.exists()
        return
    job = Job.objects.get(kind="bpjstk.upload")
    assert job.status == Job.Status.FAILED and expected in job.message, job.message
    page = client.get(response["Location"]).content.decode()
    assert expected in page and "Traceback" not in page
    assert not Path(job.params["path"]).exists()
    assert not Payment.objects.exists() and not StatementImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, personas, members, upload):
    client.force_login(personas["operator_sorong"])
    with override_settings(JARING_MAX_UPLOAD_BYTES=100):
        response = upload(client, statement(members))
    assert response.status_code == 200 and "Berkas terlalu besar" in response.content.decode()
    assert not Job.objects.exists()


def test_the_progress_fragment_polls_while_the_job_runs(client, personas):
    operator = personas["operator_sorong"]
    client.force_login(operator)
    job = Job.objects.create(kind="bpjstk.upload", created_by=operator, status=Job.Status.RUNNING,
                             params={"file": "besar.csv", "kind": "payments"})
    JobChannel(job.pk)("match", 250, 1000)
    fragment = client.get(reverse("membership:bpjstk_job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "25%" in fragment


def test_the_review_list_shows_the_rows_not_applied_and_the_office_resolves_them(client, personas, members,
                                                                                  upload):
    operator = personas["operator_sorong"]
    client.force_login(operator)
    upload(client, statement(members))
    unknown = StatementReviewRow.objects.get(reason_code="unknown_person")
    differs = StatementReviewRow.objects.get(reason_code="amount_differs")
    page = client.get(reverse("membership:bpjstk_review")).content.decode()
    assert "Tidak ada orang dengan KPJ atau NIK ini di wilayah Anda." in page and "26079999999" in page
    assert "laporan-bpjstk.csv" in page and "baris 3" in page and "baris 4" in page
    person = members["B"].person
    assert reverse("registry:person_detail", args=[person.pk]) in page and person.full_name in page
    assert page.index(f'value="{differs.pk}"') < page.index(f'value="{unknown.pk}"')  # newest first
    filtered = client.get(reverse("membership:bpjstk_review"), {"alasan": "unknown_person"}).content.decode()
    assert "26079999999" in filtered and person.full_name not in filtered
    assert client.get(reverse("membership:bpjstk_review"), {"jenis": "status"}).context["page"].paginator.count == 0

    # No note: refused, nothing resolved, the choice kept on the page.
    refused = client.post(reverse("membership:bpjstk_review"), {"rows": [unknown.pk], "note": " "})
    assert refused.status_code == 200 and f'value="{unknown.pk}" checked' in refused.content.decode()
    assert StatementReviewRow.objects.filter(status="open").count() == 2
    assert client.post(reverse("membership:bpjstk_review"), {"rows": [999999], "note": "x"}).status_code == 200
    assert StatementReviewRow.objects.filter(status="open").count() == 2

    response = client.post(reverse("membership:bpjstk_review") + "?alasan=amount_differs",
                           {"rows": [unknown.pk, differs.pk], "note": "BPJSTK: KPJ salah ketik"}, follow=True)
    assert response.redirect_chain == [(reverse("membership:bpjstk_review") + "?alasan=amount_differs", 302)]
    assert "2 baris ditandai selesai." in response.content.decode()
    assert not StatementReviewRow.objects.filter(status="open").exists()
    assert set(StatementReviewRow.objects.values_list("resolution", flat=True)) == {"BPJSTK: KPJ salah ketik"}
    assert AuditEvent.objects.get(action="bpjstk.review_resolve").actor == operator
    assert "Tidak ada baris berkas BPJSTK yang perlu diperiksa." in client.get(
        reverse("membership:bpjstk_review")).content.decode()


# --- Reactivation ------------------------------------------------------------------------------------

@pytest.fixture
def lapsed(personas: dict[str, Any], payers: dict[str, Any], register_person: Any) -> dict[str, Membership]:
    """Three city members billed for the last six months, ended for arrears on the 20th of the
    fourth month back (the city's money came late): the three months after it voided. Y has since
    re-enrolled as a self-payer."""
    operator = personas["operator_sorong"]
    first = add_months(THIS, -6)
    found = {name: enrol(personas, register_person, payers["city"], n, f"2608000000{n}", first)
             for n, name in enumerate("XYZ", start=1)}
    for i in range(6):
        billing_run(actor=operator, period=add_months(first, i))
    for membership in found.values():
        membership_end(actor=operator, membership=membership, reason="arrears",
                       ended_on=add_months(THIS, -4).replace(day=20))
    found["Y2"] = membership_enrol(actor=operator, person=found["Y"].person, payer=payers["self"],
                                   programs="JKK,JKM", declared_income_idr=1_000_000,
                                   start_date=timezone.localdate())
    return found


def test_the_reactivation_page_shows_what_would_happen_and_needs_a_document_and_a_confirmation(
        client, personas, payers, lapsed):
    operator = personas["operator_sorong"]
    client.force_login(operator)
    url = reverse("membership:payer_reactivate", args=["APBD-KOTA"])
    assert url in client.get(reverse("membership:payer_detail", args=["APBD-KOTA"])).content.decode()
    assert url.replace("APBD-KOTA", "MANDIRI") not in client.get(
        reverse("membership:payer_detail", args=["MANDIRI"])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (response.context["ended_count"], len(preview.reactivated), len(preview.restored)) == (3, 2, 6)
    page = response.content.decode()
    assert "Orang ini sudah punya kepesertaan lain yang masih berjalan. (1)" in page
    assert Membership.objects.filter(payer=payers["city"], status="ended").count() == 3  # the preview rolled back
    assert not AuditEvent.objects.filter(action="payer.reactivate").exists()
    later = client.get(url, {"sejak": add_months(THIS, -4).replace(day=21).isoformat()})
    assert later.context["ended_count"] == 0
    assert "Tidak ada kepesertaan yang dapat diaktifkan kembali." in later.content.decode()

    for data, error in (({"reference": "", "confirm": "on"}, "Sebutkan dokumen dasar"),
                        ({"reference": "SP2D 00123/BUD/2026"}, "Centang konfirmasi")):
        refused = client.post(url, data)
        assert refused.status_code == 200 and error in refused.content.decode()
    assert Membership.objects.filter(payer=payers["city"], status="ended").count() == 3

    response = client.post(url, {"reference": "SP2D 00123/BUD/2026", "confirm": "on", "ended_from": ""},
                           follow=True)
    assert response.redirect_chain == [(reverse("membership:payer_detail", args=["APBD-KOTA"]), 302)]
    message = response.content.decode()
    assert "2 kepesertaan APBD Kota Sorong diaktifkan kembali berdasarkan SP2D 00123/BUD/2026" in message
    assert "6 bulan iuran dibuka lagi" in message and "1 dilewati" in message
    assert "Terbitkan dan bayar tagihan" in message
    assert set(Membership.objects.filter(payer=payers["city"], status="active").values_list("pk", flat=True)) == {
        lapsed["X"].pk, lapsed["Z"].pk}
    event = AuditEvent.objects.get(action="payer.reactivate")
    assert event.actor == operator and event.after["reference"] == "SP2D 00123/BUD/2026"


def test_a_self_payer_has_no_reactivation_page(client, personas, payers):
    client.force_login(personas["operator_sorong"])
    url = reverse("membership:payer_reactivate", args=["MANDIRI"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reference": "SP2D 1", "confirm": "on"}).status_code == 404
    assert client.get(reverse("membership:payer_reactivate", args=["TIDAK-ADA"])).status_code == 404


def test_facilitators_and_auditors_are_refused_everywhere(client, personas, payers, members, upload):
    client.force_login(personas["operator_sorong"])
    upload(client, statement(members))
    job = Job.objects.get(kind="bpjstk.upload")
    row = StatementReviewRow.objects.first()
    assert row is not None
    pages = [reverse("membership:bpjstk_exchange"), reverse("membership:bpjstk_review"),
             reverse("membership:bpjstk_job", args=[job.pk]), reverse("membership:bpjstk_job_progress", args=[job.pk]),
             reverse("membership:bpjstk_report", args=[job.pk]),
             reverse("membership:payer_reactivate", args=["APBD-KOTA"])]
    for name in ("facilitator_remu", "facilitator_klawasi", "auditor"):
        client.force_login(personas[name])
        assert ">BPJSTK</a>" not in client.get("/").content.decode()
        for url in pages:
            assert client.get(url).status_code == 403, (name, url)
        assert upload(client, statement(members)).status_code == 403
        assert client.post(reverse("membership:bpjstk_review"), {"rows": [row.pk], "note": "x"}).status_code == 403
        assert client.post(pages[-1], {"reference": "SP2D 1", "confirm": "on"}).status_code == 403
    assert Job.objects.filter(kind="bpjstk.upload").count() == 1
    assert StatementReviewRow.objects.filter(status="open").count() == 2
    client.force_login(personas["liaison"])  # the branch: the files yes, the money no
    assert ">BPJSTK</a>" in client.get("/").content.decode()
    assert client.get(reverse("membership:bpjstk_review")).status_code == 200
    assert client.get(pages[-1]).status_code == 403
