"""Writes the two sample files the tests and the docs use (invented families, valid identifiers).

``python -m jaring.outreach.tests.samples.build_samples`` rewrites:

- ``kobo_rumah_tangga.xlsx``: a KoboToolbox XLS export ("XML values and headers", groups in
  headers) of the form ``jaring_rumah_tangga``: the submissions sheet and the ``anggota`` repeat
  sheet joined by ``_index``/``_parent_index``, with Kobo's own ``_…`` columns;
- ``odk_rumah_tangga.json``: ODK Central's OData data document
  ``/v1/projects/3/forms/jaring_rumah_tangga.svc/Submissions?$expand=*``.

One Kobo member's NIK is a number cell, as Excel leaves it after someone typed it in: the import
must reject it, never repair it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KOBO_PATH = HERE / "kobo_rumah_tangga.xlsx"
ODK_PATH = HERE / "odk_rumah_tangga.json"

KOBO_MAIN = ["start", "end", "today", "deviceid", "username", "persetujuan", "keluarga/dasar_persetujuan",
             "keluarga/distrik", "keluarga/kelurahan", "keluarga/alamat", "keluarga/lokasi",
             "keluarga/_lokasi_latitude", "keluarga/_lokasi_longitude", "keluarga/_lokasi_altitude",
             "keluarga/_lokasi_precision", "keluarga/no_kk", "keluarga/desil", "keluarga/penerima_pkh",
             "keluarga/foto_ktp", "keluarga/foto_ktp_URL", "meta/instanceID", "meta/rootUuid", "meta/deprecatedID",
             "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
KOBO_MEMBERS = ["keluarga/anggota/nik", "keluarga/anggota/nama", "keluarga/anggota/tempat_lahir",
                "keluarga/anggota/tanggal_lahir", "keluarga/anggota/jenis_kelamin", "keluarga/anggota/nik_cocok",
                "keluarga/anggota/konfirmasi_nik", "keluarga/anggota/hubungan", "keluarga/anggota/pekerjaan",
                "keluarga/anggota/no_hp", "keluarga/anggota/disabilitas", "_index", "_parent_table_name",
                "_parent_index", "_submission__id", "_submission__uuid", "_submission__submission_time",
                "_submission__validation_status", "_submission__notes", "_submission__status",
                "_submission__submitted_by", "_submission___version__", "_submission__tags"]
KOBO_VERSION = "vQ7hWcQ9dJ3pTn2kXe8Lr5"
KOBO_USER = "pendamping_sorong"

# (uuid, Kobo _id, submitted, household answers, members)
KOBO_SUBMISSIONS: list[tuple[str, int, str, dict[str, Any], list[dict[str, Any]]]] = [
    ("5b1e7d0c-2f4a-4c61-9a55-0d3e8c1f7a01", 48211, "2026-11-20T01:15:33", {
        "persetujuan": "ya", "dasar_persetujuan": "consent", "distrik": "96.71.01", "kelurahan": "96.71.01.1004",
        "alamat": "Jl. Basuki Rahmat Km 8, RT 002/RW 004, dekat Gereja Bethel",
        "lokasi": (-0.8795, 131.2633, 12.0, 5.0),
        "no_kk": "9271010203150007", "desil": 1, "penerima_pkh": "ya", "foto_ktp": "1763601330112.jpg",
        "today": "2026-11-20"}, [
        {"nik": "9271011403850001", "nama": "Yohanes Kalami", "tempat_lahir": "Sorong", "tanggal_lahir": "1985-03-14",
         "jenis_kelamin": "L", "hubungan": "head", "pekerjaan": "ojek_driver", "no_hp": "081234567890"},
        {"nik": "9271015508900002", "nama": "Maria Kalami", "tempat_lahir": "Teminabuan",
         "tanggal_lahir": "1990-08-15", "jenis_kelamin": "P", "hubungan": "spouse", "pekerjaan": "mama_papua_trader",
         "no_hp": "082198765432"},
        {"nik": "9271012005100003", "nama": "Daniel Kalami", "tempat_lahir": "Sorong", "tanggal_lahir": "2010-05-20",
         "jenis_kelamin": "L", "hubungan": "child", "pekerjaan": "tidak_bekerja"},
    ]),
    ("a3c94f12-6b8e-4d07-b1f2-7e5a9c0d4b22", 48217, "2026-11-20T03:42:08", {
        "persetujuan": "ya", "dasar_persetujuan": "consent", "distrik": "96.71.03", "kelurahan": "96.71.03.1002",
        "alamat": "Jl. Sungai Maruni, Lorong Pasar Sentral", "lokasi": (-0.8712, 131.2458, 8.5, 10.0),
        "no_kk": "9271031105180004", "desil": 2, "penerima_pkh": "tidak", "foto_ktp": "",
        "today": "2026-11-20"}, [
        {"nik": "9271034707880005", "nama": "Siti Rahma", "tempat_lahir": "Fakfak", "tanggal_lahir": "1988-07-07",
         "jenis_kelamin": "P", "hubungan": "head", "pekerjaan": "vegetable_seller", "no_hp": "085244112233"},
        # The KTP says born 2 January, the NIK says 1 January: checked in the field and confirmed.
        {"nik": "9271030101800006", "nama": "Ahmad Rahma", "tempat_lahir": "Makassar", "tanggal_lahir": "1980-01-02",
         "jenis_kelamin": "L", "nik_cocok": "tidak", "konfirmasi_nik": "ya", "hubungan": "spouse",
         "pekerjaan": "port_labourer"},
        # Typed into Excel after the export: a number cell, its last digits gone.
        {"nik": 9271035203120007.0, "nama": "Nur Rahma", "tempat_lahir": "Sorong", "tanggal_lahir": "2012-03-12",
         "jenis_kelamin": "P", "hubungan": "child", "pekerjaan": "tidak_bekerja"},
    ]),
    ("e07b2d55-91c3-4a8f-8f60-3b2c1d9e6f33", 48230, "2026-11-20T05:03:51", {
        "persetujuan": "tidak", "today": "2026-11-20"}, []),
]

ODK_CONTEXT = "https://odk.sorongkota.go.id/v1/projects/3/forms/jaring_rumah_tangga.svc/$metadata#Submissions"
ODK_SUBMISSIONS: list[tuple[str, str, str, dict[str, Any], list[dict[str, Any]]]] = [
    ("uuid:0f5c8a3e-4d21-4b7a-9e6f-1a2b3c4d5e01", "2026-11-21T00:20:41.532Z", "Maria Mobalen", {
        "persetujuan": "ya", "dasar_persetujuan": "consent", "distrik": "96.71.06", "kelurahan": "96.71.06.1002",
        "alamat": "Kampung Nelayan Malawei, RT 001/RW 002", "lokasi": (-0.8663, 131.2811, 15.2, 4.9),
        "no_kk": "9271060807120008", "desil": 1, "penerima_pkh": "ya", "foto_ktp": "1763684399871.jpg",
        "today": "2026-11-21"}, [
        {"nik": "9271062512780007", "nama": "Kornelius Mambrasar", "tempat_lahir": "Biak",
         "tanggal_lahir": "1978-12-25", "jenis_kelamin": "L", "hubungan": "head", "pekerjaan": "fisher",
         "no_hp": "081344556677"},
        {"nik": "9271066306820008", "nama": "Yuliana Mambrasar", "tempat_lahir": "Sorong",
         "tanggal_lahir": "1982-06-23", "jenis_kelamin": "P", "hubungan": "spouse", "pekerjaan": "market_trader"},
        {"nik": "9271060304150009", "nama": "Petrus Mambrasar", "tempat_lahir": "Sorong",
         "tanggal_lahir": "2015-04-03", "jenis_kelamin": "L", "hubungan": "child", "pekerjaan": "tidak_bekerja"},
    ]),
    ("uuid:6e2d9b14-8a37-4c5f-b0d1-2c3d4e5f6a02", "2026-11-21T02:05:12.004Z", "Maria Mobalen", {
        "persetujuan": "ya", "dasar_persetujuan": "public_task", "distrik": "96.71.01", "kelurahan": "96.71.01.1001",
        "alamat": "Jl. Kelapa Dua, Remu Utara", "lokasi": None, "no_kk": "9271012301190010", "desil": None,
        "penerima_pkh": "tidak", "foto_ktp": None, "today": "2026-11-21"}, [
        {"nik": "9271015212950011", "nama": "Agustina Wanma", "tempat_lahir": "Raja Ampat",
         "tanggal_lahir": "1995-12-12", "jenis_kelamin": "P", "hubungan": "head", "pekerjaan": "farmer",
         "no_hp": "081399001122", "disabilitas": "physical"},
    ]),
    ("uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03", "2026-11-21T04:48:30.870Z", "Frans Kambu", {
        "persetujuan": "ya", "dasar_persetujuan": "consent", "distrik": "96.71.07", "kelurahan": "96.71.07.1003",
        "alamat": "Jl. Yos Sudarso, Kampung Bugis", "lokasi": (-0.8816, 131.2519, 6.0, 7.5),
        "no_kk": "9271070910200012", "desil": 3, "penerima_pkh": "ya", "foto_ktp": None, "today": "2026-11-21"}, [
        {"nik": "9271071107700013", "nama": "Markus Kambu", "tempat_lahir": "Sorong", "tanggal_lahir": "1970-07-11",
         "jenis_kelamin": "L", "hubungan": "head", "pekerjaan": "parking_attendant", "no_hp": "081211223344"},
        # Sent from an old copy of the form without the NIK constraint: month 13 does not exist.
        {"nik": "9271075013751234", "nama": "Lince Kambu", "tempat_lahir": "Sorong", "tanggal_lahir": "1975-03-10",
         "jenis_kelamin": "P", "hubungan": "spouse", "pekerjaan": "household_worker"},
    ]),
]

MEMBER_FIELDS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "nik_cocok", "konfirmasi_nik",
                 "hubungan", "pekerjaan", "no_hp", "disabilitas"]


def _kobo_main_row(uuid: str, kobo_id: int, submitted: str, h: dict[str, Any], index: int) -> list[Any]:
    lat, lon, alt, acc = h.get("lokasi") or ("", "", "", "")
    consent = h["persetujuan"] == "ya"
    values = {
        "start": f"{h['today']}T09:02:11.000+09:00", "end": f"{h['today']}T09:31:47.000+09:00",
        "today": h["today"], "deviceid": "collect:Xk2p9QmT4vBn7Rs1", "username": KOBO_USER,
        "persetujuan": h["persetujuan"],
        "keluarga/dasar_persetujuan": h.get("dasar_persetujuan", ""), "keluarga/distrik": h.get("distrik", ""),
        "keluarga/kelurahan": h.get("kelurahan", ""), "keluarga/alamat": h.get("alamat", ""),
        "keluarga/lokasi": f"{lat} {lon} {alt} {acc}" if consent else "",
        "keluarga/_lokasi_latitude": lat, "keluarga/_lokasi_longitude": lon, "keluarga/_lokasi_altitude": alt,
        "keluarga/_lokasi_precision": acc, "keluarga/no_kk": h.get("no_kk", ""), "keluarga/desil": h.get("desil", ""),
        "keluarga/penerima_pkh": h.get("penerima_pkh", ""), "keluarga/foto_ktp": h.get("foto_ktp", ""),
        "keluarga/foto_ktp_URL": (f"https://kc.kobotoolbox.org/media/original?media_file={KOBO_USER}%2Fattachments%2F"
                                  f"{uuid}%2F{h['foto_ktp']}") if h.get("foto_ktp") else "",
        "meta/instanceID": f"uuid:{uuid}", "meta/rootUuid": f"uuid:{uuid}", "meta/deprecatedID": "",
        "_id": kobo_id, "_uuid": uuid, "_submission_time": submitted, "_validation_status": "", "_notes": "",
        "_status": "submitted_via_web", "_submitted_by": KOBO_USER,
        "__version__": KOBO_VERSION, "_tags": "", "_index": index,
    }
    return [values[c] if values[c] != "" else None for c in KOBO_MAIN]


def write_kobo(path: Path = KOBO_PATH) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    main = book.active
    main.title = "Pendataan Keluarga Jaring"
    main.append(KOBO_MAIN)
    members = book.create_sheet("anggota")
    members.append(KOBO_MEMBERS)
    member_index = 0
    for index, (uuid, kobo_id, submitted, household, people) in enumerate(KOBO_SUBMISSIONS, start=1):
        main.append(_kobo_main_row(uuid, kobo_id, submitted, household, index))
        for person in people:
            member_index += 1
            answers = {f"keluarga/anggota/{name}": person.get(name, "none" if name == "disabilitas" else "")
                       for name in MEMBER_FIELDS}
            answers["keluarga/anggota/nik_cocok"] = person.get("nik_cocok", "ya")
            system = {"_index": member_index, "_parent_table_name": "Pendataan Keluarga Jaring",
                      "_parent_index": index, "_submission__id": kobo_id, "_submission__uuid": uuid,
                      "_submission__submission_time": submitted, "_submission__validation_status": "",
                      "_submission__notes": "", "_submission__status": "submitted_via_web",
                      "_submission__submitted_by": KOBO_USER, "_submission___version__": KOBO_VERSION,
                      "_submission__tags": ""}
            row = {**answers, **system}
            members.append([row[c] if row[c] != "" else None for c in KOBO_MEMBERS])
    book.save(path)
    return path


def _repeat_id(instance: str, position: int) -> str:
    return hashlib.sha1(f"{instance}/keluarga/anggota[{position}]".encode()).hexdigest()  # noqa: S324 - an id


def odk_document() -> dict[str, Any]:
    value = []
    for instance, submitted, submitter, h, people in ODK_SUBMISSIONS:
        point = h.get("lokasi")
        geo = ({"type": "Point", "coordinates": [point[1], point[0], point[2]], "properties": {"accuracy": point[3]}}
               if point else None)
        members = []
        for position, person in enumerate(people, start=1):
            member: dict[str, Any] = {"__id": _repeat_id(instance, position)}
            for name in MEMBER_FIELDS:
                member[name] = person.get(name)
            member["nik_cocok"] = person.get("nik_cocok", "ya")
            member["nik_tidak_cocok"] = None
            member["disabilitas"] = person.get("disabilitas", "none")
            members.append(member)
        value.append({
            "__id": instance,
            "__system": {"submissionDate": submitted, "updatedAt": None, "submitterId": "27",
                         "submitterName": submitter, "attachmentsPresent": 1 if h.get("foto_ktp") else 0,
                         "attachmentsExpected": 1 if h.get("foto_ktp") else 0, "status": None, "reviewState": None,
                         "deviceId": "collect:8fKq2LmZ0pRt5Wv3", "edits": 0, "formVersion": "2026112501",
                         "deletedAt": None},
            "meta": {"instanceID": instance, "instanceName": f"Keluarga {people[0]['nama']}"},
            "start": f"{h['today']}T08:55:02.114+09:00", "end": f"{h['today']}T09:20:45.902+09:00",
            "today": h["today"], "deviceid": "collect:8fKq2LmZ0pRt5Wv3", "username": "pendamping.remu",
            "pengantar": None, "persetujuan": h["persetujuan"], "tanpa_persetujuan": None,
            "keluarga": {
                "dasar_persetujuan": h["dasar_persetujuan"], "distrik": h["distrik"], "kelurahan": h["kelurahan"],
                "alamat": h["alamat"], "lokasi": geo, "no_kk": h["no_kk"], "desil": h["desil"],
                "penerima_pkh": h["penerima_pkh"], "foto_ktp": h["foto_ktp"],
                "anggota@odata.navigationLink": f"Submissions('{instance}')/keluarga/anggota",
                "anggota": members,
            },
        })
    return {"@odata.context": ODK_CONTEXT, "value": value}


def write_odk(path: Path = ODK_PATH) -> Path:
    path.write_text(json.dumps(odk_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_kobo(), write_odk())
