"""All writes of field work: visits, outreach events and their attendees, and the link from a user
to their own person record. Each one is audited, needs its capability (``fieldwork.selectors``:
``WRITE``, ``LINK``) and acts only inside the actor's area (outside it: not found). A ``client_id``
(the offline outbox's UUID) makes sending the same record twice record it once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.contributions.models import Due
from jaring.core.audit import audit_log
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.money import month_start
from jaring.core.params import has_control_chars
from jaring.fieldwork.models import NOTE_MAX, FieldProfile, OutreachAttendee, OutreachEvent, Visit
from jaring.fieldwork.selectors import LINK, WRITE
from jaring.membership.models import Membership
from jaring.regions.models import Region
from jaring.registry.models import Person

# How far back a visit or an event may be recorded (an outbox that waited weeks still fits), and how
# far ahead a promise to pay may be.
BACKDATE_DAYS = 366
PROMISE_DAYS = 92
MAX_ATTENDEES = 5_000
MAX_FACILITATORS = 10


def _invalid(field: str, message: str, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _text(value: Any, field: str, limit: int, *, required: bool = False, multiline: bool = False) -> str:
    """Free text from a form, the API or the CLI: stripped, bounded, no control characters (a
    note may keep its line breaks)."""
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("Wajib diisi."), "required")
    checked = text.replace("\r", "").replace("\n", "") if multiline else text
    if len(text) > limit or has_control_chars(checked):
        raise _invalid(field, _("Paling banyak %(n)s karakter, tanpa karakter kontrol.") % {"n": limit})
    return text


def _day(day: Any, field: str, today: dt.date) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise _invalid(field, _("Tanggal tidak sah."))
    if day > today:
        raise _invalid(field, _("Tanggal %(d)s belum terjadi.") % {"d": day.strftime("%d-%m-%Y")}, "future")
    if day < today - dt.timedelta(days=BACKDATE_DAYS):
        raise _invalid(field, _("Tanggal %(d)s terlalu lama; paling lama satu tahun yang lalu.") % {
            "d": day.strftime("%d-%m-%Y")}, "too_old")
    return day


def _person_in_area(actor: User, person: Person) -> Person:
    found = (Person.objects.select_related("kelurahan").filter(pk=person.pk, merged_into__isnull=True).first())
    if found is None or not scope_for(actor).contains_code(found.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    return found


def _client_id(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise _invalid("client_id", _("client_id harus UUID.")) from None


# --- Visits ---------------------------------------------------------------------------------------

def _arrears_month(membership: Membership | None, day: dt.date) -> dt.date | None:
    """The month a visit on ``day`` chases: the oldest unpaid month already due, if any."""
    if membership is None:
        return None
    due = (Due.objects.filter(membership=membership, status=Due.Status.OPEN, period__lte=month_start(day),
                              due_date__lt=day).order_by("period").values_list("period", flat=True).first())
    return due


@transaction.atomic
def visit_record(*, actor: User, person: Person, visited_on: dt.date, outcome: str,
                 channel: str = Visit.Channel.VISIT, note: str = "", promised_on: dt.date | None = None,
                 client_id: Any = None, today: dt.date | None = None) -> Visit:
    """Record a visit, call or message to ``person`` and what came of it. The visit answers the
    person's open membership and its oldest month in arrears on that day, if any. Refused: a day in
    the future or more than a year back, an unknown outcome or channel, a note over 500 characters
    or with control characters, a promise date without a promise or outside three months."""
    require(actor, WRITE)
    today = today or timezone.localdate()
    key = _client_id(client_id)
    if key is not None:
        existing = Visit.objects.filter(client_id=key).first()
        if existing is not None:
            if existing.by_id == actor.pk and existing.person_id == person.pk:
                return existing
            raise Conflict(_("client_id ini sudah dipakai untuk catatan lain."), code="client_id_reused")
    person = _person_in_area(actor, person)
    if outcome not in Visit.Outcome.values:
        raise _invalid("outcome", _("Hasil tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Visit.Outcome.values)})
    if channel not in Visit.Channel.values:
        raise _invalid("channel", _("Cara tidak dikenal; pilihan: %(c)s") % {"c": ", ".join(Visit.Channel.values)})
    note = _text(note, "note", NOTE_MAX, multiline=True)
    visited_on = _day(visited_on, "visited_on", today)
    if promised_on is not None:
        if outcome != Visit.Outcome.PROMISED:
            raise _invalid("promised_on", _("Tanggal janji hanya untuk hasil \"janji bayar\"."))
        if not visited_on <= promised_on <= visited_on + dt.timedelta(days=PROMISE_DAYS):
            raise _invalid("promised_on", _("Tanggal janji harus antara hari kunjungan dan tiga bulan sesudahnya."))
    membership = (Membership.objects.filter(person=person, status__in=Membership.OPEN_STATUSES).first()
                  or Membership.objects.filter(person=person, start_date__lte=visited_on)
                  .order_by("-start_date", "-id").first())
    visit = Visit.objects.create(
        person=person, membership=membership, visited_on=visited_on, channel=channel, outcome=outcome,
        promised_on=promised_on, note=note, period=_arrears_month(membership, visited_on), client_id=key, by=actor)
    audit_log(actor=actor, action="visit.record", obj=visit, region_code=person.kelurahan.code, after={
        "person": person.pk, "membership": membership.pk if membership else None,
        "visited_on": visited_on.isoformat(), "channel": channel, "outcome": outcome,
        "promised_on": promised_on.isoformat() if promised_on else None, "note": note,
        "period": visit.period.isoformat() if visit.period else None})
    return visit


# --- Outreach events ------------------------------------------------------------------------------

def _kelurahan_in_area(actor: User, code: str) -> Region:
    region = Region.objects.filter(code=str(code or "").strip(), level=Region.Level.KELURAHAN).first()
    if region is None or not scope_for(actor).contains_code(region.code):
        raise NotFound(_("Kelurahan tidak ditemukan di wilayah Anda."))
    return region


def _event_in_area(actor: User, event: OutreachEvent, *, lock: bool = False) -> OutreachEvent:
    events = OutreachEvent.objects.select_related("kelurahan")
    found = (events.select_for_update(of=("self",)) if lock else events).filter(pk=event.pk).first()
    if found is None or not scope_for(actor).contains_code(found.kelurahan.code):
        raise NotFound(_("Sosialisasi tidak ditemukan."))
    return found


@transaction.atomic
def event_create(*, actor: User, held_on: dt.date, place: str, kelurahan_code: str,
                 facilitators: Iterable[User] | None = None, partners: Iterable[str] = (), partner_names: str = "",
                 attendees_count: int = 0, note: str = "", client_id: Any = None,
                 today: dt.date | None = None) -> OutreachEvent:
    """Record an outreach session held in a kelurahan of the actor's area. ``facilitators``: the
    users who ran it (default: the actor), each of whose area holds the kelurahan; ``partners``:
    ``OutreachEvent.Partner`` codes, with their names in ``partner_names``."""
    require(actor, WRITE)
    today = today or timezone.localdate()
    key = _client_id(client_id)
    if key is not None:
        existing = OutreachEvent.objects.filter(client_id=key).first()
        if existing is not None:
            if existing.created_by_id == actor.pk:
                return existing
            raise Conflict(_("client_id ini sudah dipakai untuk catatan lain."), code="client_id_reused")
    kelurahan = _kelurahan_in_area(actor, kelurahan_code)
    held_on = _day(held_on, "held_on", today)
    place = _text(place, "place", 200, required=True)
    partner_names = _text(partner_names, "partner_names", 200)
    note = _text(note, "note", 1000, multiline=True)
    codes = list(dict.fromkeys(str(p) for p in partners))
    unknown = [c for c in codes if c not in OutreachEvent.Partner.values]
    if unknown:
        raise _invalid("partners", _("Mitra tidak dikenal; pilihan: %(c)s") % {
            "c": ", ".join(OutreachEvent.Partner.values)})
    if isinstance(attendees_count, bool) or not isinstance(attendees_count, int) \
            or not 0 <= attendees_count <= MAX_ATTENDEES:
        raise _invalid("attendees_count", _("Jumlah hadir harus 0 sampai %(n)s.") % {"n": MAX_ATTENDEES})
    team = list(dict.fromkeys(facilitators or [actor]))
    if len(team) > MAX_FACILITATORS:
        raise _invalid("facilitators", _("Paling banyak %(n)s pendamping.") % {"n": MAX_FACILITATORS})
    outside = [u.username for u in team if not u.is_active or not scope_for(u).contains_code(kelurahan.code)]
    if outside:
        raise _invalid("facilitators", _("Bukan pendamping wilayah ini: %(names)s") % {"names": ", ".join(outside)})
    event = OutreachEvent.objects.create(
        held_on=held_on, place=place, kelurahan=kelurahan, partners=codes, partner_names=partner_names,
        attendees_count=attendees_count, note=note, client_id=key, created_by=actor)
    event.facilitators.set(team)
    audit_log(actor=actor, action="outreach.create", obj=event, region_code=kelurahan.code, after={
        "held_on": held_on.isoformat(), "place": place, "kelurahan": kelurahan.code,
        "facilitators": [u.username for u in team], "partners": codes, "partner_names": partner_names,
        "attendees_count": attendees_count, "note": note})
    return event


@transaction.atomic
def event_attendee_add(*, actor: User, event: OutreachEvent, person: Person | None = None,
                       name: str = "") -> OutreachAttendee:
    """Someone came to ``event``: a registered person of the actor's area (found, or registered on
    the spot first), or a name only. A person already listed is not added twice. The head count
    grows when the attendees named outnumber it."""
    require(actor, WRITE)
    event = _event_in_area(actor, event, lock=True)
    if person is not None:
        person = _person_in_area(actor, person)
        existing = OutreachAttendee.objects.filter(event=event, person=person).first()
        if existing is not None:
            return existing
        name = ""
    else:
        name = _text(name, "name", 150, required=True)
    attendee = OutreachAttendee.objects.create(event=event, person=person, name=name, added_by=actor)
    named = OutreachAttendee.objects.filter(event=event).count()
    if named > event.attendees_count:
        event.attendees_count = named
        event.save(update_fields=["attendees_count"])
    audit_log(actor=actor, action="outreach.attendee_add", obj=event, region_code=event.kelurahan.code,
              after={"attendee": attendee.pk, "person": person.pk if person else None, "name": name,
                     "attendees_count": event.attendees_count})
    return attendee


@transaction.atomic
def event_attendee_remove(*, actor: User, attendee: OutreachAttendee) -> None:
    """Take back an attendee recorded by mistake (the head count stays as counted)."""
    require(actor, WRITE)
    event = _event_in_area(actor, attendee.event, lock=True)
    found = OutreachAttendee.objects.filter(pk=attendee.pk, event=event).first()
    if found is None:
        raise NotFound(_("Peserta sosialisasi tidak ditemukan."))
    before = {"attendee": found.pk, "person": found.person_id, "name": found.name}
    found.delete()
    audit_log(actor=actor, action="outreach.attendee_remove", obj=event, region_code=event.kelurahan.code,
              before=before, after=None)


# --- The user's own person record ------------------------------------------------------------------

@transaction.atomic
def field_profile_link(*, actor: User, user: User, person: Person | None) -> FieldProfile:
    """Link ``user`` to their own person record (``None``: unlink), so that their home page shows
    their own protection. A person is the record of one user at most."""
    require(actor, LINK)
    if person is not None:
        person = _person_in_area(actor, person)
        taken = FieldProfile.objects.filter(person=person).exclude(user=user).select_related("user").first()
        if taken is not None:
            raise Conflict(_("Orang ini sudah tertaut ke pengguna %(u)s.") % {"u": taken.user.username},
                           code="person_linked")
    profile = FieldProfile.objects.select_for_update().filter(user=user).first()
    before = {"person": profile.person_id} if profile is not None else None
    if profile is None:
        profile = FieldProfile.objects.create(user=user, person=person)
    elif profile.person_id != (person.pk if person else None):
        profile.person = person
        profile.save(update_fields=["person", "updated_at"])
    else:
        return profile
    audit_log(actor=actor, action="field_profile.link", obj=profile,
              region_code=person.kelurahan.code if person else "", before=before,
              after={"user": user.username, "person": person.pk if person else None})
    return profile


# --- Person merge ---------------------------------------------------------------------------------

def move_fieldwork(*, actor: User, kept: Person, other: Person) -> list[dict[str, Any]]:
    """Merge hook: a duplicate's visits, attendances and user link become the kept person's.
    Returns what moved or was deleted (an attendance of an event the kept person attended too), for the undo."""
    from jaring.registry.services import merge_deleted, merge_moved

    done: list[dict[str, Any]] = []
    visit_ids = list(Visit.objects.filter(person=other).values_list("pk", flat=True))
    visits = Visit.objects.filter(pk__in=visit_ids).update(person=kept)
    if visit_ids:
        done.append(merge_moved(Visit, "person", visit_ids, other.pk, kept.pk))
    already = OutreachAttendee.objects.filter(person=kept).values("event_id")
    twice = list(OutreachAttendee.objects.filter(person=other, event_id__in=already))
    dropped = len(twice)
    if twice:
        done.append(merge_deleted(OutreachAttendee, twice))
        OutreachAttendee.objects.filter(pk__in=[a.pk for a in twice]).delete()
    attendee_ids = list(OutreachAttendee.objects.filter(person=other).values_list("pk", flat=True))
    attended = OutreachAttendee.objects.filter(pk__in=attendee_ids).update(person=kept)
    if attendee_ids:
        done.append(merge_moved(OutreachAttendee, "person", attendee_ids, other.pk, kept.pk))
    linked = 0
    profile_ids = list(FieldProfile.objects.filter(person=other).values_list("pk", flat=True))
    if not FieldProfile.objects.filter(person=kept).exists():
        linked = FieldProfile.objects.filter(pk__in=profile_ids).update(person=kept)
        target: int | None = kept.pk
    else:
        FieldProfile.objects.filter(pk__in=profile_ids).update(person=None)
        target = None
    if profile_ids:
        done.append(merge_moved(FieldProfile, "person", profile_ids, other.pk, target))
    if visits or attended or dropped or linked:
        audit_log(actor=actor, action="fieldwork.move", object_type="registry.person", object_id=str(kept.pk),
                  after={"from_person": other.pk, "visits": visits, "attendances": attended,
                         "attendances_merged": dropped, "field_profile": linked})
    return done


def plan_fieldwork(*, kept: Person, other: Person) -> Any:
    """Merge plan (read only): how many visits and attendances ``move_fieldwork`` would move."""
    from jaring.registry.services import MergePlanPart

    visits = Visit.objects.filter(person=other).count()
    attendances = OutreachAttendee.objects.filter(person=other).count()
    moves = []
    if visits:
        moves.append((ngettext("%(n)s kunjungan", "%(n)s kunjungan", visits) % {"n": visits}, visits))
    if attendances:
        moves.append((ngettext("%(n)s kehadiran sosialisasi", "%(n)s kehadiran sosialisasi", attendances)
                      % {"n": attendances}, attendances))
    return MergePlanPart(moves=moves)
