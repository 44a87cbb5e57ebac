from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from jaring.claims.management.commands.claim_show import claim_for
from jaring.claims.packet import claim_packet_pdf
from jaring.core.audit import audit_log
from jaring.core.commands import JaringCommand
from jaring.core.context import rules_lang


class Command(JaringCommand):
    help = "Write a claim's A4 packet (PDF): jaring claim packet ID --out FILE [--force]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("id", type=int)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--out", required=True)
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        data = claim_packet_pdf(claim, lang=rules_lang())
        out = Path(options["out"])
        # Personal data: readable by the owner only; O_EXCL refuses an existing file without a race.
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if options["force"] else os.O_EXCL)
        try:
            fd = os.open(out, flags, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists; use --force to overwrite it", returncode=2) from None
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}", returncode=2) from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        audit_log(actor=actor, action="claim.packet", obj=claim, region_code=claim.person.kelurahan.code,
                  after={"bytes": len(data)})
        self.stdout.write(f"claim {claim.pk}: packet written to {out} ({len(data)} bytes)")
