from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.simulator.simulate import benefit, print_result


class Command(JaringCommand):
    help = "Benefit estimate for a case given as JSON (a file, or - for standard input)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--input", required=True, help="case file (JSON), or - for stdin")
        parser.add_argument("--as-of", default=None, help="claim date YYYY-MM-DD (claim window)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--lang", default="id", choices=["id", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["input"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationFailed(f"cannot read {source}: {exc.strerror}", fields={"input": [source]})
        try:
            case = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"the case is not valid JSON (line {exc.lineno}, column {exc.colno})",
                                   fields={"input": [exc.msg]})
        result = benefit(case, as_of=options["as_of"])
        if options["json"]:
            self.emit_json(result.to_dict(options["lang"]))
        else:
            print_result(self.stdout, result, lang=options["lang"], title="Simulasi manfaat")
