from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.ledger import review_row_as_dict, review_rows
from jaring.contributions.models import StatementImport, StatementReviewRow
from jaring.contributions.services import statement_review_resolve
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("The review list of BPJSTK's files (rows not applied): jaring bpjstk review [--all] [--kind KIND] "
            "[--json]; jaring bpjstk review --resolve ID [ID …] --note TEXT marks rows followed up.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", choices=StatementImport.Kind.values)
        parser.add_argument("--all", action="store_true", help="resolved rows too")
        parser.add_argument("--limit", type=int, default=200, help="at most this many rows (default 200)")
        parser.add_argument("--resolve", type=int, nargs="+", metavar="ID")
        parser.add_argument("--note", default="")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        if options["resolve"]:
            resolved = statement_review_resolve(actor=actor, row_ids=options["resolve"], note=options["note"])
            if options["json"]:
                self.emit_json({"resolved": resolved})
            else:
                self.stdout.write(f"resolved={resolved}")
            return
        rows = review_rows(actor=actor, status=None if options["all"] else StatementReviewRow.Status.OPEN,
                           kind=options["kind"])
        total = rows.count()
        shown = [review_row_as_dict(r) for r in rows.order_by("-created_at", "-id")[:max(options["limit"], 0)]]
        if options["json"]:
            self.emit_json({"count": total, "rows": shown})
            return
        self.stdout.write(f"count={total}")
        for r in shown:
            who = r["kpj"] or r["nik"] or "-"
            month = f" {r['period']}" if r["period"] else ""
            self.stdout.write(f"  #{r['id']} {r['kind']} {r['file']} row {r['row']} {who}{month} "
                              f"[{r['reason']}, {r['status']}]: {r['text']}")
