from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.selectors import membership_months, protection
from jaring.core.commands import JaringCommand, cli_date
from jaring.core.errors import NotFound
from jaring.membership.selectors import membership_current, person_by_nik_or_404


class Command(JaringCommand):
    help = "Show a person's current (or latest) membership and its months."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: protection on that day (default today)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        person = person_by_nik_or_404(actor=actor, nik=options["nik"])
        membership = membership_current(actor=actor, person=person)
        if membership is None:
            raise NotFound("this person has no membership")
        months = membership_months(membership=membership)
        status = protection(person=person, day=cli_date(options["as_of"], "--as-of") if options["as_of"] else None)
        data = {"status": membership.status, "end_reason": membership.end_reason or None,
                "payer": membership.payer.code, "kpj": membership.kpj,
                "start_date": membership.start_date.isoformat(),
                "ended_on": membership.ended_on.isoformat() if membership.ended_on else None,
                "protected": status.protected, "protected_reason": status.reason.value,
                "protected_text": status.message.text("id"), "as_of": status.day.isoformat(), "months": months}
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"{person.full_name} — {membership.payer.name}: {membership.get_status_display()}")
        self.stdout.write(f"  {status.day.isoformat()}: {status.message.text('id')}")
        for month in months:
            self.stdout.write(f"  {month['period']}  Rp{month['amount_idr']:>8,}  {month['status']:<5} "
                              f"{month['paid_date'] or ''}".replace(",", "."))
