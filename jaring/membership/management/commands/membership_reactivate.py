from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand, cli_date
from jaring.membership.selectors import payer_for
from jaring.membership.services import memberships_reactivate


class Command(JaringCommand):
    help = ("Reactivate a collective payer's memberships ended for arrears when its funding came late: jaring "
            "membership reactivate --payer CODE --reference TEXT [--ended-from YYYY-MM-DD] [--membership ID …]. "
            "Their voided dues are open again; then issue and pay the invoices.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--payer", required=True)
        parser.add_argument("--reference", required=True, help="the document: SP2D number, the funder's letter")
        parser.add_argument("--ended-from", help="only memberships ended on or after this day (YYYY-MM-DD)")
        parser.add_argument("--membership", type=int, nargs="+", metavar="ID", help="only these memberships")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        ended_from = cli_date(options["ended_from"], "--ended-from") if options["ended_from"] else None
        result = memberships_reactivate(actor=actor, payer=payer_for(actor=actor, code=options["payer"], manage=True),
                                        document_reference=options["reference"], ended_on_from=ended_from,
                                        membership_ids=options["membership"])
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"reactivated={len(result.reactivated)} restored_months={len(result.restored)} "
                          f"kept_void={len(result.kept_void)} skipped={len(result.skipped)}")
        for membership, month, other in data["kept_void"]:
            self.stdout.write(f"  membership {membership} {month}: stays void, billed by {other}")
        for item in result.skipped:
            self.stdout.write(f"  membership {item['membership']} skipped ({item['reason']}): {item['text']}")
