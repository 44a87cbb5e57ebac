from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from jaring.accounts.services import cli_actor
from jaring.claims.services import claim_scan_open
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Write a scan's file (decrypted, audited): jaring claim scan-get SCAN_ID --out FILE [--force]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("scan_id", type=int)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--out", required=True)
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        out = Path(options["out"])
        if out.exists() and not options["force"]:  # before the audited opening; O_EXCL below closes the race
            raise CommandError(f"{out} exists; use --force to overwrite it", returncode=2)
        scan, data = claim_scan_open(actor=actor, scan_id=options["scan_id"])
        # Personal data: readable by the owner only.
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if options["force"] else os.O_EXCL)
        try:
            fd = os.open(out, flags, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists; use --force to overwrite it", returncode=2) from None
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}", returncode=2) from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self.stdout.write(f"scan {scan.pk} ({scan.content_type}, {scan.size} bytes) written to {out}")
