from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.exchange import rejections_import
from jaring.membership.management.commands.bpjstk_import_payments import print_statement


class Command(JaringCommand):
    help = ("Apply BPJSTK's rejection file (NIK, alasan): a submitted registration goes back to draft with BPJSTK's "
            "reason; anything else goes to the review list.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="match and report; change nothing")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = rejections_import(actor=cli_actor(options["as_user"]), path=options["file"],
                                   dry_run=options["dry_run"])
        print_statement(self, result, json=options["json"])
