from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.registry.importing import import_registry, profile_names


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("Tanggal harus YYYY-MM-DD: %(v)s") % {"v": text[:40]}) from None


class Command(JaringCommand):
    help = ("Import a registry file (CSV or XLSX): jaring import registry FILE [--profile] [--dry-run] [--report OUT]. "
            "The file is read in a worker process with the JARING_IMPORT_* limits.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--profile", default="auto", choices=profile_names())
        parser.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
        parser.add_argument("--overwrite", action="store_true",
                            help="replace phone, birth place, occupation, household and relationship of registered "
                                 "persons with the file's values (default: only fill empty fields)")
        parser.add_argument("--extract-date", type=_date, metavar="YYYY-MM-DD",
                            help="date of the DTSEN/P3KE/DTKS extract, when the file has no date column (its "
                                 "deciles are stored with this date and the profile's source)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
        parser.add_argument("--report", type=Path, help="where to write the XLSX error report")
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        labels = {"read": "membaca", "validate": "memeriksa", "match": "mencocokkan", "write": "menyimpan"}
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      disable=options["json"] or not self.stderr.isatty(), transient=True) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels.get(stage, stage), total=max(total, 1))
                bar.update(tasks[stage], completed=done)

            result = import_registry(actor=cli_actor(options["as_user"]), path=options["file"],
                                     profile=options["profile"], dry_run=options["dry_run"],
                                     report=options["report"], progress=progress, sheet=options["sheet"],
                                     overwrite=options["overwrite"], extract_date=options["extract_date"])
        data = result.as_dict()
        if options["json"]:
            self.emit_json(data)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in data.items()
                                       if v is not None and k not in ("notes", "ignored_columns"))
                              + (" (dry run: nothing saved)" if options["dry_run"] else ""))
            if result.ignored_columns:  # never dropped without a word
                self.stdout.write(_("Kolom tidak dipakai: %(cols)s") % {"cols": ", ".join(result.ignored_columns)})
            for note in result.notes:  # how the file was read, e.g. the encoding it fell back to
                self.stderr.write(f"note: {note}")
