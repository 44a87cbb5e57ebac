"""Kobo XLSX and ODK Central JSON through the registry import: staged, applied, idempotent, edits."""

import copy
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from jaring.core.errors import ValidationFailed
from jaring.core.models import AuditEvent
from jaring.outreach import services
from jaring.outreach.models import FieldSubmission
from jaring.outreach.submissions import looks_like_kobo, looks_like_odk, read_kobo_xlsx, read_odk_json
from jaring.registry.importing import import_registry
from jaring.registry.models import Household, Person

SAMPLES = Path(__file__).resolve().parent / "samples"
KOBO = SAMPLES / "kobo_rumah_tangga.xlsx"
ODK = SAMPLES / "odk_rumah_tangga.json"
KALAMI = "uuid:5b1e7d0c-2f4a-4c61-9a55-0d3e8c1f7a01"
RAHMA = "uuid:a3c94f12-6b8e-4d07-b1f2-7e5a9c0d4b22"
NO_CONSENT = "uuid:e07b2d55-91c3-4a8f-8f60-3b2c1d9e6f33"
MAMBRASAR = "uuid:0f5c8a3e-4d21-4b7a-9e6f-1a2b3c4d5e01"


def run(personas, path, user="operator_sorong", profile="auto", **kwargs):  # type: ignore[no-untyped-def]
    result = import_registry(actor=personas[user], path=path, profile=profile, **kwargs)
    assert result.rows == result.imported + result.updated + result.duplicates + result.rejected
    return result


def counts(result):  # type: ignore[no-untyped-def]
    return result.imported, result.updated, result.duplicates, result.rejected


def odk_doc():  # type: ignore[no-untyped-def]
    return json.loads(ODK.read_text(encoding="utf-8"))


def write_json(tmp_path, doc, name="odk.json"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def kobo_copy(tmp_path, name="kobo.xlsx"):  # type: ignore[no-untyped-def]
    target = tmp_path / name
    shutil.copy(KOBO, target)
    return target


def edit_kobo(path, main=None, members=None):  # type: ignore[no-untyped-def]
    """Change cells by header: ``main`` and ``members`` map (row number, header) → value."""
    book = load_workbook(path)
    for sheet, changes in ((book.worksheets[0], main or {}), (book["anggota"], members or {})):
        headers = [c.value for c in sheet[1]]
        for (row, header), value in changes.items():
            sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    book.save(path)
    return path


# --- Parsing ----------------------------------------------------------------------------------

def test_kobo_export_is_read_with_members_joined_by_parent_index():
    parsed = read_kobo_xlsx(KOBO)
    assert [s.instance_id for s in parsed.submissions] == [KALAMI, RAHMA, NO_CONSENT]
    kalami = parsed.submissions[0]
    assert [m.values["nama"] for m in kalami.members] == ["Yohanes Kalami", "Maria Kalami", "Daniel Kalami"]
    assert kalami.values["kelurahan"] == "96.71.01.1004" and kalami.values["no_kk"] == "9271010203150007"
    assert kalami.submitted_at == dt.datetime(2026, 11, 20, 1, 15, 33, tzinfo=dt.UTC)
    assert (kalami.latitude, kalami.longitude) == (-0.8795, 131.2633)
    assert kalami.root_id == KALAMI and kalami.deprecated_id == "" and kalami.submitted_by == "pendamping_sorong"
    # The NIK Excel turned into a number stays damaged, so the NIK rules reject it.
    assert parsed.submissions[1].members[2].values["nik"] == "9.271035E+15"
    assert parsed.member_rows == 6 and parsed.orphans == []


def test_odk_json_is_read_with_expanded_repeats():
    parsed = read_odk_json(ODK)
    first = parsed.submissions[0]
    assert first.instance_id == first.root_id == MAMBRASAR
    assert first.form_id == "jaring_rumah_tangga" and first.form_version == "2026112501"
    assert first.values["kelurahan"] == "96.71.06.1002" and first.values["desil"] == "1"
    assert (first.latitude, first.longitude) == (-0.8663, 131.2811)
    assert [m.values["nik"] for m in first.members][:1] == ["9271062512780007"]
    assert len(first.members[0].key) == 40 and parsed.member_rows == 6


def test_detection_claims_only_kobo_and_odk_files(tmp_path):
    assert looks_like_kobo(KOBO) and not looks_like_odk(KOBO)
    assert looks_like_odk(ODK) and not looks_like_kobo(ODK)
    other = tmp_path / "p3ke.csv"
    other.write_text("NIK;Nama\n", encoding="utf-8")
    assert not looks_like_kobo(other) and not looks_like_odk(other)


# --- Importing ---------------------------------------------------------------------------------

def test_kobo_export_imports_households_with_members_linked(personas):
    result = run(personas, KOBO, profile="kobo")
    assert counts(result) == (5, 0, 0, 1) and result.rows == 6 and result.warnings == 1
    kalami = Household.objects.get(members__full_name="Yohanes Kalami")
    members = {p.full_name: p for p in kalami.members.all()}
    assert set(members) == {"Yohanes Kalami", "Maria Kalami", "Daniel Kalami"}
    assert members["Maria Kalami"].relationship == "spouse" and members["Yohanes Kalami"].relationship == "head"
    assert kalami.kelurahan.code == "96.71.01.1004" and kalami.welfare_decile == 1 and kalami.pkh_beneficiary
    assert kalami.address.startswith("Jl. Basuki Rahmat") and kalami.data_source == "field_survey"
    yohanes = members["Yohanes Kalami"]
    assert yohanes.occupation.code == "ojek_driver" and yohanes.transport_sector
    assert (yohanes.consent_basis, yohanes.consent_date) == ("consent", dt.date(2026, 11, 20))
    assert yohanes.consent_recorded_by == personas["operator_sorong"] and yohanes.data_source == "field_survey"
    assert members["Daniel Kalami"].occupation is None
    ahmad = Person.objects.get(full_name="Ahmad Rahma")  # confirmed in the form: applied, kept for review
    assert ahmad.confirmed_warnings == ["nik_birth_date_mismatch"] and ahmad.household.members.count() == 2
    assert not Person.objects.filter(full_name="Nur Rahma").exists()

    staged = {s.instance_id: s for s in FieldSubmission.objects.all()}
    assert staged[KALAMI].status == "applied" and staged[KALAMI].household == kalami
    assert set(staged[KALAMI].persons.all()) == set(members.values())
    assert staged[KALAMI].applied_by == personas["operator_sorong"] and staged[KALAMI].latitude is not None
    assert staged[KALAMI].raw["members"][1]["values"]["nama"] == "Maria Kalami"
    assert staged[NO_CONSENT].status == "rejected" and "persetujuan" in staged[NO_CONSENT].error
    assert staged[NO_CONSENT].raw["values"] == {}  # without consent only the metadata is kept

    rejected = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))
    assert rejected[1][:4] == (RAHMA, 3, 7, "nik") and "Excel" in rejected[1][4]
    assert rejected[1][5:] == ("Nur Rahma", "…")  # a damaged NIK is not even shown masked


def test_reimporting_the_same_file_changes_nothing(personas):
    run(personas, KOBO, profile="kobo")
    persons, households, events = Person.objects.count(), Household.objects.count(), AuditEvent.objects.count()
    again = run(personas, KOBO)  # auto detects the Kobo export
    assert counts(again) == (0, 0, 5, 1)
    assert (Person.objects.count(), Household.objects.count()) == (persons, households)
    assert FieldSubmission.objects.count() == 3
    assert AuditEvent.objects.count() == events + 1  # only the import's own summary


def test_odk_json_imports_households_with_members_linked(personas):
    result = run(personas, ODK)  # auto
    assert counts(result) == (5, 0, 0, 1)
    mambrasar = Household.objects.get(members__full_name="Kornelius Mambrasar")
    assert mambrasar.members.count() == 3 and mambrasar.kelurahan.name == "Malawei"
    agustina = Person.objects.get(full_name="Agustina Wanma")
    assert agustina.disability == "physical" and agustina.consent_basis == "public_task"
    assert agustina.household.welfare_decile is None and not agustina.household.pkh_beneficiary
    assert not Person.objects.filter(full_name="Lince Kambu").exists()
    rejected = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))
    assert rejected[1][1] == 2 and "bulan" in rejected[1][4] and rejected[1][6] == "9271********1234"
    staged = FieldSubmission.objects.get(instance_id=MAMBRASAR)
    assert staged.source == "odk" and staged.form_id == "jaring_rumah_tangga"
    assert staged.submitted_by == "Maria Mobalen"
    assert counts(run(personas, ODK, profile="odk")) == (0, 0, 5, 1)


def test_dry_run_stages_and_writes_nothing(personas):
    events = AuditEvent.objects.count()
    result = run(personas, ODK, dry_run=True)
    assert counts(result) == (5, 0, 0, 1) and result.dry_run
    assert (FieldSubmission.objects.count(), Person.objects.count(), Household.objects.count()) == (0, 0, 0)
    assert AuditEvent.objects.count() == events


def test_facilitator_imports_only_their_area(personas):
    result = run(personas, KOBO, user="facilitator_remu")
    assert counts(result) == (3, 0, 0, 3)
    assert not Person.objects.filter(full_name="Siti Rahma").exists()
    rahma = FieldSubmission.objects.get(instance_id=RAHMA)
    assert rahma.status == "rejected" and "di luar wilayah tugas Anda" in rahma.error
    rows = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))
    assert {r[4] for r in rows[1:]} == {"Kelurahan Klawasi di luar wilayah tugas Anda."}
    # The office then imports the same file: the rejected submission is tried again.
    assert counts(run(personas, KOBO)) == (2, 0, 3, 1)


def test_kobo_edit_with_deprecated_id_updates_the_same_records(personas, tmp_path):
    run(personas, KOBO)
    maria = Person.objects.get(full_name="Maria Kalami")
    edited_uuid = "7d4f1c2a-0b9e-4f3d-8a6c-5e2b1d0c9f44"
    path = edit_kobo(kobo_copy(tmp_path), main={
        (2, "_uuid"): edited_uuid, (2, "meta/instanceID"): f"uuid:{edited_uuid}",
        (2, "meta/deprecatedID"): KALAMI, (2, "keluarga/alamat"): "Jl. Basuki Rahmat Km 9, RT 003/RW 004",
    }, members={
        (3, "keluarga/anggota/nama"): "Maria Magdalena Kalami", (2, "keluarga/anggota/no_hp"): "081200001111",
        (2, "_submission__uuid"): edited_uuid, (3, "_submission__uuid"): edited_uuid,
        (4, "_submission__uuid"): edited_uuid,
    })
    result = run(personas, path)
    assert counts(result) == (0, 2, 3, 1)  # Maria and Yohanes corrected; Daniel and the Rahmas unchanged
    maria.refresh_from_db()
    assert maria.full_name == "Maria Magdalena Kalami"
    yohanes = Person.objects.get(full_name="Yohanes Kalami")
    assert yohanes.phone == "081200001111"  # an edit overwrites; an ordinary import only fills
    assert yohanes.household.address.startswith("Jl. Basuki Rahmat Km 9")
    old, new = FieldSubmission.objects.get(instance_id=KALAMI), FieldSubmission.objects.get(deprecated_id=KALAMI)
    assert old.status == "superseded" and old.superseded_by == new and new.status == "applied"
    assert Person.objects.count() == 5
    # The original export again: the superseded version changes nothing.
    assert counts(run(personas, KOBO)) == (0, 0, 5, 1)
    assert Person.objects.get(pk=maria.pk).full_name == "Maria Magdalena Kalami"


def test_odk_central_edit_keeps_id_and_corrects_a_nik_typo(personas, tmp_path):
    original = odk_doc()
    original["value"] = original["value"][:1]
    original["value"][0]["keluarga"]["anggota"][2]["nik"] = "9271060304150099"  # typo: serial 0099
    assert counts(run(personas, write_json(tmp_path, original))) == (3, 0, 0, 0)
    petrus = Person.objects.get(full_name="Petrus Mambrasar")
    edited = copy.deepcopy(original)
    entry = edited["value"][0]
    entry["meta"]["instanceID"] = "uuid:c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e55"  # Central keeps __id
    entry["__system"].update(edits=1, updatedAt="2026-11-22T01:00:00.000Z", reviewState="edited")
    entry["keluarga"]["anggota"][2]["nik"] = "9271060304150009"
    result = run(personas, write_json(tmp_path, edited, "edited.json"))
    assert counts(result) == (0, 1, 2, 0)
    petrus.refresh_from_db()
    assert petrus.nik == "9271060304150009" and Person.objects.count() == 3
    assert FieldSubmission.objects.get(instance_id=MAMBRASAR).status == "superseded"
    # An old download again: the first version is history and changes nothing.
    assert counts(run(personas, write_json(tmp_path, original, "old.json"))) == (0, 0, 3, 0)
    assert Person.objects.get(pk=petrus.pk).nik == "9271060304150009"


def test_edit_arriving_before_its_original_wins(personas, tmp_path):
    edited_uuid = "7d4f1c2a-0b9e-4f3d-8a6c-5e2b1d0c9f44"
    path = edit_kobo(kobo_copy(tmp_path), main={
        (2, "_uuid"): edited_uuid, (2, "meta/instanceID"): f"uuid:{edited_uuid}", (2, "meta/deprecatedID"): KALAMI,
    }, members={(3, "keluarga/anggota/nama"): "Maria Magdalena Kalami"})
    assert counts(run(personas, path)) == (5, 0, 0, 1)
    assert counts(run(personas, KOBO)) == (0, 0, 5, 1)
    assert FieldSubmission.objects.get(instance_id=KALAMI).status == "superseded"
    assert Person.objects.filter(full_name="Maria Magdalena Kalami").exists()
    assert not Person.objects.filter(full_name="Maria Kalami").exists()


def test_a_rejected_edit_does_not_hide_its_original(personas, tmp_path):
    edited_uuid = "7d4f1c2a-0b9e-4f3d-8a6c-5e2b1d0c9f44"
    path = edit_kobo(kobo_copy(tmp_path), main={
        (2, "_uuid"): edited_uuid, (2, "meta/instanceID"): f"uuid:{edited_uuid}", (2, "meta/deprecatedID"): KALAMI,
    }, members={(3, "keluarga/anggota/nama"): "Maria Magdalena Kalami"})
    assert counts(run(personas, path, user="facilitator_klawasi"))[0] == 2  # Remu is not hers: rejected
    assert counts(run(personas, KOBO)) == (3, 0, 2, 1)  # the original goes in
    assert counts(run(personas, path)) == (0, 1, 4, 1)  # then the edit corrects Maria
    assert Person.objects.filter(full_name="Maria Magdalena Kalami").count() == 1 and Person.objects.count() == 5


def test_one_bad_submission_never_blocks_the_others(personas, tmp_path, monkeypatch):
    doc = odk_doc()
    doc["value"][0]["keluarga"]["no_kk"] = "92710608071200"  # 14 digits
    doc["value"].insert(1, {"__system": {}, "meta": {}, "keluarga": {"anggota": [{"nik": "9271011403850001"}]}})
    doc["value"][2]["keluarga"]["kelurahan"] = "99.99.99.9999"
    doc["value"].append({**copy.deepcopy(doc["value"][3]), "__id": "uuid:00000000-0000-4000-8000-000000000001",
                         "meta": {"instanceID": "uuid:00000000-0000-4000-8000-000000000001"}})
    doc["value"][4]["keluarga"]["no_kk"] = "9271070910200099"
    doc["value"][4]["keluarga"]["anggota"] = [doc["value"][4]["keluarga"]["anggota"][0]]
    doc["value"][4]["keluarga"]["anggota"][0]["nik"] = "9271071107700099"
    real = services._apply_member

    def explode(actor, item, household, target, out):  # type: ignore[no-untyped-def]
        if item.nik == "9271071107700099":
            raise RuntimeError("boom")
        return real(actor, item, household, target, out)

    monkeypatch.setattr(services, "_apply_member", explode)
    result = run(personas, write_json(tmp_path, doc))
    # KK, missing id, unknown kelurahan and a crash are rejected; Markus still goes in.
    assert counts(result) == (1, 0, 0, 3 + 1 + 1 + 1 + 1)
    assert Person.objects.filter(full_name="Markus Kambu").exists()
    reasons = {r[4] for r in list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))[1:]}
    assert any("KK" in r for r in reasons) and any("instanceID" in r for r in reasons)
    assert any("Kesalahan sistem" in r for r in reasons) and any("tidak dikenal" in r for r in reasons)
    crashed = FieldSubmission.objects.get(instance_id="uuid:00000000-0000-4000-8000-000000000001")
    assert crashed.status == "staged" and not Household.objects.filter(members__isnull=True).exists()


def test_registered_person_is_filled_and_linked_not_overwritten(personas, register_person):
    person = register_person(nik="9271062512780007", full_name="Kornelius Mambrasar",
                             birth_date=dt.date(1978, 12, 25), kelurahan="96.71.06.1002", phone="",
                             occupation="driver")
    result = run(personas, ODK)
    assert counts(result) == (4, 1, 0, 1)
    person.refresh_from_db()
    assert person.occupation.code == "driver"  # set at the office: kept
    assert person.phone == "081344556677" and person.birth_place == "Biak" and person.consent_basis == "consent"
    assert person.household.members.count() == 3 and person.relationship == "head"


def test_unconfirmed_nik_mismatch_is_rejected_for_review(personas, tmp_path):
    doc = odk_doc()
    doc["value"] = doc["value"][1:2]
    doc["value"][0]["keluarga"]["anggota"][0]["jenis_kelamin"] = "L"  # NIK says a woman
    result = run(personas, write_json(tmp_path, doc))
    assert counts(result) == (0, 0, 0, 1)
    row = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))[1]
    assert row[3] == "jenis_kelamin" and "Belum dikonfirmasi" in row[4]
    assert FieldSubmission.objects.get().status == "rejected"
    assert not Household.objects.exists()  # no member could be applied: nothing of it was kept


def test_nik_never_stored_in_clear(personas):
    run(personas, KOBO)
    for submission in FieldSubmission.objects.all():
        assert b"9271011403850001" not in bytes(submission.raw_encrypted)
        assert "9271011403850001" not in json.dumps(submission.member_results)
    for event in AuditEvent.objects.all():
        assert "9271011403850001" not in json.dumps([event.before, event.after])


def test_orphan_rows_and_repeated_submissions_are_counted(personas, tmp_path):
    path = edit_kobo(kobo_copy(tmp_path), members={(7, "_parent_index"): 99, (7, "_submission__uuid"): "x"})
    result = run(personas, path)
    assert counts(result) == (5, 0, 0, 1)
    rows = list(load_workbook(result.report)["Ditolak"].iter_rows(values_only=True))
    assert "_parent_index" in rows[1][4]
    doc = odk_doc()
    doc["value"].append(copy.deepcopy(doc["value"][0]))
    assert counts(run(personas, write_json(tmp_path, doc))) == (5, 0, 3, 1)


def test_files_that_are_not_what_the_profile_says_are_refused(personas, tmp_path):
    doc = odk_doc()
    for entry in doc["value"]:
        del entry["keluarga"]["anggota"]
    with pytest.raises(ValidationFailed, match="expand"):
        run(personas, write_json(tmp_path, doc))
    sheet = tmp_path / "p3ke.xlsx"
    book = Workbook()
    book.active.append(["NIK", "Nama Lengkap", "Kelurahan"])
    book.save(sheet)
    with pytest.raises(ValidationFailed, match="bukan ekspor XLSX KoboToolbox"):
        run(personas, sheet, profile="kobo")
    with pytest.raises(ValidationFailed, match="value"):
        run(personas, write_json(tmp_path, {"results": []}), profile="odk")
    labels = edit_kobo(kobo_copy(tmp_path), main={(1, "persetujuan"): "Apakah keluarga SETUJU datanya dicatat?"})
    with pytest.raises(ValidationFailed, match="XML values and headers"):
        run(personas, labels)


def test_cli_prints_the_summary(personas):
    out = io.StringIO()
    call_command("import_registry", str(KOBO), "--profile", "kobo", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert set(summary) == {"rows", "imported", "updated", "duplicates", "rejected", "warnings", "report"}
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (6, 5, 1)
