"""``jaring outreach create|attendee|report`` — outreach events (*sosialisasi*) and what they brought in."""

from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand, cli_date
from jaring.core.errors import ValidationFailed
from jaring.fieldwork.models import OutreachEvent
from jaring.fieldwork.selectors import event_as_dict, event_get, facilitator_choices, outreach_report
from jaring.fieldwork.services import event_attendee_add, event_create
from jaring.membership.selectors import person_by_nik_or_404


class Command(JaringCommand):
    help = "Outreach events: record one, add who came, report events and conversions per facilitator and distrik."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="record an outreach event")
        create.add_argument("--date", required=True, help="YYYY-MM-DD")
        create.add_argument("--place", required=True)
        create.add_argument("--kelurahan", required=True, help="kelurahan code, e.g. 96.71.01.1004")
        create.add_argument("--facilitator", action="append", default=[], help="username (repeatable)")
        create.add_argument("--partner", action="append", default=[], choices=OutreachEvent.Partner.values)
        create.add_argument("--partner-names", default="")
        create.add_argument("--attendees", type=int, default=0, help="how many came")
        create.add_argument("--note", default="")
        create.add_argument("--client-id")
        attendee = sub.add_parser("attendee", help="add someone who came, by NIK or by name")
        attendee.add_argument("event", type=int)
        who = attendee.add_mutually_exclusive_group(required=True)
        who.add_argument("--nik")
        who.add_argument("--name")
        report = sub.add_parser("report", help="events and conversions per facilitator and distrik")
        report.add_argument("--from", dest="date_from", help="YYYY-MM-DD (default: twelve months back)")
        report.add_argument("--to", dest="date_to", help="YYYY-MM-DD (default: today)")
        report.add_argument("--days", type=int, help="the attribution window in days (default: the setting)")
        for p in (create, attendee, report):
            p.add_argument("--as", dest="as_user")
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        action = options["action"]
        if action == "create":
            team = None
            if options["facilitator"]:
                known = {u.username: u for u in facilitator_choices(actor=actor)}
                unknown = [n for n in options["facilitator"] if n not in known]
                if unknown:
                    raise ValidationFailed("unknown facilitators: " + ", ".join(unknown),
                                           fields={"facilitator": unknown})
                team = [known[n] for n in options["facilitator"]]
            event = event_create(actor=actor, held_on=cli_date(options["date"], "date"), place=options["place"],
                                 kelurahan_code=options["kelurahan"], facilitators=team, partners=options["partner"],
                                 partner_names=options["partner_names"], attendees_count=options["attendees"],
                                 note=options["note"], client_id=options["client_id"])
            self._emit_event(event, options)
        elif action == "attendee":
            event = event_get(actor=actor, event_id=options["event"])
            person = person_by_nik_or_404(actor=actor, nik=options["nik"]) if options["nik"] else None
            event_attendee_add(actor=actor, event=event, person=person, name=options["name"] or "")
            self._emit_event(event_get(actor=actor, event_id=event.pk), options)
        else:
            days = options["days"]
            if days is not None and not 0 <= days <= 3650:
                raise ValidationFailed("days must be 0 to 3650", fields={"days": [str(days)]})
            result = outreach_report(
                actor=actor, days=days,
                start=cli_date(options["date_from"], "from") if options["date_from"] else None,
                end=cli_date(options["date_to"], "to") if options["date_to"] else None)
            data = result.as_dict()
            if options["json"]:
                self.emit_json(data)
                return
            t = data["totals"]
            self.stdout.write(f"outreach {data['from']}..{data['to']} (window {data['attribution_days']} days): "
                              f"{t['events']} events, {t['attendees']} attended, {t['registered']} registered, "
                              f"{t['enrolled']} enrolled")
            for title, rows in (("facilitator", data["by_facilitator"]), ("distrik", data["by_district"])):
                for r in rows:
                    self.stdout.write(f"  {title} {r['label']}: {r['events']} events, {r['attendees']} attended, "
                                      f"{r['registered']} registered, {r['enrolled']} enrolled")

    def _emit_event(self, event: OutreachEvent, options: dict[str, Any]) -> None:
        data = event_as_dict(event, named=event.attendees.count())
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"outreach {data['id']}: {data['held_on']} {data['place']} ({data['kelurahan']}) "
                          f"attended={data['attendees_count']} named={data['named_attendees']}")
