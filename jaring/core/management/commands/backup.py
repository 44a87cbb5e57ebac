from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from jaring.core.backup import backup_create, engine
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Write an encrypted backup of the database: jaring backup [--output FILE]. SQLite: an online "
            "snapshot (the server may keep running). PostgreSQL: pg_dump --format=custom, encrypted as it "
            "streams. See docs/operations/backup.md.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", type=Path,
                            help="the backup file to write (default: $JARING_HOME/backups/jaring-<UTC time>.backup)")
        parser.add_argument("--from-dump", type=Path,
                            help="PostgreSQL without pg_dump here: encrypt a `pg_dump --format=custom` file "
                                 "made on another machine")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = "postgresql" if options["from_dump"] else engine()
        if not options["json"]:
            self.stderr.write("PostgreSQL: running pg_dump --format=custom, encrypting as it streams …"
                              if kind == "postgresql" and not options["from_dump"]
                              else f"{kind}: taking a consistent snapshot and encrypting it …")
        # The CLI actor lives in accounts, above core: reached through a setting (decision 0026).
        actor = import_string(settings.JARING_CLI_ACTOR)(options["as_user"])
        info = backup_create(actor=actor, output=options["output"], from_dump=options["from_dump"])
        data = {"file": str(info.path), "engine": info.engine, "bytes": info.size, "sha256": info.sha256,
                "checksum_file": f"{info.path}.sha256"}
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"{info.path}  ({info.size} bytes, encrypted, mode 0600)\n"
                          f"sha256 {info.sha256}  (also in {info.path}.sha256)\n"
                          "Copy it off this machine. Restoring it needs the same JARING_DATA_KEY: keep the key "
                          "safe, and separately from the backup.")
