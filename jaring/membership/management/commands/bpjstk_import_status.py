from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.exchange import status_import
from jaring.membership.management.commands.bpjstk_import_payments import print_statement


class Command(JaringCommand):
    help = ("Apply BPJSTK's status file (KPJ or NIK, status AKTIF / NON AKTIF, tanggal): a non-active status ends the "
            "active membership for arrears on BPJSTK's date; anything else goes to the review list.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="match and report; change nothing")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = status_import(actor=cli_actor(options["as_user"]), path=options["file"], dry_run=options["dry_run"])
        print_statement(self, result, json=options["json"])
