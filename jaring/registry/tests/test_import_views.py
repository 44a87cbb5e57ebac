"""The import screens: upload (a check first), confirm or cancel, progress, cancel, report — per role."""

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


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """"Impor sekarang" on a check's page; the import runs inline when the request commits."""

    def post(client, check, follow=False, **extra):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("registry:import_confirm", args=[check.pk]), {"confirmed": "1", **extra},
                               follow=follow)

    return post


def test_an_upload_is_checked_first_and_imported_once_confirmed(client, personas, upload, confirm):
    operator = personas["operator_sorong"]
    client.force_login(operator)
    response = upload(client)
    check = Job.objects.get(kind="import.registry")
    assert response.status_code == 302 and response["Location"] == reverse("registry:import_detail", args=[check.pk])
    assert check.status == Job.Status.SUCCEEDED and check.params["dry_run"] is True
    assert check.result["imported"] == 2 and check.result["rejected"] == 1
    assert Person.objects.count() == 0  # a check writes nothing
    path = Path(check.params["path"])
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600  # kept, owner-only, for the confirmation
    page = client.get(response["Location"]).content.decode()
    assert "Yang akan terjadi" in page and "Impor sekarang" in page and 'name="confirmed" value="1"' in page
    assert "Orang baru" in page and "Ditolak" in page and "Batalkan" in page
    assert "hx-trigger" not in page  # finished: no more polling
    # A POST without confirmed=1 only shows the page again.
    client.post(reverse("registry:import_confirm", args=[check.pk]), {"comment": "x"})
    assert Person.objects.count() == 0 and Job.objects.filter(kind="import.registry").count() == 1

    response = confirm(client, check, comment="Data pendataan Remu, diperiksa\x00 bersama lurah")
    job = Job.objects.exclude(pk=check.pk).get(kind="import.registry")
    assert response["Location"] == reverse("registry:import_detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED and job.params["dry_run"] is False and job.result["imported"] == 2
    assert Person.objects.count() == 2 and job.created_by == operator
    assert not path.exists()  # the clear-text upload is gone once imported
    event = AuditEvent.objects.get(action="registry.import", object_id=str(job.pk))
    assert event.after["comment"] == "Data pendataan Remu, diperiksa bersama lurah"  # NUL cleaned
    assert event.after["check_job"] == check.pk and event.after["imported"] == 2
    confirmed = AuditEvent.objects.get(action="registry.import.confirm", object_id=str(check.pk))
    assert confirmed.actor == operator and confirmed.after["import_job"] == job.pk
    page = client.get(reverse("registry:import_detail", args=[check.pk])).content.decode()
    assert "sudah dikonfirmasi" in page and "Impor sekarang" not in page
    # A second confirmation imports nothing more.
    confirm(client, check)
    assert Job.objects.filter(kind="import.registry").count() == 2 and Person.objects.count() == 2
    page = client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert "Selesai" in page
    report = client.get(reverse("registry:import_report", args=[job.pk]))
    assert report.status_code == 200
    book = load_workbook(filename=io.BytesIO(b"".join(report.streaming_content)))
    rejected = list(book["Ditolak"].iter_rows(values_only=True))
    assert rejected[1][0] == 4 and "NIK" in rejected[1][1]
    assert AuditEvent.objects.filter(action="registry.import.report", actor=personas["operator_sorong"]).exists()


def test_cancel_deletes_the_checked_file(client, personas, upload, confirm):
    client.force_login(personas["facilitator_remu"])
    upload(client)
    check = Job.objects.get(kind="import.registry")
    path = Path(check.params["path"])
    assert path.is_file()
    response = client.post(reverse("registry:import_discard", args=[check.pk]), follow=True)
    assert "berkasnya dihapus" in response.content.decode() and "Impor sekarang" not in response.content.decode()
    assert not path.exists() and Person.objects.count() == 0
    assert AuditEvent.objects.filter(action="registry.import.discard", object_id=str(check.pk)).exists()
    response = confirm(client, check, follow=True)
    assert "dibatalkan" in response.content.decode()
    assert Job.objects.filter(kind="import.registry").count() == 1 and Person.objects.count() == 0


def test_an_expired_or_changed_check_cannot_be_confirmed(client, personas, upload, confirm, settings):
    import datetime as dt

    from django.utils import timezone

    from jaring.core.jobs import purge_expired_files

    client.force_login(personas["operator_sorong"])
    upload(client)
    check = Job.objects.get(kind="import.registry")
    changed = Path(check.params["path"])
    changed.write_text(HEADER + ROWS + "Tambahan;9271011403850002;9271010203150007;14/03/1985;L;Remu\n")
    page = confirm(client, check, follow=True).content.decode()
    assert "berubah" in page and Person.objects.count() == 0
    assert Job.objects.filter(kind="import.registry").count() == 1

    upload(client)
    check = Job.objects.filter(kind="import.registry").latest("pk")
    path = Path(check.params["path"])
    later = timezone.now() + dt.timedelta(hours=settings.JARING_IMPORT_CONFIRM_HOURS - 1)
    purge_expired_files(now=later)
    assert path.is_file() and changed.is_file()  # awaiting their confirmation
    Job.objects.filter(pk=check.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.JARING_IMPORT_CONFIRM_HOURS, minutes=1))
    page = confirm(client, check, follow=True).content.decode()
    assert "kedaluwarsa" in page and "Impor sekarang" not in page and Person.objects.count() == 0
    purge_expired_files(now=timezone.now() + dt.timedelta(hours=1))
    assert not path.exists()  # an unconfirmed check's file goes with the other expired files


def test_only_the_uploader_or_an_admin_may_confirm(client, personas, upload, confirm):
    client.force_login(personas["facilitator_remu"])
    upload(client)
    check = Job.objects.get(kind="import.registry")
    client.force_login(personas["facilitator_klawasi"])
    assert confirm(client, check).status_code == 404
    assert client.post(reverse("registry:import_discard", args=[check.pk])).status_code == 404
    client.force_login(personas["auditor"])
    assert confirm(client, check).status_code == 403
    client.force_login(personas["operator_sorong"])  # sees every import, did not upload this one
    page = confirm(client, check, follow=True).content.decode()
    assert "Hanya pengunggah" in page and Person.objects.count() == 0
    assert Path(check.params["path"]).is_file()
    client.force_login(personas["admin_sorong"])
    confirm(client, check, comment="<script>alert(1)</script>" + "a" * 900)
    job = Job.objects.exclude(pk=check.pk).get(kind="import.registry")
    assert job.created_by == personas["facilitator_remu"] and Person.objects.count() == 2  # as the uploader
    event = AuditEvent.objects.get(action="registry.import", object_id=str(job.pk))
    assert event.after["comment"].startswith("<script>") and len(event.after["comment"]) == 500
    assert event.after["confirmed_by"] == personas["admin_sorong"].pk
    page = client.get(reverse("registry:import_detail", args=[check.pk])).content.decode()
    assert "<script>alert" not in page


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
    assert job.result["imported"] == 2 and Person.objects.count() == 0
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
