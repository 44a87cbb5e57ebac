"""A facilitator's import cannot change, nor add family to, anyone outside their area (issue 9).

The probe that found it: one CSV row from Klademak changed a Klasaman person's phone and
occupation and moved them into a new Klademak household; the only trail was a job-level event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import KLAWASI, REMU
from jaring.core.models import AuditEvent
from jaring.registry.importing import import_registry
from jaring.registry.models import Household, Person
from jaring.registry.services import HouseholdInput, household_create
from jaring.registry.testing import make_kk, make_nik

HEADER = "Nama Lengkap;NIK;No KK;Tgl Lahir;Jenis Kelamin;Kelurahan/Desa;Pekerjaan;No HP\n"


def _write(tmp_path: Any, rows: list[str]) -> Any:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_row_matching_a_person_outside_the_area_is_rejected(personas: dict[str, Any], register_person: Any,
                                                             tmp_path: Any) -> None:
    other = register_person(full_name="Agustina Sawaki", kelurahan=KLAWASI, phone="", occupation="")
    before = Person.objects.values().get(pk=other.pk)
    klawasi_kk = make_kk(issued=dt.date(2018, 1, 9), serial=41)
    household_create(actor=personas["operator_sorong"], data=HouseholdInput.of(kk_number=klawasi_kk,
                                                                               kelurahan=KLAWASI))
    newcomer = make_nik(birth_date=dt.date(1992, 7, 1), sex="M", serial=812)
    path = _write(tmp_path, [
        f"Agustina Sawaki;{other.nik};{make_kk(issued=dt.date(2020, 2, 2), serial=3)};"
        f"{other.birth_date:%d/%m/%Y};P;Remu;Tukang Ojek;081211112222",
        f"Petrus Mobalen;{newcomer};{klawasi_kk};01/07/1992;L;Remu;Nelayan;081233334444",
    ])
    result = import_registry(actor=personas["facilitator_remu"], path=path)

    assert (result.rows, result.rejected, result.imported, result.updated) == (2, 2, 0, 0)
    assert Person.objects.values().get(pk=other.pk) == before
    assert not Person.objects.filter(full_name="Petrus Mobalen").exists()
    assert Household.objects.count() == 1 + Household.objects.filter(members__pk=other.pk).count()
    assert not AuditEvent.objects.filter(action="person.import_update").exists()


def test_the_office_may_update_anyone_and_each_change_is_audited(personas: dict[str, Any], register_person: Any,
                                                                tmp_path: Any) -> None:
    remu = register_person(full_name="Yohanes Kalami", kelurahan=REMU, phone="", occupation="")
    klawasi = register_person(full_name="Agustina Sawaki", kelurahan=KLAWASI, phone="", occupation="")
    path = _write(tmp_path, [
        f"Yohanes Kalami;{remu.nik};;{remu.birth_date:%d/%m/%Y};L;Remu;Tukang Ojek;081211112222",
        f"Agustina Sawaki;{klawasi.nik};;{klawasi.birth_date:%d/%m/%Y};L;Klawasi;Nelayan;081233334444",
    ])
    result = import_registry(actor=personas["operator_sorong"], path=path)
    assert (result.updated, result.rejected) == (2, 0)
    events = {e.object_id: e for e in AuditEvent.objects.filter(action="person.import_update")}
    assert set(events) == {str(remu.pk), str(klawasi.pk)}
    event = events[str(remu.pk)]
    assert event.actor == personas["operator_sorong"]
    assert event.before["phone"] == "" and event.after["phone"] == "081211112222"
    assert remu.nik not in repr(event.before) + repr(event.after)


def test_a_facilitator_may_update_people_of_their_own_area(personas: dict[str, Any], register_person: Any,
                                                          tmp_path: Any) -> None:
    remu = register_person(full_name="Yohanes Kalami", kelurahan=REMU, phone="", occupation="")
    path = _write(tmp_path, [f"Yohanes Kalami;{remu.nik};;{remu.birth_date:%d/%m/%Y};L;Remu;Tukang Ojek;081211112222"])
    result = import_registry(actor=personas["facilitator_remu"], path=path)
    assert (result.updated, result.rejected) == (1, 0)
    assert Person.objects.get(pk=remu.pk).phone == "081211112222"
    assert AuditEvent.objects.filter(action="person.import_update", object_id=str(remu.pk)).count() == 1
