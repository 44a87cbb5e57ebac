from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.money import parse_month
from jaring.reports.services import snapshot_refresh, snapshot_refresh_touched


class Command(JaringCommand):
    help = ("Rebuild the dashboard's monthly snapshots: the running month (default), the last N months "
            "(--months 24, e.g. nightly from cron) or one month (--period YYYY-MM). Re-running replaces a month. "
            "--touched refreshes only the kelurahan and months that writes marked as changed (e.g. every few "
            "minutes from cron).")

    def add_arguments(self, parser: Any) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--months", type=int, default=None)
        group.add_argument("--period", default=None, help="YYYY-MM")
        group.add_argument("--touched", action="store_true")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["touched"]:
            touched = snapshot_refresh_touched(actor=cli_actor(options["as_user"]), trigger="cli")
            if options["json"]:
                self.emit_json(touched.as_dict())
                return
            for refreshed in touched.months:
                self.stdout.write(" ".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                                           for k, v in refreshed.items()))
            return
        period = None
        if options["period"]:
            try:
                period = parse_month(options["period"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        result = snapshot_refresh(actor=cli_actor(options["as_user"]), period=period, months=options["months"],
                                  trigger="cli")
        if options["json"]:
            self.emit_json(result.as_dict())
            return
        for month in result.months:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in month.as_dict().items()))
