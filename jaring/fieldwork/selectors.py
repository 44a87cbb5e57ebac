"""Reads of field work, area-scoped: the facilitator's worklist (the at-risk list with each person's
visits and next action), the visit log, outreach events with what they brought in, the report per
facilitator and distrik, and the facilitator's own summary for the home page.

Attribution (decision 0040): a registration or an enrolment of a person who attended an event, on
the event's day or within the attribution window after it (``JARING_OUTREACH_ATTRIBUTION_DAYS``,
90 days by default), belongs to that event; when the person attended several, to the latest one
before it. Computed here at read time, never stored."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.contributions.selectors import AtRisk, AtRiskFilter, arrears_run_sql, arrears_run_values, at_risk
from jaring.core.errors import NotFound, ValidationFailed
from jaring.core.money import add_months, month_start
from jaring.core.parameters import current_parameters
from jaring.fieldwork.models import FieldProfile, OutreachAttendee, OutreachEvent, Visit
from jaring.membership.models import Membership
from jaring.registry.models import Person
from jaring.registry.selectors import person_queryset
from jaring.rules.protection import Protection

# Who may read and write field work: named once here, asked through accounts.capabilities.
READ = "fieldwork.read"
WRITE = "fieldwork.write"
LINK = "users.manage"

ATTRIBUTION_DAYS = 90  # the default window; a deployment sets JARING_OUTREACH_ATTRIBUTION_DAYS
# A visit counts as "visited" until the next due date after it, which is never further than this:
# the look-back for the worklist's tabs.
VISITED_LOOKBACK_DAYS = 70
WEEK = dt.timedelta(days=7)


def attribution_days() -> int:
    return int(getattr(settings, "JARING_OUTREACH_ATTRIBUTION_DAYS", ATTRIBUTION_DAYS))


# --- Visits ---------------------------------------------------------------------------------------

def visit_queryset(*, actor: User) -> QuerySet[Visit]:
    """The visits to persons of the actor's area (whoever recorded them: the office sees them all)."""
    return Visit.objects.filter(person__in=person_queryset(actor=actor))


def person_visits(*, actor: User, person: Person, limit: int = 10) -> list[Visit]:
    require(actor, READ)
    return list(visit_queryset(actor=actor).filter(person=person).select_related("by")
                .order_by("-visited_on", "-id")[:limit])


@lru_cache(maxsize=512)
def next_due_after(day: dt.date) -> dt.date:
    """The first standard due date after ``day``: a visit on ``day`` keeps its person out of
    "to do" until then (the next month falls due and the situation may have changed)."""
    from jaring.contributions.services import standard_due_date

    params = current_parameters()
    period = add_months(month_start(day), -1)
    for _step in range(4):
        try:
            due = standard_due_date(params, period)
        except ValidationFailed:  # no parameters for that month: a month later
            due = dt.date.min
        if due > day:
            return due
        period = add_months(period, 1)
    return day + dt.timedelta(days=31)


def visited_until(visit_day: dt.date) -> dt.date:
    return next_due_after(visit_day)


def visit_as_dict(visit: Visit) -> dict[str, Any]:
    return {"id": visit.pk, "person": visit.person_id, "membership": visit.membership_id,
            "visited_on": visit.visited_on.isoformat(), "channel": visit.channel, "outcome": visit.outcome,
            "promised_on": visit.promised_on.isoformat() if visit.promised_on else None, "note": visit.note,
            "period": visit.period.strftime("%Y-%m") if visit.period else None,
            "client_id": str(visit.client_id) if visit.client_id else None, "by": visit.by.username}


def event_as_dict(event: OutreachEvent, *, named: int | None = None, registered: int | None = None,
                  enrolled: int | None = None) -> dict[str, Any]:
    return {"id": event.pk, "held_on": event.held_on.isoformat(), "place": event.place,
            "kelurahan_code": event.kelurahan.code, "kelurahan": event.kelurahan.name,
            "facilitators": [u.username for u in event.facilitators.all()], "partners": list(event.partners),
            "partner_names": event.partner_names, "attendees_count": event.attendees_count,
            "named_attendees": named, "registered": registered, "enrolled": enrolled, "note": event.note,
            "client_id": str(event.client_id) if event.client_id else None}


# --- The worklist ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkFilter:
    """Narrowing the worklist: a kelurahan or distrik code of the actor's area, months behind,
    who pays (``self``, ``collective`` or ``""`` for both), lapsing within a week, and the tab."""

    region_code: str = ""
    months: int | None = None
    payer_group: str = "self"
    this_week: bool = False
    tab: str = "todo"  # "todo" or "visited"


@dataclass(frozen=True)
class VisitInfo:
    visited_on: dt.date
    outcome: str
    outcome_label: str
    channel: str
    channel_label: str
    promised_on: dt.date | None
    note: str
    by_name: str

    @classmethod
    def of(cls, visit: Visit) -> VisitInfo:
        return cls(visit.visited_on, visit.outcome, str(visit.get_outcome_display()), visit.channel,
                   str(visit.get_channel_display()), visit.promised_on, visit.note,
                   visit.by.name if visit.by_id else "")


@dataclass(frozen=True)
class WorkRow:
    risk: AtRisk
    last_visit: VisitInfo | None
    visited_until: dt.date | None  # set while the person is "visited"; None: to do
    action: str  # a code (funder, moved, refused, promise, broken_promise, check_paid, retry, urgent, visit)
    action_text: str

    @property
    def todo(self) -> bool:
        return self.visited_until is None

    def as_dict(self) -> dict[str, Any]:
        r, v = self.risk, self.last_visit
        return {
            "person": r.person_id, "membership": r.membership_id, "full_name": r.full_name, "phone": r.phone or None,
            "kelurahan": r.kelurahan, "kelurahan_code": r.kelurahan_code, "payer": r.payer,
            "payer_is_self": r.payer_is_self, "months_behind": r.unpaid_months, "owed_idr": r.owed_idr,
            "oldest_unpaid": r.oldest.strftime("%Y-%m"),
            "lapses_on": r.lapses_on.isoformat() if r.lapses_on else None,
            "todo": self.todo, "visited_until": self.visited_until.isoformat() if self.visited_until else None,
            "next_action": self.action, "next_action_text": self.action_text,
            "last_visit": None if v is None else {
                "visited_on": v.visited_on.isoformat(), "outcome": v.outcome, "channel": v.channel,
                "promised_on": v.promised_on.isoformat() if v.promised_on else None, "by": v.by_name},
        }


@dataclass
class Worklist:
    rows: list[WorkRow]  # the chosen tab's rows, the first to lapse first
    todo: int
    visited: int
    lapsing_this_week: int  # of the to-do rows

    def fill_last_visits(self, rows: list[WorkRow]) -> list[WorkRow]:
        """``rows`` (one page) with the last visit of those whose latest visit is older than the
        look-back: one query for the page, never one per row."""
        missing = [r.risk.person_id for r in rows if r.last_visit is None]
        if not missing:
            return rows
        older: dict[int, VisitInfo] = {}
        for visit in (Visit.objects.filter(person_id__in=missing).select_related("by")
                      .order_by("person_id", "-visited_on", "-id")):
            older.setdefault(visit.person_id, VisitInfo.of(visit))
        return [WorkRow(r.risk, older.get(r.risk.person_id), r.visited_until, r.action, r.action_text)
                if r.last_visit is None and r.risk.person_id in older else r for r in rows]


def _day(value: dt.date) -> str:
    return date_format(value, "j M Y")


def next_action(risk: AtRisk, last: VisitInfo | None, today: dt.date) -> tuple[str, str]:
    """What to do next for one person at risk, from who pays and the last visit of this arrears."""
    lapses = risk.lapses_on
    if not risk.payer_is_self:
        return "funder", _("Kantor menagih pembayar; peserta tidak perlu ditagih")
    if last is not None and last.visited_on >= risk.oldest:
        if last.outcome == Visit.Outcome.MOVED:
            return "moved", _("Pindah: kantor memperbarui alamat atau mengakhiri kepesertaan")
        if last.outcome == Visit.Outcome.REFUSED:
            return "refused", _("Menolak membayar: kantor menindaklanjuti")
        if last.outcome == Visit.Outcome.PROMISED:
            if last.promised_on is not None and last.promised_on >= today:
                return "promise", _("Pastikan pembayaran yang dijanjikan %(date)s") % {"date": _day(last.promised_on)}
            # A promise without a day holds until the next due date after the visit.
            if last.promised_on is None and visited_until(last.visited_on) > today:
                return "promise", _("Pastikan pembayaran yang dijanjikan")
            return "broken_promise", _("Janji bayar belum ditepati: hubungi lagi")
        if last.outcome == Visit.Outcome.PAID:
            return "check_paid", _("Mengaku sudah bayar: minta bukti bayar untuk kantor")
        if last.outcome == Visit.Outcome.NOT_FOUND:
            return "retry", _("Tidak ditemui: telepon, kirim pesan atau datang lagi")
    if lapses is not None and lapses <= today + WEEK:
        return "urgent", _("Segera: kunjungi atau telepon sebelum %(date)s") % {"date": _day(lapses)}
    if lapses is not None:
        return "visit", _("Kunjungi atau telepon sebelum %(date)s") % {"date": _day(lapses)}
    return "visit", _("Kunjungi atau telepon")


def worklist(*, actor: User, where: WorkFilter | None = None, today: dt.date | None = None) -> Worklist:
    """The facilitator's week: the members at risk in the actor's area (``contributions.at_risk``),
    the first to lapse first, each with their latest visit and next action, split into "to do" and
    "visited" (a visit keeps its person out of "to do" until the next due date after it).
    A fixed number of queries whatever the number of rows."""
    require(actor, READ)
    where = where or WorkFilter()
    today = today or timezone.localdate()
    rows = at_risk(actor=actor, today=today, where=AtRiskFilter(
        region_code=where.region_code, payer_group=where.payer_group, months=where.months,
        lapsing_by=today + WEEK if where.this_week else None))
    latest: dict[int, VisitInfo] = {}
    if rows:
        since = today - dt.timedelta(days=VISITED_LOOKBACK_DAYS)
        for visit in (visit_queryset(actor=actor).filter(visited_on__gte=since).select_related("by")
                      .order_by("person_id", "-visited_on", "-id")):
            latest.setdefault(visit.person_id, VisitInfo.of(visit))
    todo: list[WorkRow] = []
    visited: list[WorkRow] = []
    for risk in rows:
        last = latest.get(risk.person_id)
        until = visited_until(last.visited_on) if last is not None else None
        until = until if until is not None and until > today else None
        action, text = next_action(risk, last, today)
        row = WorkRow(risk, last, until, action, text)
        (todo if row.todo else visited).append(row)
    week_end = today + WEEK
    return Worklist(rows=visited if where.tab == "visited" else todo, todo=len(todo), visited=len(visited),
                    lapsing_this_week=sum(1 for r in todo if r.risk.lapses_on and r.risk.lapses_on <= week_end))


# --- Outreach events ------------------------------------------------------------------------------

def event_queryset(*, actor: User) -> QuerySet[OutreachEvent]:
    """The events held in the actor's area."""
    scope = scope_for(actor)
    events = OutreachEvent.objects.all()
    if scope.covers_every_kelurahan:
        return events
    return events.filter(scope.region_ids_q("kelurahan_id"))


def event_get(*, actor: User, event_id: int) -> OutreachEvent:
    require(actor, READ)
    event = (event_queryset(actor=actor).select_related("kelurahan__parent", "created_by")
             .prefetch_related("facilitators").filter(pk=event_id).first())
    if event is None:
        raise NotFound(_("Sosialisasi tidak ditemukan."))
    return event


def event_attendees(*, actor: User, event: OutreachEvent) -> list[OutreachAttendee]:
    require(actor, READ)
    return list(event.attendees.select_related("person__kelurahan").order_by("id"))


@dataclass
class EventConversions:
    registered: set[int] = field(default_factory=set)  # person ids registered within the window
    enrolled: set[int] = field(default_factory=set)  # person ids enrolled within the window

    @property
    def persons(self) -> set[int]:
        return self.registered | self.enrolled


def _local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def conversions(*, events: QuerySet[OutreachEvent] | Iterable[int], days: int | None = None
                ) -> dict[int, EventConversions]:
    """Event id → the registrations and enrolments attributed to it (module docstring). Four
    queries whatever the number of events and attendees."""
    days = attribution_days() if days is None else days
    event_ids: Any = events.values("id") if isinstance(events, QuerySet) else list(events)
    attending = OutreachAttendee.objects.filter(event_id__in=event_ids, person__isnull=False)
    wanted = set(attending.order_by().values_list("event_id", flat=True).distinct())
    if not wanted:
        return {}
    attendees = attending.values("person_id")
    touches: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for person_id, event_id, held_on in (OutreachAttendee.objects.filter(person_id__in=attendees)
                                         .values_list("person_id", "event_id", "event__held_on")):
        touches[person_id].append((held_on, event_id))
    for visits in touches.values():
        visits.sort()
    out: dict[int, EventConversions] = defaultdict(EventConversions)

    def credit(person_id: int, day: dt.date, kind: str) -> None:
        chosen = None
        for held_on, event_id in touches.get(person_id, ()):
            if held_on <= day and (day - held_on).days <= days:
                chosen = event_id  # the latest event before the conversion (sorted)
        if chosen is not None and chosen in wanted:
            getattr(out[chosen], kind).add(person_id)

    for person_id, created_at in Person.objects.filter(id__in=attendees, merged_into__isnull=True).values_list(
            "id", "created_at"):
        credit(person_id, _local_day(created_at), "registered")
    for person_id, created_at in Membership.objects.filter(person_id__in=attendees).values_list(
            "person_id", "created_at"):
        credit(person_id, _local_day(created_at), "enrolled")
    return dict(out)


@dataclass
class EventRow:
    event: OutreachEvent
    named: int
    registered: int
    enrolled: int
    window_open: bool  # the attribution window has not closed yet: the figures may still grow


def event_rows(*, events: list[OutreachEvent], today: dt.date | None = None,
               days: int | None = None) -> list[EventRow]:
    """Figures for a page of events (whose ``named`` attendees are annotated by ``event_list``)."""
    today = today or timezone.localdate()
    days = attribution_days() if days is None else days
    found = conversions(events=[e.pk for e in events], days=days)
    return [EventRow(e, getattr(e, "named", 0), len(found[e.pk].registered) if e.pk in found else 0,
                     len(found[e.pk].enrolled) if e.pk in found else 0,
                     e.held_on + dt.timedelta(days=days) >= today) for e in events]


def event_list(*, actor: User, region_code: str = "", start: dt.date | None = None,
               end: dt.date | None = None) -> QuerySet[OutreachEvent]:
    require(actor, READ)
    events = (event_queryset(actor=actor).select_related("kelurahan__parent").prefetch_related("facilitators")
              .annotate(named=Count("attendees")))
    if region_code:
        events = events.filter(Q(kelurahan__code=region_code) | Q(kelurahan__code__startswith=region_code + "."))
    if start is not None:
        events = events.filter(held_on__gte=start)
    if end is not None:
        events = events.filter(held_on__lte=end)
    return events.order_by("-held_on", "-id")


# --- The report per facilitator and distrik ------------------------------------------------------

@dataclass
class ReportRow:
    key: str
    label: str
    events: int = 0
    attendees: int = 0  # counted heads
    named: int = 0  # attendees recorded by name or as persons
    registered: int = 0
    enrolled: int = 0

    @property
    def enrolled_per_event(self) -> float | None:
        return round(self.enrolled / self.events, 1) if self.events else None

    def add(self, row: EventRow) -> None:
        self.events += 1
        self.attendees += row.event.attendees_count
        self.named += row.named
        self.registered += row.registered
        self.enrolled += row.enrolled

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "events": self.events, "attendees": self.attendees,
                "named_attendees": self.named, "registered": self.registered, "enrolled": self.enrolled}


@dataclass
class OutreachReport:
    start: dt.date
    end: dt.date
    days: int
    by_facilitator: list[ReportRow]
    by_district: list[ReportRow]
    totals: ReportRow

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "attribution_days": self.days,
                "totals": self.totals.as_dict(), "by_facilitator": [r.as_dict() for r in self.by_facilitator],
                "by_district": [r.as_dict() for r in self.by_district]}


def outreach_report(*, actor: User, start: dt.date | None = None, end: dt.date | None = None,
                    days: int | None = None, today: dt.date | None = None) -> OutreachReport:
    """Events held from ``start`` to ``end`` in the actor's area (default: the last twelve months),
    with what they brought in, per facilitator (an event run by two counts for each) and per distrik."""
    require(actor, READ)
    today = today or timezone.localdate()
    end = end or today
    start = start or add_months(month_start(end), -11)
    if start > end:
        raise ValidationFailed(_("Tanggal awal setelah tanggal akhir."), fields={"from": [start.isoformat()]})
    days = attribution_days() if days is None else days
    events = list(event_list(actor=actor, start=start, end=end))
    rows = event_rows(events=events, today=today, days=days)
    people: dict[str, ReportRow] = {}
    districts: dict[str, ReportRow] = {}
    totals = ReportRow("total", _("Jumlah"))
    for row in rows:
        totals.add(row)
        for user in row.event.facilitators.all():
            people.setdefault(user.username, ReportRow(user.username, user.name or user.username)).add(row)
        district = row.event.kelurahan.parent
        key, label = (district.code, district.name) if district is not None else ("-", "-")
        districts.setdefault(key, ReportRow(key, label)).add(row)

    def order(r: ReportRow) -> tuple[int, int, str]:
        return (-r.enrolled, -r.registered, r.label)

    return OutreachReport(start, end, days, sorted(people.values(), key=order), sorted(districts.values(), key=order),
                          totals)


# --- The facilitator's own summary ----------------------------------------------------------------

def own_person(*, user: User) -> Person | None:
    profile = FieldProfile.objects.filter(user=user).select_related("person__kelurahan").first()
    return profile.person if profile is not None else None


def in_arrears(memberships: QuerySet[Membership], day: dt.date) -> set[int]:
    """Of ``memberships``, those with a month in arrears on ``day``: the arrears run of
    ``contributions.ARREARS_RUN_SQL`` (the one SQL of the rule), restricted to them. One query."""
    sql, params = memberships.values("id").query.sql_with_params()
    first, *rest = sql.split("%s")
    named = first + "".join(f"%(m_{i})s{part}" for i, part in enumerate(rest))
    values = {**arrears_run_values(day), **{f"m_{i}": v for i, v in enumerate(params)}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT r.membership_id FROM (" + arrears_run_sql(named) + ") r", values)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def protected_count(persons: QuerySet[Person], day: dt.date) -> int:
    """How many of ``persons`` are protected on ``day`` (``rules.protection``): an active membership
    that has started, with no month in arrears. Set-based: two queries."""
    covering = Membership.objects.filter(person__in=persons.values("id"), status=Membership.Status.ACTIVE,
                                         start_date__lte=day)
    behind = in_arrears(covering, day)
    return covering.exclude(id__in=behind).values("person_id").distinct().count()


@dataclass(frozen=True)
class FieldSummary:
    person: Person | None
    protection: Protection | None
    registered: int  # persons the user registered
    enrolled: int  # persons the user enrolled
    via_events: int  # persons attributed to the user's outreach events
    brought_in: int  # all of them, each person once
    kept: int  # of those, protected today
    todo: int  # the worklist's "to do" (self-payers)
    todo_this_week: int  # of which lapse within a week


def attributed_to(*, user: User, days: int | None = None) -> set[int]:
    """The persons attributed to the outreach events ``user`` ran."""
    attributed: set[int] = set()
    for found in conversions(events=OutreachEvent.objects.filter(facilitators=user), days=days).values():
        attributed |= found.persons
    return attributed


def brought_in(*, user: User, attributed: set[int] | None = None) -> QuerySet[Person]:
    """The persons ``user`` brought in: registered or enrolled by them, or attributed to an
    outreach event they ran. Their own person record is not among them."""
    attributed = attributed_to(user=user) if attributed is None else attributed
    persons = Person.objects.filter(
        Q(created_by=user) | Q(id__in=Membership.objects.filter(created_by=user).values("person_id"))
        | Q(id__in=attributed), merged_into__isnull=True)
    own = FieldProfile.objects.filter(user=user, person__isnull=False).values("person_id")
    return persons.exclude(id__in=own)


def field_summary(*, user: User, today: dt.date | None = None) -> FieldSummary:
    """The home card's figures: the user's own coverage (their linked person record), the workers
    they brought in and kept, and this week's to-do."""
    from jaring.contributions.selectors import protection

    today = today or timezone.localdate()
    person = own_person(user=user)
    own_id = person.pk if person is not None else None
    attributed = attributed_to(user=user) - {own_id}
    mine = Person.objects.filter(created_by=user, merged_into__isnull=True)
    enrolments = Membership.objects.filter(created_by=user)
    if own_id is not None:
        mine, enrolments = mine.exclude(pk=own_id), enrolments.exclude(person_id=own_id)
    registered = mine.count()
    enrolled = enrolments.values("person_id").distinct().count()
    everyone = brought_in(user=user, attributed=attributed)
    work = worklist(actor=user, where=WorkFilter(), today=today) if _can_read(user) else None
    return FieldSummary(
        person=person, protection=protection(person=person, day=today) if person is not None else None,
        registered=registered, enrolled=enrolled, via_events=len(attributed),
        brought_in=everyone.count(), kept=protected_count(everyone, today),
        todo=work.todo if work else 0, todo_this_week=work.lapsing_this_week if work else 0)


def _can_read(user: User) -> bool:
    from jaring.accounts.capabilities import can

    return can(user, READ)


def facilitator_choices(*, actor: User) -> list[User]:
    """Users who may be named as running an event in the actor's area: active field workers with an
    area inside it."""
    from jaring.accounts.capabilities import can
    from jaring.regions.models import Region
    from jaring.regions.selectors import region_subtree_q

    regions = Region.objects.filter(region_subtree_q(scope_for(actor).codes))
    users = User.objects.filter(is_active=True, areas__region__in=regions).distinct().order_by("name", "username")
    return [u for u in users if can(u, WRITE)]
