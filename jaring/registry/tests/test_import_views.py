"""The import screens: upload, progress, cancel, report — per role."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jaring.core.jobs import JobCancelled, JobChannel, job_progress, job_request_cancel
from jaring.core.models import AuditEvent, Job
from jaring.registry.importing import import_registry
from jaring.registry.models import Person

HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa\n"
ROWS = ("Yohanes Kalami;9271011403850001;9271010203150007;14/03/1985;L;Remu\n"
        "Maria Kalami;9271015508900001;9271010203150007;15/08/1990;P;Remu\n"
        "Rusak;3.27E+15;;14/03/1985;L;Remu\n")


@pytest.fixture
def upload(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Post a file; the job runs when the request's transaction commits (inline in tests)."""

    def post(client, text=HEADER + ROWS, name="data.csv", **extra):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("registry:import_start"),
                               {"file": SimpleUploadedFile(name, text.encode()), "profile": "auto", **extra})

    return post


def test_operator_uploads_and_sees_the_summary_and_report(client, personas, upload):
    client.force_login(personas["operator_sorong"])
    response = upload(client)
    job = Job.objects.get(kind="import.registry")
    assert response.status_code == 302 and response["Location"] == reverse("registry:import_detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED and job.result["imported"] == 2 and job.result["rejected"] == 1
    assert Person.objects.count() == 2
    assert not Path(job.params["path"]).exists()  # the clear-text upload is gone
    page = client.get(response["Location"]).content.decode()
    assert "Selesai" in page and "hx-trigger" not in page  # finished: no more polling
    report = client.get(reverse("registry:import_report", args=[job.pk]))
    assert report.status_code == 200
    book = load_workbook(filename=io.BytesIO(b"".join(report.streaming_content)))
    rejected = list(book["Ditolak"].iter_rows(values_only=True))
    assert rejected[1][0] == 4 and "NIK" in rejected[1][1]
    assert AuditEvent.objects.filter(action="registry.import.report", actor=personas["operator_sorong"]).exists()


def test_dry_run_from_the_web_writes_nothing(client, personas, upload):
    client.force_login(personas["operator_sorong"])
    upload(client, dry_run="on")
    job = Job.objects.get(kind="import.registry")
    assert job.result["imported"] == 2 and job.result["dry_run"] is True
    assert Person.objects.count() == 0


def test_bad_files_are_refused_with_a_message(client, personas, upload):
    client.force_login(personas["operator_sorong"])
    page = upload(client, name="data.pdf").content.decode()
    assert "Jenis berkas tidak didukung" in page
    response = upload(client, text="Nama;Alamat\nYohanes;Remu\n")
    job = Job.objects.get(kind="import.registry")
    assert job.status == Job.Status.FAILED and "Kolom wajib tidak ditemukan" in job.message
    page = client.get(response["Location"]).content.decode()
    assert "Kolom wajib tidak ditemukan" in page


def test_roles_and_areas(client, personas, upload):
    client.force_login(personas["liaison"])
    assert client.get(reverse("registry:import_start")).status_code == 403
    assert upload(client).status_code == 403
    client.force_login(personas["facilitator_remu"])
    upload(client)
    job = Job.objects.get(kind="import.registry")
    assert job.result["imported"] == 2
    client.force_login(personas["facilitator_klawasi"])
    assert client.get(reverse("registry:import_detail", args=[job.pk])).status_code == 404
    assert "data.csv" not in client.get(reverse("registry:import_start")).content.decode()
    client.force_login(personas["auditor"])
    assert client.get(reverse("registry:import_detail", args=[job.pk])).status_code == 200
    assert client.post(reverse("registry:import_cancel", args=[job.pk])).status_code == 403


def test_progress_fragment_polls_while_running(client, personas):
    client.force_login(personas["operator_sorong"])
    job = Job.objects.create(kind="import.registry", created_by=personas["operator_sorong"],
                             status=Job.Status.RUNNING, params={"file": "besar.csv"})
    JobChannel(job.pk)("write", 250, 1000)
    fragment = client.get(reverse("registry:import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "25%" in fragment and "Menyimpan" in fragment
    assert job_progress(job)["percent"] == 25


def test_cancel_stops_the_import_and_keeps_nothing(client, personas, tmp_path):
    operator = personas["operator_sorong"]
    path = tmp_path / "data.csv"
    path.write_text(HEADER + ROWS)
    seen = []

    def cancel_when_writing(stage, done, total):  # type: ignore[no-untyped-def]
        seen.append(stage)
        if stage == "write":
            job = Job.objects.get(kind="import.registry", status=Job.Status.RUNNING)
            assert job_request_cancel(actor=operator, job=job)

    with pytest.raises(JobCancelled):
        import_registry(actor=operator, path=path, progress=cancel_when_writing)
    job = Job.objects.get(kind="import.registry")
    assert job.status == Job.Status.CANCELLED and operator.name in job.message
    assert Person.objects.count() == 0 and "write" in seen
    assert AuditEvent.objects.filter(action="registry.import.cancel").exists()
    assert not job_request_cancel(actor=operator, job=job)  # finished: nothing to cancel
    client.force_login(operator)
    response = client.post(reverse("registry:import_cancel", args=[job.pk]), follow=True)
    assert "sudah selesai" in response.content.decode()


def test_template_has_the_headers_the_importer_knows(client, personas, tmp_path):
    client.force_login(personas["facilitator_remu"])
    response = client.get(reverse("registry:import_template"))
    path = tmp_path / "templat.xlsx"
    path.write_bytes(response.content)
    headers = next(load_workbook(path)["Data"].iter_rows(values_only=True))
    assert headers[:2] == ("NIK", "Nama Lengkap")
    from jaring.registry.importing import SYNONYMS, map_columns

    mapped = map_columns(_with_row(path), "jaring")
    assert set(mapped) == set(SYNONYMS)


def _with_row(path):  # type: ignore[no-untyped-def]
    import polars as pl

    from jaring.core.tables import ROW

    headers = next(load_workbook(path)["Data"].iter_rows(values_only=True))
    return pl.DataFrame({ROW: [2], **{h: ["x"] for h in headers}})


def test_a_job_its_server_forgot_is_marked_interrupted(personas, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from jaring.core.jobs import mark_interrupted

    operator = personas["operator_sorong"]
    old = Job.objects.create(kind="import.registry", created_by=operator, status=Job.Status.QUEUED)
    fresh = Job.objects.create(kind="import.registry", created_by=operator, status=Job.Status.QUEUED)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    gone = Job.objects.create(kind="import.registry", created_by=operator, status=Job.Status.RUNNING,
                              params={"pid": 2**22 + 12345, "host": __import__("socket").gethostname()})
    assert mark_interrupted("import.registry") == 2
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses[old.pk] == "failed" and statuses[gone.pk] == "failed" and statuses[fresh.pk] == "queued"
