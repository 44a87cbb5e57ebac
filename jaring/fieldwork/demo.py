"""The demo city's field work (issue 12): each facilitator linked to their own person record (the
demo registers them as persons paid by the city), a week of visits and calls to members in arrears
recorded by the facilitators themselves, and four outreach events with their attendees. Written
through the fieldwork services; deterministic for a seed and a day."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from jaring.accounts.models import Role, User
from jaring.accounts.services import system_user
from jaring.fieldwork.models import OutreachEvent, Visit
from jaring.fieldwork.selectors import WorkFilter, worklist
from jaring.fieldwork.services import event_attendee_add, event_create, field_profile_link, visit_record
from jaring.registry.models import Person

SEED_OFFSET = 1207
VISITED_SHARE = 0.3  # of each facilitator's to-do, visited this week
OUTCOMES = [(Visit.Outcome.PROMISED, 5), (Visit.Outcome.NOT_FOUND, 3), (Visit.Outcome.PAID, 2),
            (Visit.Outcome.REFUSED, 1), (Visit.Outcome.MOVED, 1)]
NOTES = {
    Visit.Outcome.PROMISED: ["Janji bayar setelah gajian", "Bayar di kantor pos hari Jumat", "Tunggu hasil jualan"],
    Visit.Outcome.NOT_FOUND: ["Rumah kosong, kata tetangga ke kebun", "HP tidak aktif", "Sedang melaut"],
    Visit.Outcome.PAID: ["Sudah bayar lewat agen, bukti difoto", "Bayar lewat Indomaret"],
    Visit.Outcome.REFUSED: ["Tidak mau lanjut, merasa tidak perlu"],
    Visit.Outcome.MOVED: ["Pindah ke Kabupaten Sorong (Aimas)"],
}
EVENTS = [  # days ago, place, partners, partner names, head count
    (12, "Gereja GKI Maranatha", ["church", "bpjstk"], "GKI Maranatha; BPJSTK Cabang Sorong", 48),
    (26, "Pasar Remu", ["market", "bpjstk"], "Paguyuban Pedagang Pasar Remu", 35),
    (41, "Masjid Raya Al-Akbar", ["mosque"], "Takmir Masjid Raya", 27),
    (63, "Kantor Kelurahan", ["kelurahan", "bpjstk"], "Lurah; BPJSTK Cabang Sorong", 52),
]


def _link_facilitators(admin: User) -> int:
    """The demo registered each facilitator as a person of their first kelurahan, under their name."""
    linked = 0
    for user in User.objects.filter(role=Role.FACILITATOR, is_active=True).order_by("username"):
        area = user.areas.select_related("region").order_by("id").first()
        if area is None:
            continue
        matches = list(Person.objects.filter(full_name=user.name, kelurahan=area.region,
                                             occupation__code="honorary_staff", merged_into__isnull=True)[:2])
        if len(matches) == 1:
            field_profile_link(actor=admin, user=user, person=matches[0])
            linked += 1
    return linked


def _visits(rng: random.Random, facilitators: list[User], today: dt.date) -> int:
    outcomes, weights = zip(*OUTCOMES, strict=True)
    recorded = 0
    for user in facilitators:
        rows = worklist(actor=user, where=WorkFilter(), today=today).rows
        # A sample, not the most urgent: the demo's "to do" tab keeps people about to lapse.
        for row in rng.sample(rows, max(1, int(len(rows) * VISITED_SHARE))) if rows else []:
            outcome = rng.choices(outcomes, weights)[0]
            day = today - dt.timedelta(days=rng.randrange(0, 6))
            promise = day + dt.timedelta(days=rng.randrange(2, 10)) if outcome == Visit.Outcome.PROMISED else None
            visit_record(actor=user, person=Person(pk=row.risk.person_id), visited_on=day, outcome=outcome,
                         channel=rng.choice(list(Visit.Channel.values)), note=rng.choice(NOTES[outcome]),
                         promised_on=promise, today=today)
            recorded += 1
    return recorded


def _events(rng: random.Random, facilitators: list[User], today: dt.date) -> tuple[int, int]:
    events = attendees = 0
    for index, (days_ago, place, partners, names, count) in enumerate(EVENTS):
        if index >= len(facilitators):
            break
        host = facilitators[(index * 7) % len(facilitators)]
        area = host.areas.select_related("region").order_by("id").first()
        if area is None:
            continue
        kelurahan = area.region
        team = [u for u in facilitators if u.areas.filter(region=kelurahan).exists()][:2] or [host]
        event = event_create(actor=host, held_on=today - dt.timedelta(days=days_ago), place=place,
                             kelurahan_code=kelurahan.code, facilitators=team, partners=partners,
                             partner_names=names, attendees_count=count, note="", today=today)
        events += 1
        # Workers of the kelurahan who came: found by the facilitator among the registered.
        people = list(Person.objects.filter(kelurahan=kelurahan, occupation__isnull=False, merged_into__isnull=True)
                      .exclude(occupation__code="honorary_staff").order_by("id")[:400])
        for person in rng.sample(people, min(len(people), rng.randrange(8, 16))):
            event_attendee_add(actor=host, event=event, person=person)
            attendees += 1
        for name in rng.sample(["Mama Yuliana", "Bapak Yunus", "Ibu Ester", "Om Markus", "Kaka Selvi"], 2):
            event_attendee_add(actor=host, event=event, name=f"{name} (belum terdaftar)")
            attendees += 1
    return events, attendees


def seed_demo_fieldwork(*, seed: int, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    if OutreachEvent.objects.exists() or Visit.objects.exists():
        return {}
    rng = random.Random(seed + SEED_OFFSET)
    facilitators = list(User.objects.filter(role=Role.FACILITATOR, is_active=True).order_by("username"))
    linked = _link_facilitators(system_user())
    visits = _visits(rng, facilitators, today)
    events, attendees = _events(rng, facilitators, today)
    return {"facilitators_linked": linked, "visits": visits, "outreach_events": events,
            "outreach_attendees": attendees}
