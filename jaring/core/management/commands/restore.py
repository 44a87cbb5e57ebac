from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from jaring.core.backup import backup_decrypt, backup_restore, restore_audit
from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = ("Restore an encrypted backup made by `jaring backup`: jaring restore FILE [--force]. Stop the "
            "server first. The backup is decrypted and verified in full before anything changes; a database "
            "that holds data is replaced only with --force; `migrate` runs afterwards when needed.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--force", action="store_true",
                            help="replace a database that already holds users or audit events")
        parser.add_argument("--dump-to", type=Path,
                            help="only decrypt and verify, writing the clear content (SQLite file or pg_dump "
                                 "custom-format dump) to this new file (0600); the database is not touched")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dump_to"]:
            header = backup_decrypt(path=options["file"], output=options["dump_to"])
            data: dict[str, Any] = {"file": str(options["dump_to"]), "engine": header.engine,
                                    "backup_created": header.created.isoformat()}
            if options["json"]:
                self.emit_json(data)
            else:
                self.stdout.write(f"{options['dump_to']}: verified and decrypted ({header.engine} backup of "
                                  f"{header.created:%Y-%m-%d %H:%M} UTC). It holds personal data in clear: "
                                  "delete it (shred -u) once restored.")
            return
        if not options["json"]:
            self.stderr.write("Restoring: the Jaring server and scheduled jobs must be stopped.")
        result = backup_restore(path=options["file"], force=options["force"])
        # The CLI actor lives in accounts, above core: reached through a setting (decision 0026).
        actor = import_string(settings.JARING_CLI_ACTOR)(options["as_user"])
        restore_audit(actor=actor, result=result, path=options["file"])
        data = {"file": str(options["file"]), "engine": result.engine, "sha256": result.sha256,
                "backup_created": result.created.isoformat(), "migrated": result.migrated}
        if options["json"]:
            self.emit_json(data)
            return
        self.stdout.write(f"Restored the {result.engine} backup of {result.created:%Y-%m-%d %H:%M} UTC"
                          + (" and applied newer migrations." if result.migrated else ".")
                          + " Start the server again.")
