"""The poverty-registry extracts (DTSEN, P3KE, DTKS): their columns and codes, each decile with its
source and the extract's date, a history where an older extract never overwrites a newer decile,
and every column the importer does not use listed."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from jaring.core.errors import ValidationFailed
from jaring.registry.importing import import_registry, map_columns
from jaring.registry.models import DataSource, Household, HouseholdDecile, Person
from jaring.testing import run_jaring

KK = "9271010203150007"
DTSEN = ("ID_KELUARGA;NO_KK;NIK;NAMA;JENIS_KELAMIN;TANGGAL_LAHIR;HUBUNGAN_DENGAN_KEPALA_KELUARGA;KELURAHAN;"
         "PEKERJAAN_UTAMA;DESIL_NASIONAL;STATUS_DISABILITAS\n"
         f"K001;{KK};9271011403850001;YOHANES KALAMI;1;14-03-1985;1;Remu;NELAYAN/PERIKANAN;{{d}};0\n"
         f"K001;{KK};9271015508900001;MARIA KALAMI;2;15-08-1990;2;Remu;MENGURUS RUMAH TANGGA;{{d}};0\n"
         f"K001;{KK};9271011006120003;YAKOB KALAMI;1;10-06-2012;3;Remu;PELAJAR/MAHASISWA;{{d}};0\n")


def write(tmp_path, text, name="ekstrak.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(personas, path, **kwargs):  # type: ignore[no-untyped-def]
    result = import_registry(actor=personas["operator_sorong"], path=path, **kwargs)
    assert result.rows == result.imported + result.updated + result.duplicates + result.rejected
    return result


def household():  # type: ignore[no-untyped-def]
    return Household.objects.get()


def test_dtsen_extract_with_coded_sex_relationship_and_national_decile(personas, tmp_path):
    path = write(tmp_path, DTSEN.format(d=3))
    report = tmp_path / "laporan.xlsx"
    result = run(personas, path, profile="dtsen", extract_date=dt.date(2025, 6, 30), report=report)
    assert (result.imported, result.rejected, result.deciles_recorded) == (3, 0, 1)
    summary = dict(load_workbook(report, read_only=True)["Ringkasan"].iter_rows(values_only=True))
    assert summary["Kolom tidak dipakai"] == "ID_KELUARGA, STATUS_DISABILITAS"
    assert result.ignored_columns == ["ID_KELUARGA", "STATUS_DISABILITAS"]
    assert result.as_dict()["ignored_columns"] == ["ID_KELUARGA", "STATUS_DISABILITAS"]
    yohanes = Person.objects.get(full_name="YOHANES KALAMI")
    maria = Person.objects.get(full_name="MARIA KALAMI")
    assert (yohanes.sex, yohanes.relationship, yohanes.occupation.code) == ("M", "head", "fisher")
    assert (maria.sex, maria.relationship, maria.occupation) == ("F", "spouse", None)
    assert Person.objects.get(full_name="YAKOB KALAMI").relationship == "child"
    assert yohanes.data_source == DataSource.DTSEN
    home = household()
    assert (home.welfare_decile, home.decile_source, home.decile_date) == (3, DataSource.DTSEN, dt.date(2025, 6, 30))
    row = HouseholdDecile.objects.get()
    assert (row.decile, row.source, row.extract_date, row.job_id) == (3, "DTSEN", dt.date(2025, 6, 30),
                                                                    result.job_id)


def test_p3ke_extract_takes_its_date_from_the_file(personas, tmp_path):
    path = write(tmp_path, "NIK;Nama;No KK;Tgl Lahir;Jenis Kelamin;Kode Desa;Desil Kesejahteraan;Tanggal Data;"
                           "Pekerjaan\n"
                           f"9271011403850001;Obet Malak;{KK};14/03/1985;L;96.71.01.1004;1;31/12/2023;Petani/Pekebun\n")
    result = run(personas, path, profile="p3ke")
    assert (result.imported, result.deciles_recorded, result.ignored_columns) == (1, 1, [])
    home = household()
    assert (home.welfare_decile, home.decile_source, home.decile_date) == (1, "P3KE", dt.date(2023, 12, 31))
    assert Person.objects.get().occupation.code == "farmer"


def test_dtks_extract_without_a_date_is_refused_until_one_is_given(personas, tmp_path):
    path = write(tmp_path, "NIK;Nama;No KK;Tanggal Lahir;Jenis Kelamin;Kelurahan;Desil\n"
                           f"9271011403850001;Obet Malak;{KK};14/03/1985;1;Remu;2\n")
    with pytest.raises(ValidationFailed) as info:
        run(personas, path, profile="dtks")
    assert info.value.code == "extract_date_required" and "--extract-date" in str(info.value.message)
    assert Person.objects.count() == 0
    result = run(personas, path, profile="dtks", extract_date=dt.date(2022, 3, 1))
    assert result.imported == 1 and Person.objects.get().sex == "M"
    assert (household().decile_source, household().decile_date) == ("DTKS", dt.date(2022, 3, 1))


def test_a_future_extract_date_is_refused(personas, tmp_path):
    with pytest.raises(ValidationFailed) as info:
        run(personas, write(tmp_path, DTSEN.format(d=3)), profile="dtsen", extract_date=dt.date(2999, 1, 1))
    assert info.value.code == "extract_date_future"


def test_sex_coded_1_2_is_still_refused_outside_the_registry_profiles(personas, tmp_path):
    path = write(tmp_path, "NIK;Nama;Tanggal Lahir;Jenis Kelamin;Kelurahan\n9271011403850001;Obet;14/03/1985;1;Remu\n")
    assert run(personas, path).rejected == 1


def test_decile_history_newer_extract_wins_older_is_kept(personas, tmp_path):
    run(personas, write(tmp_path, DTSEN.format(d=3), "juni.csv"), profile="dtsen", extract_date=dt.date(2025, 6, 30))
    # An older P3KE extract arrives later: recorded in the history, the household keeps DTSEN's decile.
    older = run(personas, write(tmp_path, DTSEN.format(d=1), "p3ke.csv"), profile="p3ke",
                extract_date=dt.date(2024, 1, 15))
    assert older.deciles_recorded == 1
    assert (household().welfare_decile, household().decile_source) == (3, "DTSEN")
    # The next quarter's DTSEN: the household takes it.
    run(personas, write(tmp_path, DTSEN.format(d=2), "sept.csv"), profile="dtsen", extract_date=dt.date(2025, 9, 30))
    assert (household().welfare_decile, household().decile_date) == (2, dt.date(2025, 9, 30))
    history = list(HouseholdDecile.objects.filter(household=household()).values_list("source", "extract_date",
                                                                                     "decile"))
    assert history == [("DTSEN", dt.date(2025, 9, 30), 2), ("DTSEN", dt.date(2025, 6, 30), 3),
                       ("P3KE", dt.date(2024, 1, 15), 1)]
    # The same extract again adds nothing.
    again = run(personas, write(tmp_path, DTSEN.format(d=2), "sept.csv"), profile="dtsen",
                extract_date=dt.date(2025, 9, 30))
    assert again.deciles_recorded == 0 and HouseholdDecile.objects.count() == 3


def test_dry_run_records_no_decile(personas, tmp_path):
    result = run(personas, write(tmp_path, DTSEN.format(d=3)), profile="dtsen", extract_date=dt.date(2025, 6, 30),
                 dry_run=True)
    assert result.deciles_recorded == 0 and HouseholdDecile.objects.count() == 0


def test_a_bad_date_cell_drops_that_rows_decile_with_a_warning(personas, tmp_path):
    path = write(tmp_path, "NIK;Nama;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan;Desil Kesejahteraan;Tanggal Data\n"
                           f"9271011403850001;Obet Malak;{KK};14/03/1985;L;Remu;1;kemarin\n")
    result = run(personas, path, profile="p3ke")
    assert (result.imported, result.warnings, result.deciles_recorded) == (1, 1, 0)
    assert household().welfare_decile is None


def test_profile_headers_are_data(personas):
    import polars as pl

    frame = pl.DataFrame({h: ["x"] for h in ["NIK", "NAMA", "TANGGAL_LAHIR", "KELURAHAN", "DESIL_NASIONAL",
                                               "PEKERJAAN_UTAMA"]})
    columns = map_columns(frame, "dtsen")
    assert (columns["decile"], columns["occupation"]) == ("DESIL_NASIONAL", "PEKERJAAN_UTAMA")


def test_cli_extract_date_and_unused_columns(personas, tmp_path, capsys):
    path = write(tmp_path, DTSEN.format(d=4))
    code, out, err = run_jaring(capsys, "import", "registry", str(path), "--profile", "dtsen", "--extract-date",
                                "2025-06-30", "--as", "operator_sorong")
    assert code == 0, err
    assert "imported=3" in out and "deciles_recorded=1" in out
    assert "ID_KELUARGA, STATUS_DISABILITAS" in out
    assert household().decile_date == dt.date(2025, 6, 30)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_jaring(capsys, "import", "registry", str(path), "--profile", "dtsen", "--extract-date", "30/06/2025",
                   "--as", "operator_sorong")


def test_web_form_takes_the_extract_date_and_shows_unused_columns(client, personas,
                                                                 django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from jaring.core.models import Job

    client.force_login(personas["operator_sorong"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registry:import_start"), {
            "file": SimpleUploadedFile("dtsen.csv", DTSEN.format(d=2).encode()), "profile": "dtsen",
            "extract_date": "2025-06-30"})
    check = Job.objects.get(kind="import.registry")
    assert check.result["imported"] == 3 and check.result["profile"] == "dtsen"
    page = client.get(response["Location"]).content.decode()
    assert "ID_KELUARGA, STATUS_DISABILITAS" in page and "Impor sekarang" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registry:import_confirm", args=[check.pk]), {"confirmed": "1"})
    job = Job.objects.exclude(pk=check.pk).get(kind="import.registry")
    assert job.result["imported"] == 3 and job.result["deciles_recorded"] == 1
    assert household().decile_date == dt.date(2025, 6, 30)
    page = client.get(response["Location"]).content.decode()
    assert "ID_KELUARGA, STATUS_DISABILITAS" in page
