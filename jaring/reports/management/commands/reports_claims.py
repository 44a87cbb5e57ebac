from __future__ import annotations

from typing import Any

from django.utils import timezone

from jaring.accounts.services import cli_actor
from jaring.claims.figures import GROUP_BY, claims_summary
from jaring.core.commands import JaringCommand, cli_month
from jaring.core.money import format_idr, month_start


class Command(JaringCommand):
    help = ("The claims report: claims reported (by event month), open, paid, rejected and lapsed, the "
            "unprotected among them, and the benefits paid beside the contributions paid (for roles that "
            "read money), grouped by month, distrik, type or payer. Default: January of this year to this month.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--group-by", dest="group_by", default="month", help=", ".join(GROUP_BY))
        parser.add_argument("--from", dest="date_from", default=None, help="YYYY-MM")
        parser.add_argument("--to", dest="date_to", default=None, help="YYYY-MM")
        parser.add_argument("--distrik", default="", help="a distrik code, e.g. 96.71.01")
        parser.add_argument("--type", dest="claim_type", default="", help="jkk, jkm or scholarship")
        parser.add_argument("--payer", default="", help="a payer code, or 'none' (not a member)")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        this_month = month_start(timezone.localdate())
        date_from = cli_month(options["date_from"], "--from") if options["date_from"] else this_month.replace(month=1)
        date_to = cli_month(options["date_to"], "--to") if options["date_to"] else this_month
        summary = claims_summary(actor=cli_actor(options["as_user"]), group_by=options["group_by"],
                                 date_from=date_from, date_to=date_to, distrik=options["distrik"],
                                 type=options["claim_type"], payer=options["payer"])
        if options["json"]:
            self.emit_json(summary.as_dict())
            return
        headers = ["reported", "open", "paid", "rejected", "lapsed", "unprotected", "settled"]
        if summary.money:
            headers += ["benefits", "contributions"]
        self.stdout.write("\t".join([summary.group_by, *headers]))
        for row in [*summary.rows, summary.totals]:
            cells = [str(getattr(row, name)) for name in headers[:7]]
            if summary.money:
                cells += [format_idr(row.benefits_idr),
                          "-" if row.contributions_idr is None else format_idr(row.contributions_idr)]
            self.stdout.write("\t".join([str(row.label), *cells]))
