"""NIK verification with Dukcapil (decision 0041): the HTTP adapter against a local fake server
(verified, not found, mismatch, 500, timeout, a broken answer), the person's state and its reset
when the NIK changes, the batch and its command, the API and the page, the registration export,
and never a NIK in clear in an audit event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jaring.core.errors import ValidationFailed
from jaring.core.models import AuditEvent
from jaring.membership.exchange import registration_export
from jaring.membership.services import membership_enrol
from jaring.registry.models import Person
from jaring.registry.services import PersonInput, person_update, person_verify_nik, persons_verify_nik
from jaring.registry.testing import make_nik
from jaring.registry.tests.fake_dukcapil import FakeDukcapil, Reply
from jaring.registry.verification import DukcapilHttpVerifier, NoVerifier, make_verifier
from jaring.testing import run_jaring as jaring

BIRTH = dt.date(1985, 3, 14)


@pytest.fixture
def dukcapil():  # type: ignore[no-untyped-def]
    server = FakeDukcapil().start()
    yield server
    server.stop()


@pytest.fixture
def configured(settings, dukcapil):  # type: ignore[no-untyped-def]
    settings.JARING_NIK_VERIFIER = "dukcapil_http"
    settings.JARING_DUKCAPIL_URL = dukcapil.url + "/verify"
    settings.JARING_DUKCAPIL_TOKEN = "dk-token"
    settings.JARING_DUKCAPIL_CLIENT_ID = "kota-sorong"
    settings.JARING_DUKCAPIL_TIMEOUT = 1
    return dukcapil


def _verifier(server: FakeDukcapil, **kwargs: Any) -> DukcapilHttpVerifier:
    return DukcapilHttpVerifier(url=server.url + "/verify", token="dk-token", client_id="kota-sorong",
                                timeout=kwargs.pop("timeout", 1), **kwargs)


def _no_nik_in_events(*niks: str) -> None:
    for event in AuditEvent.objects.all():
        text = json.dumps([event.before, event.after, event.object_id])
        for nik in niks:
            assert nik not in text, event.action


# --- the adapter ---------------------------------------------------------------------------------

def test_the_request_is_mapped_as_documented(dukcapil):
    nik = make_nik(birth_date=BIRTH, sex="M", serial=1)
    result = _verifier(dukcapil).verify(nik, full_name="Yohanes Kalami", birth_date=BIRTH)
    assert (result.status, result.detail) == ("verified", "")
    (request,) = dukcapil.requests
    assert request["path"] == "/verify"
    assert request["json"] == {"nik": nik, "nama_lengkap": "Yohanes Kalami", "tanggal_lahir": "14-03-1985",
                               "client_id": "kota-sorong"}
    assert request["headers"]["Authorization"] == "Bearer dk-token"
    assert request["headers"]["X-Client-Id"] == "kota-sorong"


@pytest.mark.parametrize(("reply", "status"), [
    (Reply(200, {"status": "SESUAI", "message": "ok"}), "verified"),
    (Reply(200, {"status": "not_found"}), "not_found"),
    (Reply(404, {"message": "NIK tidak ditemukan"}), "not_found"),
    (Reply(200, {"status": "Tidak Sesuai", "message": "nama berbeda"}), "mismatch"),
    (Reply(500, {"message": "server down"}), "error"),
    (Reply(401, {"message": "token"}), "error"),
    (Reply(200, {"status": "something else"}), "error"),
    (Reply(200, b"<html>not json</html>"), "error"),
    (Reply(200, b""), "error"),
    (Reply(200, ["a", "list"]), "error"),
])
def test_answers_map_to_a_status_and_never_raise(dukcapil, reply, status):
    dukcapil.reply = reply
    result = _verifier(dukcapil).verify(make_nik(birth_date=BIRTH, sex="M", serial=2), full_name="X",
                                        birth_date=BIRTH)
    assert result.status == status


def test_a_timeout_is_an_error(dukcapil):
    dukcapil.reply = Reply(200, {"status": "verified"}, delay=1.0)
    result = _verifier(dukcapil, timeout=0.2).verify(make_nik(birth_date=BIRTH, sex="M", serial=3),
                                                     full_name="X", birth_date=BIRTH)
    assert (result.status, result.detail) == ("error", "dukcapil: timeout")


def test_nothing_listening_is_an_error():
    result = DukcapilHttpVerifier(url="http://127.0.0.1:9/verify", token="t", timeout=0.5).verify(
        make_nik(birth_date=BIRTH, sex="M", serial=4), full_name="X", birth_date=BIRTH)
    assert result.status == "error"


def test_an_echoed_nik_is_masked_in_the_detail(dukcapil):
    nik = make_nik(birth_date=BIRTH, sex="M", serial=5)
    dukcapil.reply = Reply(500, {"message": f"NIK {nik} gagal"})
    result = _verifier(dukcapil).verify(nik, full_name="X", birth_date=BIRTH)
    assert result.status == "error" and nik not in result.detail and nik[:4] in result.detail


def test_the_mapping_is_configurable(settings, dukcapil):
    settings.JARING_NIK_VERIFIER = "dukcapil_http"
    settings.JARING_DUKCAPIL_URL = dukcapil.url
    settings.JARING_DUKCAPIL_TOKEN = "t"
    settings.JARING_DUKCAPIL_MAPPING = json.dumps({
        "request": {"nik": "NIK", "full_name": "NAMA_LGKP", "birth_date": "TGL_LHR", "client_id": ""},
        "date_format": "%Y-%m-%d", "status_field": "content.0.RESPON",
        "statuses": {"verified": ["Sesuai"], "not_found": ["Data Tidak Ditemukan"], "mismatch": ["Tidak Sesuai"]}})
    dukcapil.reply = Reply(200, {"content": [{"RESPON": "Data Tidak Ditemukan"}]})
    nik = make_nik(birth_date=BIRTH, sex="M", serial=6)
    assert make_verifier().verify(nik, full_name="A", birth_date=BIRTH).status == "not_found"
    assert dukcapil.requests[0]["json"] == {"NIK": nik, "NAMA_LGKP": "A", "TGL_LHR": "1985-03-14"}


@pytest.mark.parametrize(("name", "values", "field"), [
    ("dukcapil_http", {"JARING_DUKCAPIL_URL": "ftp://x", "JARING_DUKCAPIL_TOKEN": "t"}, "JARING_DUKCAPIL_URL"),
    ("dukcapil_http", {"JARING_DUKCAPIL_URL": "http://x", "JARING_DUKCAPIL_TOKEN": ""}, "JARING_DUKCAPIL_TOKEN"),
    ("dukcapil_http", {"JARING_DUKCAPIL_URL": "http://x", "JARING_DUKCAPIL_TOKEN": "t",
                       "JARING_DUKCAPIL_TIMEOUT": "lama"}, "JARING_DUKCAPIL_TIMEOUT"),
    ("dukcapil_http", {"JARING_DUKCAPIL_URL": "http://x", "JARING_DUKCAPIL_TOKEN": "t",
                       "JARING_DUKCAPIL_MAPPING": "[1"}, "JARING_DUKCAPIL_MAPPING"),
    ("os.path", {}, "JARING_NIK_VERIFIER"),
    ("nothing", {}, "JARING_NIK_VERIFIER"),
])
def test_bad_settings_are_named(settings, name, values, field):
    for key, value in values.items():
        setattr(settings, key, value)
    with pytest.raises(ValidationFailed) as refused:
        make_verifier(name)
    assert field in refused.value.fields


class AlwaysMismatch:
    name = "custom"

    def verify(self, nik: str, *, full_name: str, birth_date: dt.date) -> Any:
        from jaring.registry.verification import VerificationResult

        return VerificationResult("mismatch", "custom")


def test_default_is_none_and_a_dotted_class_is_accepted():
    assert isinstance(make_verifier(), NoVerifier)
    assert make_verifier(f"{__name__}.AlwaysMismatch").name == "custom"


# --- the person's state --------------------------------------------------------------------------

def test_none_backend_refuses_and_everyone_stays_unverified(personas, register_person):
    person = register_person()
    assert person.nik_verification == "unverified"
    with pytest.raises(ValidationFailed) as refused:
        person_verify_nik(actor=personas["operator_sorong"], person=person)
    assert refused.value.code == "not_configured"
    with pytest.raises(ValidationFailed):
        persons_verify_nik(actor=personas["operator_sorong"], limit=10)
    assert not AuditEvent.objects.filter(action__startswith="person.verify_nik").exists()


@pytest.mark.parametrize(("reply", "state", "result"), [
    (Reply(200, {"status": "verified"}), "verified", "verified"),
    (Reply(404, {}), "not_found", "not_found"),
    (Reply(200, {"status": "mismatch"}), "mismatch", "mismatch"),
    (Reply(500, {"message": "down"}), "unverified", "error"),
])
def test_one_person_is_verified_and_audited(configured, personas, register_person, reply, state, result):
    person = register_person()
    configured.reply = reply
    answer = person_verify_nik(actor=personas["operator_sorong"], person=person)
    assert answer.status == result
    person.refresh_from_db()
    assert person.nik_verification == state
    assert (person.nik_verified_at is not None) == (state != "unverified")
    (event,) = AuditEvent.objects.filter(action="person.verify_nik")
    assert event.object_id == str(person.pk) and event.region_code == person.kelurahan.code
    assert (event.after["nik_verification"], event.after["result"]) == (state, result)
    _no_nik_in_events(person.nik)


def test_a_nik_change_resets_the_state(configured, personas, register_person):
    operator = personas["operator_sorong"]
    person = register_person()
    person_verify_nik(actor=operator, person=person)
    person.refresh_from_db()
    assert person.nik_verification == "verified"
    person_update(actor=operator, person=person, data=PersonInput.of(full_name="Yohanes K. Kalami"))
    person.refresh_from_db()
    assert person.nik_verification == "verified"  # another field: the answer still holds
    new_nik = make_nik(birth_date=BIRTH, sex="M", serial=7777)
    person_update(actor=operator, person=person, data=PersonInput.of(nik=new_nik))
    person.refresh_from_db()
    assert (person.nik_verification, person.nik_verified_at) == ("unverified", None)
    event = AuditEvent.objects.filter(action="person.update").latest("id")
    assert event.after["nik_verification"] == "unverified" and event.before["nik_verification"] == "verified"
    _no_nik_in_events(new_nik)


def test_another_areas_person_and_a_reader_are_refused(configured, personas, register_person):
    from jaring.core.errors import NotFound, PermissionDenied

    remu = register_person()
    with pytest.raises(NotFound):
        person_verify_nik(actor=personas["facilitator_klawasi"], person=remu)
    with pytest.raises(PermissionDenied):
        person_verify_nik(actor=personas["auditor"], person=remu)
    assert configured.requests == []


# --- the batch and its command -------------------------------------------------------------------

def test_the_batch_records_each_answer_set_based(configured, personas, register_person):
    people = [register_person(full_name=f"Orang {i}") for i in range(4)]
    configured.replies = [Reply(200, {"status": "verified"}), Reply(404, {}), Reply(200, {"status": "mismatch"}),
                          Reply(500, {})]
    summary = persons_verify_nik(actor=personas["operator_sorong"], limit=10)
    assert summary == {"verifier": "dukcapil_http", "checked": 4, "verified": 1, "not_found": 1, "mismatch": 1,
                       "error": 1, "stopped": False, "remaining": 1}
    states = dict(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "nik_verification"))
    assert [states[p.pk] for p in people] == ["verified", "not_found", "mismatch", "unverified"]
    assert AuditEvent.objects.filter(action="person.verify_nik").count() == 4
    (batch,) = AuditEvent.objects.filter(action="person.verify_nik_batch")
    assert batch.after["checked"] == 4
    _no_nik_in_events(*(p.nik for p in people))
    # Only the unverified are asked again.
    configured.replies = []
    assert persons_verify_nik(actor=personas["operator_sorong"], limit=10)["checked"] == 1


def test_the_batch_stops_when_dukcapil_is_down_and_respects_the_area(configured, personas, register_person):
    for i in range(7):
        register_person(full_name=f"Remu {i}")
    configured.reply = Reply(503, {})
    assert persons_verify_nik(actor=personas["facilitator_klawasi"], limit=10)["checked"] == 0  # none in Klawasi
    summary = persons_verify_nik(actor=personas["facilitator_remu"], limit=10)
    assert (summary["checked"], summary["error"], summary["stopped"], summary["remaining"]) == (5, 5, True, 7)


@pytest.mark.parametrize("limit", [0, -1, 1001, True, "5"])
def test_the_batch_limit_is_checked(configured, personas, limit):
    with pytest.raises(ValidationFailed):
        persons_verify_nik(actor=personas["operator_sorong"], limit=limit)


def test_the_command_prints_the_summary_as_json(configured, personas, register_person, capsys):
    people = [register_person(full_name=f"Orang {i}") for i in range(3)]
    code, out, err = jaring(capsys, "person", "verify-nik", "--limit", "2", "--json", "--as", "operator_sorong")
    assert code == 0, err
    assert json.loads(out) == {"verifier": "dukcapil_http", "checked": 2, "verified": 2, "not_found": 0,
                               "mismatch": 0, "error": 0, "stopped": False, "remaining": 1}
    assert all(p.nik not in out for p in people)
    code, out, err = jaring(capsys, "person", "verify-nik", "--as", "operator_sorong")
    assert code == 0 and "checked=1" in out


def test_the_command_without_a_verifier_fails_cleanly(personas, capsys):
    code, out, _err = jaring(capsys, "person", "verify-nik", "--json", "--as", "operator_sorong")
    assert code != 0 and json.loads(out)["error"]["code"] == "not_configured"


# --- where the state is shown --------------------------------------------------------------------

def test_api_page_and_export_show_the_state(configured, personas, payers, register_person, api_client_for,
                                            client):
    verified, other = register_person(full_name="Sudah Dicek"), register_person(full_name="Belum Dicek")
    person_verify_nik(actor=personas["operator_sorong"], person=verified)
    api = api_client_for("operator_sorong")
    assert api.get(f"/api/v1/persons/{verified.pk}/").json()["nik_verification"] == "verified"
    assert api.get(f"/api/v1/persons/{other.pk}/").json()["nik_verification"] == "unverified"
    client.force_login(personas["operator_sorong"])
    assert "NIK terverifikasi" in client.get(verified.get_absolute_url()).content.decode()
    assert "NIK belum diverifikasi Dukcapil" in client.get(other.get_absolute_url()).content.decode()
    start = (dt.date.today().replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    for person in (verified, other):
        membership_enrol(actor=personas["operator_sorong"], person=person, payer=payers["city"], programs="JKK,JKM",
                         declared_income_idr=1_000_000, start_date=start)
    export = registration_export(actor=personas["admin_sorong"], payer=payers["city"], fmt="csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    flags = {line.split(";")[header.index("NAMA LENGKAP")]: line.split(";")[header.index("NIK TERVERIFIKASI")]
             for line in lines[1:]}
    assert flags == {"Sudah Dicek": "YA", "Belum Dicek": "TIDAK"}
    assert export.unverified == 1
    assert AuditEvent.objects.get(action="bpjstk.export").after["nik_unverified"] == 1
