from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.exchange import registration_export
from jaring.membership.selectors import payer_for


class Command(JaringCommand):
    help = "Write the collective registration file of a payer's new members (drafts become submitted)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--payer", required=True)
        parser.add_argument("--format", default="xlsx", choices=["xlsx", "csv"])
        parser.add_argument("--out", help="file or folder (default: the current folder)")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        result = registration_export(actor=actor, payer=payer_for(actor=actor, code=options["payer"], manage=True),
                                     fmt=options["format"])
        target = Path(options["out"] or ".")
        if target.is_dir():
            target = target / result.filename
        target.write_bytes(result.content)
        if options["json"]:
            self.emit_json({"file": str(target), "rows": result.rows, "unverified": result.unverified})
        else:
            self.stdout.write(f"{target} ({result.rows} rows, {result.unverified} NIK not verified by Dukcapil)")
