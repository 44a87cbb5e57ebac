"""Undo of a person merge (decision 0042): within JARING_MERGE_UNDO_DAYS, the database exactly as
before the merge — every table's rows compared whole, ``updated_at`` included — and refused, changing
nothing, after the window, after a later edit, or outside the actor's area."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps

from jaring.contributions.models import Due
from jaring.contributions.services import payment_record
from jaring.core.errors import Conflict, NotFound
from jaring.core.models import AuditEvent
from jaring.registry.models import Person, PersonMerge
from jaring.registry.services import (
    PersonInput,
    person_merge,
    person_merge_undo,
    person_update,
)
from jaring.reminders.models import ReminderMessage

pytestmark = pytest.mark.django_db
BORN = dt.date(1979, 5, 4)
JAN, APR = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
# Append-only logs and the merge record itself grow; every other table must come back row for row.
NOT_COMPARED = {"core.auditevent", "registry.personmerge"}


def database() -> dict[str, list[dict[str, Any]]]:
    """Every row of every Jaring table, whole."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("jaring.") or label in NOT_COMPARED:
            continue
        rows[label] = [{k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}
                       for row in model._base_manager.order_by("pk").values()]
    return rows


def test_undo_restores_the_database_exactly(personas: dict[str, Any], pair: dict[str, Any]) -> None:
    operator = personas["operator_sorong"]
    kept, other, membership = pair["kept"], pair["other"], pair["membership"]
    assert Due.objects.filter(person=other, status="paid").count() == 3
    before = database()

    person_merge(actor=operator, candidate=pair["candidate"], keep=kept, comment="Satu orang, dicek di lapangan")
    kept.refresh_from_db()
    assert kept.kpj == "26010000042" and kept.phone == "081298765432" and kept.reminder_opt_out_at is not None
    assert Person.objects.get(pk=other.pk).merged_into_id == kept.pk
    assert set(Due.objects.values_list("person_id", flat=True)) == {kept.pk}
    assert ReminderMessage.objects.get().person_id == kept.pk
    assert database() != before
    merge = PersonMerge.objects.get()
    assert merge.comment == "Satu orang, dicek di lapangan"
    assert {m["model"] for m in merge.moves} >= {"membership.membership", "contributions.due", "claims.claim",
                                                 "fieldwork.visit", "fieldwork.outreachattendee",
                                                 "reminders.remindermessage"}
    assert other.nik not in str(merge.before) + str(merge.moves)
    event = AuditEvent.objects.get(action="person.merge")
    assert event.after is not None
    assert event.after["merge"] == merge.pk and event.after["comment"] == "Satu orang, dicek di lapangan"

    person_merge_undo(actor=operator, merge=merge)
    assert database() == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == operator
    undo = AuditEvent.objects.get(action="person.merge_undo")
    assert undo.after is not None and undo.object_id == str(kept.pk) and undo.after["merge"] == merge.pk
    assert membership.pk in Person.objects.get(pk=other.pk).memberships.values_list("pk", flat=True)
    # Once is enough: a second undo is refused.
    with pytest.raises(Conflict) as again:
        person_merge_undo(actor=operator, merge=merge)
    assert again.value.code == "already_undone"
    # The pair is open again and can be merged (and undone) once more.
    person_merge(actor=operator, candidate=pair["candidate"], keep=other)
    person_merge_undo(actor=operator, merge=PersonMerge.objects.get(undone_at__isnull=True))
    assert database() == before


def test_undo_after_the_window_is_refused(personas: dict[str, Any], pair: dict[str, Any], settings: Any) -> None:
    operator = personas["operator_sorong"]
    person_merge(actor=operator, candidate=pair["candidate"], keep=pair["kept"])
    merge = PersonMerge.objects.get()
    PersonMerge.objects.filter(pk=merge.pk).update(at=merge.at - dt.timedelta(days=31))  # a month ago
    after_merge = database()
    with pytest.raises(Conflict) as refused:
        person_merge_undo(actor=operator, merge=merge)
    assert refused.value.code == "undo_expired" and "30 hari" in str(refused.value.message)
    assert database() == after_merge
    settings.JARING_MERGE_UNDO_DAYS = 60  # the window is the deployment's choice
    person_merge_undo(actor=operator, merge=merge)
    assert Person.objects.get(pk=pair["other"].pk).merged_into_id is None


def test_undo_after_a_later_edit_is_refused(personas: dict[str, Any], pair: dict[str, Any]) -> None:
    operator = personas["operator_sorong"]
    kept = person_merge(actor=operator, candidate=pair["candidate"], keep=pair["kept"])
    person_update(actor=operator, person=kept, data=PersonInput.of(birth_place="Aimas"))
    after_edit = database()
    with pytest.raises(Conflict) as refused:
        person_merge_undo(actor=operator, merge=PersonMerge.objects.get())
    assert refused.value.code == "changed_since"
    assert "Soekarni Wanma" in str(refused.value.message) and "diubah setelah penggabungan" in str(
        refused.value.message)
    assert database() == after_edit


def test_undo_after_a_moved_row_changed_is_refused(personas: dict[str, Any], pair: dict[str, Any]) -> None:
    operator = personas["operator_sorong"]
    person_merge(actor=operator, candidate=pair["candidate"], keep=pair["kept"])
    payment_record(actor=operator, membership=pair["membership"], amount_idr=16_800, paid_on=dt.date(2026, 4, 14))
    after_payment = database()
    with pytest.raises(Conflict) as refused:
        person_merge_undo(actor=operator, merge=PersonMerge.objects.get())
    assert refused.value.code == "changed_since" and "iuran bulanan" in str(refused.value.message)
    assert database() == after_payment


def test_merge_and_undo_outside_the_area_are_not_found(personas: dict[str, Any], pair: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        person_merge(actor=personas["facilitator_klawasi"], candidate=pair["candidate"], keep=pair["kept"])
    person_merge(actor=personas["operator_sorong"], candidate=pair["candidate"], keep=pair["kept"])
    after_merge = database()
    with pytest.raises(NotFound):
        person_merge_undo(actor=personas["facilitator_klawasi"], merge=PersonMerge.objects.get())
    assert database() == after_merge


def test_cli_undoes_a_merge(personas: dict[str, Any], pair: dict[str, Any], capsys: Any) -> None:
    from django.core.management import call_command

    person_merge(actor=personas["operator_sorong"], candidate=pair["candidate"], keep=pair["kept"])
    merge = PersonMerge.objects.get()
    with pytest.raises(SystemExit):  # outside the area: not found, nothing changed
        call_command("dedup_undo", str(merge.pk), "--as", "facilitator_klawasi")
    assert Person.objects.get(pk=pair["other"].pk).merged_into_id == pair["kept"].pk
    call_command("dedup_undo", str(merge.pk), "--as", "operator_sorong", "--json")
    assert f'"restored": {pair["other"].pk}' in capsys.readouterr().out
    assert Person.objects.get(pk=pair["other"].pk).merged_into_id is None
    with pytest.raises(SystemExit):
        call_command("dedup_undo", "999999", "--as", "operator_sorong")
