from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.registry.services import persons_verify_nik


class Command(JaringCommand):
    help = ("Ask Dukcapil about unverified NIKs (JARING_NIK_VERIFIER, decision 0041): jaring person verify-nik "
            "[--limit N] [--json] [--as USER]. Prints {verifier, checked, verified, not_found, mismatch, error, "
            "stopped, remaining}.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=100, help="at most this many persons (1-1000)")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = persons_verify_nik(actor=cli_actor(options["as_user"]), limit=options["limit"])
        if options["json"]:
            self.emit_json(summary)
            return
        stopped = " (stopped after repeated errors)" if summary["stopped"] else ""
        self.stdout.write(f"{summary['verifier']}: checked={summary['checked']} verified={summary['verified']} "
                          f"not_found={summary['not_found']} mismatch={summary['mismatch']} error={summary['error']} "
                          f"remaining={summary['remaining']}{stopped}")
