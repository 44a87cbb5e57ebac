"""``jaring visit record`` — record a visit, call or message to a person (a facilitator's log)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand, cli_date
from jaring.fieldwork.models import Visit
from jaring.fieldwork.selectors import visit_as_dict
from jaring.fieldwork.services import visit_record
from jaring.membership.selectors import person_by_nik_or_404


class Command(JaringCommand):
    help = ("Record a visit: jaring visit record --nik NIK --outcome paid|promised|moved|refused|not_found|other "
            "[--date YYYY-MM-DD] [--channel visit|call|message] [--promised-on YYYY-MM-DD] [--note TEXT] "
            "[--client-id UUID] [--as USER] [--json]")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        record = sub.add_parser("record", help="record a visit, call or message and its outcome")
        record.add_argument("--nik", required=True)
        record.add_argument("--outcome", required=True, choices=Visit.Outcome.values)
        record.add_argument("--date", help="the day of the visit (default: today)")
        record.add_argument("--channel", choices=Visit.Channel.values, default=Visit.Channel.VISIT)
        record.add_argument("--promised-on", help="the day the person promised to pay (outcome promised)")
        record.add_argument("--note", default="")
        record.add_argument("--client-id", help="a UUID: recording the same one twice records it once")
        record.add_argument("--as", dest="as_user")
        record.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        person = person_by_nik_or_404(actor=actor, nik=options["nik"])
        visit = visit_record(
            actor=actor, person=person,
            visited_on=cli_date(options["date"], "date") if options["date"] else timezone.localdate(),
            outcome=options["outcome"], channel=options["channel"], note=options["note"],
            promised_on=cli_date(options["promised_on"], "promised-on") if options["promised_on"] else None,
            client_id=options["client_id"])
        data = visit_as_dict(visit)
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"visit {data['id']}: person {data['person']} {data['visited_on']} {data['channel']} "
                          f"{data['outcome']}" + (f" promised_on={data['promised_on']}" if data["promised_on"] else ""))
