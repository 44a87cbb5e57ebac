from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.contributions.ledger import StatementResult, payment_statement_import
from jaring.core.commands import JaringCommand
from jaring.membership.selectors import payer_for


def print_statement(command: JaringCommand, result: StatementResult, *, json: bool) -> None:
    """The summary of a BPJSTK file (``--json``: all of it) and where its XLSX report is."""
    data = result.as_dict()
    if json:
        command.emit_json(data)
        return
    shown = ("rows", "applied", "unchanged", "review", "invalid", "expected_missing")
    command.stdout.write(" ".join(f"{k}={data[k]}" for k in shown if k in data)
                         + (" (dry run: nothing saved)" if result.dry_run else ""))
    for reason, count in data["review_by_reason"].items():
        command.stdout.write(f"  review {reason}: {count}")
    for item in data["reviews"][:50]:
        command.stdout.write(f"  row {item['row']} ({item['reason']}): {item['text']}")
    for note in result.notes:
        command.stderr.write(f"note: {note}")
    command.stdout.write(f"report: {result.report}")


class Command(JaringCommand):
    help = ("Apply BPJSTK's payment statement (KPJ or NIK, bulan, iuran, tanggal bayar, saluran): rows that match a "
            "self-payer's open due exactly pay it on the payment date; every other row goes to the review list. "
            "--dry-run reports what would be applied and changes nothing.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--payer", help="a self payer: only its dues are applied and expected")
        parser.add_argument("--dry-run", action="store_true", help="match and report; change nothing")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        payer = payer_for(actor=actor, code=options["payer"], manage=True) if options["payer"] else None
        result = payment_statement_import(actor=actor, path=options["file"], dry_run=options["dry_run"], payer=payer)
        print_statement(self, result, json=options["json"])
