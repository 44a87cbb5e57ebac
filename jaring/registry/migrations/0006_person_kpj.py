"""The KPJ belongs to the person (DOMAIN §2.1, decision 0033): ``Person.kpj``, unique, filled from the
memberships' KPJ numbers; ``membership`` 0002 then removes ``Membership.kpj``.

- A person whose memberships carry two different KPJs keeps the one of the latest membership (latest
  start date, then latest id); the other numbers are logged as a conflict.
- A KPJ that the latest memberships of two persons carry stays with the person whose membership is the
  latest; the others are left without a KPJ and the conflict is logged.
- A KPJ that is 11 digits once spaces, dots and dashes are removed is stored as those digits; any other
  value is kept as it was (nothing is lost) and logged for the office to correct.

Each conflict is written to the warning log and as an audit event ``person.kpj_migration_conflict``
(actor "migration"), so the numbers that did not move stay on record. Plain ORM reads and one
``bulk_update``: the same on SQLite and PostgreSQL. Reversible: going back puts each person's KPJ on
their latest membership.
"""

import logging
import re

from django.db import migrations, models

logger = logging.getLogger("jaring.migrations")

SEPARATORS = re.compile(r"[\s.\-]")
ELEVEN_DIGITS = re.compile(r"^[0-9]{11}$")


def _stored(raw: str) -> str:
    value = (raw or "").strip()
    digits = SEPARATORS.sub("", value)
    return digits if ELEVEN_DIGITS.match(digits) else value


def _conflict(events, *, person_id, after):
    logger.warning("KPJ migration: person %s: %s", person_id, after)
    events.append({"object_id": str(person_id), "after": after})


def copy_kpj_to_persons(apps, schema_editor):
    Membership = apps.get_model("membership", "Membership")
    Person = apps.get_model("registry", "Person")
    AuditEvent = apps.get_model("core", "AuditEvent")
    rows = (Membership.objects.exclude(kpj__isnull=True).exclude(kpj="")
            .order_by("person_id", "start_date", "id").values_list("id", "person_id", "kpj", "start_date"))
    latest = {}  # person id → ((start date, membership id), KPJ): the last row of the person wins
    seen = {}  # person id → {KPJ: [membership ids]}
    for membership_id, person_id, raw, start in rows.iterator(chunk_size=2_000):
        value = _stored(raw)
        latest[person_id] = ((start, membership_id), value)
        seen.setdefault(person_id, {}).setdefault(value, []).append(membership_id)
    events = []
    for person_id, numbers in seen.items():
        kept = latest[person_id][1]
        if len(numbers) > 1:
            _conflict(events, person_id=person_id, after={
                "reason": "two_kpj_for_one_person", "kept": kept,
                "dropped": {kpj: ids for kpj, ids in sorted(numbers.items()) if kpj != kept}})
    holders = {}  # KPJ → [((start, membership id), person id)]
    for person_id, (key, value) in latest.items():
        holders.setdefault(value, []).append((key, person_id))
    assign = {}
    for value, claims in holders.items():
        claims.sort()
        winner = claims[-1][1]
        assign[winner] = value
        for _key, person_id in claims[:-1]:
            _conflict(events, person_id=person_id, after={
                "reason": "kpj_of_another_person", "kpj": value, "kept_by_person": winner})
    for person_id, value in assign.items():
        if not ELEVEN_DIGITS.match(value):
            logger.warning("KPJ migration: person %s keeps a KPJ that is not 11 digits: %r", person_id, value)
    Person.objects.bulk_update([Person(pk=pk, kpj=value) for pk, value in assign.items()], ["kpj"],
                               batch_size=500)
    AuditEvent.objects.bulk_create([
        AuditEvent(actor_label="migration", action="person.kpj_migration_conflict", object_type="registry.person",
                   object_id=event["object_id"], after=event["after"])
        for event in events], batch_size=500)


def copy_kpj_to_memberships(apps, schema_editor):
    Membership = apps.get_model("membership", "Membership")
    Person = apps.get_model("registry", "Person")
    for person_id, value in Person.objects.exclude(kpj__isnull=True).values_list("id", "kpj").iterator():
        membership = Membership.objects.filter(person_id=person_id).order_by("-start_date", "-id").first()
        if membership is not None:
            Membership.objects.filter(pk=membership.pk).update(kpj=value)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_audit_triggers_reinstall"),
        ("membership", "0001_initial"),
        ("registry", "0005_dedup"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="kpj",
            field=models.CharField(blank=True, max_length=20, null=True, unique=True, verbose_name="nomor KPJ"),
        ),
        migrations.RunPython(copy_kpj_to_persons, copy_kpj_to_memberships),
    ]
