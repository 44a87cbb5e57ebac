"""Hostile import files, through the CLI and through the web upload: each ends its job failed (or
finished) with a reason, the test process (the server) survives it, the upload is gone, no worker
directory is left behind, and no error report holds a whole NIK."""

from __future__ import annotations

import io
import json
import re
import subprocess
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from jaring.core import sandbox
from jaring.core.errors import ValidationFailed
from jaring.core.jobs import JobCancelled, job_request_cancel, purge_expired_files
from jaring.core.models import Job
from jaring.registry.importing import import_registry
from jaring.registry.models import Person

HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa\n"
GOOD = "Yohanes Kalami;9271011403850001;9271010203150007;14/03/1985;L;Remu\n"
BAD_NIK = "Rusak Sekali;9271011403850000;9271010203150007;14/03/1985;L;Remu\n"  # serial 0000: rejected
FULL_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture(autouse=True)
def _own_home(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A home of this test's own: what it counts and purges is only its own."""
    settings.JARING_HOME = tmp_path / "home"
    settings.JARING_HOME.mkdir(mode=0o700)


# --- Files ------------------------------------------------------------------------------------

def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def patched(data: bytes, *, dimension: str | None = None, rows: bytes = b"",
            sheet: bytes | None = None) -> bytes:
    """The workbook with its first sheet's XML changed: another declared dimension, extra rows
    at the end, or a whole other sheet."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if sheet is not None:
                    content = sheet
                if dimension:
                    content = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), content)
                content = content.replace(b"</sheetData>", rows + b"</sheetData>")
            target.writestr(info.filename, content)
    return out.getvalue()


HEADERS = ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan"]


def max_dimension_xlsx() -> bytes:
    """The file that killed the server: the largest sheet Excel allows, declared, and one far cell
    (calamine sizes its grid by it: 1,048,576 × 16,384 cells, 512 GB)."""
    return patched(workbook([HEADERS]), dimension="A1:XFD1048576",
                   rows=b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>')


def zip_bomb_xlsx(megabytes: int = 64) -> bytes:
    """A sheet of ``megabytes`` MB of identical rows, compressed about a thousand to one."""
    row = b"<row><c><v>1</v></c></row>"
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    body = row * (megabytes * 2**20 // len(row))
    return patched(workbook([HEADERS]), sheet=head + body + b"</sheetData></worksheet>")


def garbage_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("sampah.bin", bytes(range(256)) * 64)
        target.writestr("catatan.txt", "bukan lembar kerja")
    return out.getvalue()


def not_a_table() -> bytes:
    """A PNG image: binary from its first bytes."""
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 200


# --- Paths through the application ---------------------------------------------------------------

def report_has_no_full_nik(report: str | None) -> bool:
    if not report:
        return True
    book = load_workbook(report, read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if v is not None]
    return not any(FULL_NIK.search(c) for c in cells)


def no_worker_left() -> bool:
    folder = Path(settings.JARING_HOME) / "tmp"
    return not folder.is_dir() or not any(folder.glob("sandbox-*"))


def via_cli(personas: dict[str, Any], tmp_path: Path, name: str, data: bytes) -> tuple[Job, Path]:
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_registry", str(path), "--as", "operator_sorong", "--json", stdout=out, stderr=err)
    except SystemExit as exit_:
        assert exit_.code != 0
        assert json.loads(out.getvalue())["error"]["message"]
    return Job.objects.filter(kind="import.registry").latest("pk"), path


def via_web(client: Any, capture: Any, personas: dict[str, Any], name: str, data: bytes) -> tuple[Job, Path]:
    client.force_login(personas["operator_sorong"])
    with capture(execute=True):
        response = client.post(reverse("registry:import_start"),
                               {"file": SimpleUploadedFile(name, data), "profile": "auto"})
    assert response.status_code == 302, response.content.decode()[:500]
    job = Job.objects.filter(kind="import.registry").latest("pk")
    page = client.get(reverse("registry:import_detail", args=[job.pk]))
    assert page.status_code == 200  # the server still answers, with the outcome
    if job.status == Job.Status.FAILED:
        assert job.message.split("(")[0][:40] in page.content.decode()
    if job.status == Job.Status.SUCCEEDED:  # a check: "Impor sekarang" imports the same file
        assert Path(job.params["path"]).is_file()
        with capture(execute=True):
            client.post(reverse("registry:import_confirm", args=[job.pk]), {"confirmed": "1"})
        job = Job.objects.filter(kind="import.registry").latest("pk")
    return job, Path(job.params["path"])


@pytest.fixture(params=["cli", "web"])
def run_import(request, personas, tmp_path, client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    def run(name: str, data: bytes) -> Job:
        if request.param == "cli":
            job, path = via_cli(personas, tmp_path, name, data)
        else:
            job, path = via_web(client, django_capture_on_commit_callbacks, personas, name, data)
            assert not path.exists()  # the clear-text upload is gone, whatever the outcome
        job.refresh_from_db()
        assert job.status in (Job.Status.FAILED, Job.Status.SUCCEEDED)
        assert job.status == Job.Status.SUCCEEDED or job.message
        assert len(job.message) < 800  # a reason, not the file
        assert no_worker_left()
        assert report_has_no_full_nik((job.result or {}).get("report"))
        return job

    return run


# --- Refused files --------------------------------------------------------------------------------

def test_max_dimension_xlsx_fails_its_job_not_the_server(run_import):
    data = max_dimension_xlsx()
    assert len(data) < 8 * 1024
    job = run_import("besar.xlsx", data)
    assert job.status == Job.Status.FAILED
    assert "Lembar Data" in job.message and "16384 kolom" in job.message
    assert Person.objects.count() == 0


def test_a_declared_dimension_alone_is_refused(run_import):
    job = run_import("dimensi.xlsx", patched(workbook([HEADERS]), dimension="A1:XFD1048576"))
    assert job.status == Job.Status.FAILED and "menyatakan ukuran" in job.message


def test_zip_bomb_xlsx_is_refused_before_it_is_inflated(run_import):
    data = zip_bomb_xlsx()
    assert len(data) < 1024 * 1024
    job = run_import("bom.xlsx", data)
    assert job.status == Job.Status.FAILED and "dimampatkan secara tidak wajar" in job.message


def test_a_bomb_within_the_ratio_is_stopped_by_the_rows_it_holds(personas, tmp_path, settings):
    settings.JARING_IMPORT_MAX_RATIO = 10**6
    settings.JARING_IMPORT_MAX_ROWS = 100_000
    job, _path = via_cli(personas, tmp_path, "bom.xlsx", zip_bomb_xlsx(8))
    assert job.status == Job.Status.FAILED and "Lembar Data" in job.message and "100000 baris" in job.message


def test_zip_of_garbage_named_xlsx(run_import):
    job = run_import("data.xlsx", garbage_zip())
    assert job.status == Job.Status.FAILED and "bukan buku kerja Excel" in job.message


def test_text_named_xlsx(run_import):
    job = run_import("data.xlsx", (HEADER + GOOD).encode())
    assert job.status == Job.Status.FAILED and "bukan ZIP" in job.message


def test_a_file_that_is_not_a_table(run_import):
    job = run_import("foto.csv", not_a_table())
    assert job.status == Job.Status.FAILED and "bukan tabel" in job.message


def test_ten_megabyte_line_fails_fast_with_a_short_message(run_import):
    job = run_import("satu-baris.csv", b"NIK;Nama;" + b"x" * (10 * 1024 * 1024) + b"\n")
    assert job.status == Job.Status.FAILED
    assert "Baris 1 berkas terlalu panjang" in job.message and len(job.message) < 300


def test_a_one_megabyte_cell_names_its_line(run_import):
    body = HEADER + GOOD + "Orang;9271011403850002;;14/03/1985;L;" + "R" * 1024 * 1024 + "\n"
    job = run_import("sel.csv", body.encode())
    assert job.status == Job.Status.FAILED and "Baris 3 berkas terlalu panjang" in job.message
    assert Person.objects.count() == 0


def test_mixed_encodings_are_refused_with_the_line(run_import):
    body = (HEADER + "José Nuñez;9271011403850001;;14/03/1985;L;Remu\n").encode() + \
        "Ana Peña;9271015508900001;;15/08/1990;P;Remu\n".encode("cp1252")
    job = run_import("campur.csv", body)
    assert job.status == Job.Status.FAILED and "mencampur UTF-8" in job.message and "baris 3" in job.message


def test_headers_in_the_message_are_cut_and_niks_masked(run_import):
    body = "9271011403850001;" + ";".join(f"kolom {'x' * 200} {i}" for i in range(60)) + "\nA;B\n"
    job = run_import("tanpa-judul.csv", body.encode())
    assert job.status == Job.Status.FAILED and "Kolom wajib tidak ditemukan" in job.message
    assert "9271********0001" in job.message and not FULL_NIK.search(job.message)


# --- Files that are read, with a reason for what changed ---------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_is_decoded(run_import, encoding):
    body = HEADER + GOOD + "José Nuñez;9271015508900001;;15/08/1990;P;Remu\n" + BAD_NIK
    job = run_import("utf16.csv", body.encode(encoding))  # "utf-16" writes a BOM, the others none
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.result["imported"], job.result["rejected"]) == (2, 1)
    assert Person.objects.filter(full_name="José Nuñez").exists()
    rejected = list(load_workbook(job.result["report"])["Ditolak"].iter_rows(min_row=2, values_only=True))
    assert rejected[0][0] == 4 and "9271********0000" in rejected[0]  # masked; the row number finds it


def test_control_characters_are_removed_and_said(run_import):
    body = (HEADER + "Yo\x00hanes\x07 Kalami;9271011403850001;;14/03/1985;L;Remu\n"
            "Maria\x1b Kalami;92710155\x0008900001;;15/08/1990;P;Remu\n" + BAD_NIK)
    job = run_import("kontrol.csv", body.encode())
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["imported"] == 2 and job.result["warnings"] == 2
    assert Person.objects.filter(full_name="Yohanes Kalami").exists()
    assert Person.objects.filter(full_name="Maria Kalami").exists()
    warned = list(load_workbook(job.result["report"])["Peringatan"].iter_rows(min_row=2, values_only=True))
    assert [w[0] for w in warned] == [2, 3] and all("Karakter kontrol" in w[2] for w in warned)


def test_an_eight_bit_file_is_read_as_windows_1252_and_says_so(run_import):
    body = HEADER + "José Nuñez;9271011403850001;;14/03/1985;L;Remu\n"
    job = run_import("lama.csv", body.encode("cp1252"))
    assert job.status == Job.Status.SUCCEEDED and job.result["imported"] == 1
    assert any("Windows-1252" in note for note in job.result["notes"])
    assert Person.objects.filter(full_name="José Nuñez").exists()


def test_report_masks_niks_and_kks_and_is_owner_only(personas, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(HEADER + GOOD + BAD_NIK + "Dua Kali;9271011403850001;9271010203150007;14/03/1985;L;Remu\n")
    result = import_registry(actor=personas["operator_sorong"], path=path)
    assert result.rejected == 1 and result.duplicates == 1
    assert report_has_no_full_nik(result.report)
    book = load_workbook(result.report)
    row = next(book["Ditolak"].iter_rows(min_row=2, values_only=True))
    assert row[0] == 3 and "9271********0000" in row and "9271********0007" in row
    assert Path(result.report).stat().st_mode & 0o077 == 0
    assert (Path(result.report).parent.stat().st_mode & 0o077) == 0


# --- Limits that stop a worker --------------------------------------------------------------------

def test_worker_killed_by_the_memory_limit_fails_the_job(run_import, settings):
    """The reader's own checks switched off: calamine asks for 100 columns × 1,048,576 rows (3.3 GB of
    address space, which the kernel would grant untouched) and the worker's RLIMIT_AS stops it."""
    settings.JARING_IMPORT_MAX_CELLS = 10**12
    settings.JARING_IMPORT_MAX_ROWS = 10**7
    settings.JARING_IMPORT_MAX_COLUMNS = 20_000
    settings.JARING_IMPORT_MEMORY_MB = 2048
    data = patched(workbook([HEADERS]), rows=b'<row r="1048576"><c r="CV1048576" t="n"><v>1</v></c></row>')
    job = run_import("memori.xlsx", data)
    assert job.status == Job.Status.FAILED and "memori" in job.message and "2048 MB" in job.message


def test_wall_clock_limit_kills_the_worker(run_import, settings):
    settings.JARING_IMPORT_SECONDS = 0  # no worker starts Python and polars within one poll
    job = run_import("data.csv", (HEADER + GOOD).encode())
    assert job.status == Job.Status.FAILED and "batas waktu" in job.message


def _cancel_as_soon_as_the_worker_starts(monkeypatch, operator) -> list[subprocess.Popen]:  # type: ignore[no-untyped-def]
    started: list[subprocess.Popen] = []

    def popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        process = subprocess.Popen(*args, **kwargs)
        started.append(process)
        job = Job.objects.get(kind="import.registry", status=Job.Status.RUNNING)
        assert job_request_cancel(actor=operator, job=job)  # the cancel file, right after the start
        return process

    fake = types.SimpleNamespace(Popen=popen, DEVNULL=subprocess.DEVNULL, TimeoutExpired=subprocess.TimeoutExpired)
    monkeypatch.setattr(sandbox, "subprocess", fake)
    return started


def big_csv(rows: int = 200_000) -> str:
    line = GOOD.rstrip("\n")
    return HEADER + "\n".join(line for _ in range(rows)) + "\n"


def test_cancel_while_reading_kills_the_worker(personas, tmp_path, monkeypatch):
    operator = personas["operator_sorong"]
    path = tmp_path / "besar.csv"
    path.write_text(big_csv())
    started = _cancel_as_soon_as_the_worker_starts(monkeypatch, operator)
    stages: list[str] = []
    with pytest.raises(JobCancelled):
        import_registry(actor=operator, path=path, progress=lambda stage, done, total: stages.append(stage))
    job = Job.objects.get(kind="import.registry")
    assert job.status == Job.Status.CANCELLED and operator.name in job.message
    assert set(stages) == {"read"}  # stopped while reading
    assert len(started) == 1 and started[0].returncode is not None and started[0].returncode < 0  # killed
    assert Person.objects.count() == 0 and no_worker_left()


def test_cancel_while_reading_from_the_web_deletes_the_upload(client, personas, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    started = _cancel_as_soon_as_the_worker_starts(monkeypatch, personas["operator_sorong"])
    job, path = via_web(client, django_capture_on_commit_callbacks, personas, "besar.csv", big_csv().encode())
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and started[0].returncode < 0
    assert not path.exists() and no_worker_left()


def test_a_refused_file_from_the_api_of_the_service_raises_with_the_reason(personas, tmp_path):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(zip_bomb_xlsx(8))
    with pytest.raises(ValidationFailed) as info:
        import_registry(actor=personas["operator_sorong"], path=path)
    assert info.value.code == "zip_ratio"


# --- Expiry ---------------------------------------------------------------------------------------

def test_reports_expire_and_the_download_says_so(client, personas, tmp_path, settings):
    import datetime as dt

    from django.utils import timezone

    path = tmp_path / "data.csv"
    path.write_text(HEADER + GOOD + BAD_NIK)
    result = import_registry(actor=personas["operator_sorong"], path=path)
    report = Path(result.report)
    client.force_login(personas["operator_sorong"])
    url = reverse("registry:import_report", args=[result.job_id])
    assert client.get(url).status_code == 200
    later = timezone.now() + dt.timedelta(days=settings.JARING_REPORT_RETENTION_DAYS + 1)
    assert purge_expired_files(now=later)["reports"] >= 1
    assert not report.exists()
    response = client.get(url, follow=True)
    assert response.status_code == 200 and "kedaluwarsa" in response.content.decode()
    assert reverse("registry:import_report", args=[result.job_id]) not in response.content.decode()


def test_leftover_uploads_and_worker_directories_are_purged(personas, settings):
    import datetime as dt

    from django.utils import timezone

    home = Path(settings.JARING_HOME)
    (home / "uploads").mkdir(exist_ok=True)
    orphan = home / "uploads" / "sisa.csv"
    orphan.write_text(HEADER + GOOD)
    needed = home / "uploads" / "antre.csv"
    needed.write_text(HEADER + GOOD)
    Job.objects.create(kind="import.registry", created_by=personas["operator_sorong"], status=Job.Status.QUEUED,
                       params={"path": str(needed)})
    folder = home / "uploads" / "bpjstk-sisa"  # an upload kept under its own name in a folder
    folder.mkdir()
    (folder / "laporan.csv").write_text("KPJ,Bulan\n")
    kept = home / "uploads" / "bpjstk-antre"
    kept.mkdir()
    (kept / "status.csv").write_text("KPJ,Status\n")
    Job.objects.create(kind="bpjstk.upload", created_by=personas["operator_sorong"], status=Job.Status.RUNNING,
                       params={"path": str(kept / "status.csv")})
    worker = sandbox.private_dir("tmp") / "sandbox-sisa"
    worker.mkdir()
    (worker / "result.arrow").write_bytes(b"x")
    assert purge_expired_files()["uploads"] == 0 and orphan.exists()  # too young: its job may be coming
    removed = purge_expired_files(now=timezone.now() + dt.timedelta(hours=2))
    assert removed["uploads"] == 2 and removed["tmp"] == 1
    assert not orphan.exists() and needed.exists() and not worker.exists()
    assert not folder.exists() and kept.exists()
    out = io.StringIO()
    call_command("purge_files", "--json", stdout=out)
    assert set(json.loads(out.getvalue())) == {"reports", "uploads", "tmp"}
