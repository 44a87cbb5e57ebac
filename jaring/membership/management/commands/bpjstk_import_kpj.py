from __future__ import annotations

from pathlib import Path
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.membership.exchange import kpj_import, read_table


class Command(JaringCommand):
    help = ("Read BPJSTK's KPJ file (NIK, KPJ, tanggal mulai) and activate the matching memberships; a KPJ that "
            "differs from the person's own goes to review, never overwrites it.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = kpj_import(actor=cli_actor(options["as_user"]), rows=read_table(options["file"]))
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"rows={data['rows']} activated={data['activated']} unchanged={data['unchanged']} "
                          f"rejected={data['rejected']} review={data['review']}")
        for rejection in data["rejections"]:
            self.stdout.write(f"  row {rejection['row']}: {rejection['reason']}")
        for review in data["reviews"]:
            self.stdout.write(f"  row {review['row']} (review): {review['reason']}")
