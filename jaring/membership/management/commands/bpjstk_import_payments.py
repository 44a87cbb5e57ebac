from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.exchange import payment_statement_reconcile, read_table
from jaring.membership.selectors import payer_get


class Command(JaringCommand):
    help = "Reconcile a BPJSTK payment statement (KPJ or NIK, bulan, iuran) with the dues. Changes nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--payer", help="limit 'expected but missing' to this payer")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        payer = payer_get(code=options["payer"]) if options["payer"] else None
        result = payment_statement_reconcile(actor=cli_actor(options["as_user"]), rows=read_table(options["file"]),
                                             payer=payer)
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items() if k != "details"))
        for bucket, items in data["details"].items():
            for item in items[:50]:
                self.stdout.write(f"  {bucket}: {item}")
