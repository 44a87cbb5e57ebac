from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from jaring.claims.management.commands.claim_show import add_common, claim_for
from jaring.claims.scan_http import scan_as_dict
from jaring.claims.services import claim_scan_add
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Add a scan or photo of a checklist document: jaring claim scan ID --code CODE --file PATH [--json]"

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--code", required=True, help="the checklist item (see 'jaring claim show ID')")
        parser.add_argument("--file", required=True, help="a JPEG, PNG or PDF")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                # One byte past the limit is enough for the service to refuse a larger file by its size.
                data = handle.read(int(settings.JARING_CLAIM_SCAN_MAX_BYTES) + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        scan = claim_scan_add(actor=actor, claim=claim, code=options["code"], filename=path.name, data=data)
        if options["json"]:
            self.emit_json(scan_as_dict(scan))
            return
        self.stdout.write(f"claim {claim.pk}: scan {scan.pk} of {scan.document.code} ({scan.content_type}, "
                          f"{scan.size} bytes)")
