from __future__ import annotations

from typing import Any

from jaring.core.commands import JaringCommand
from jaring.simulator.simulate import contribution, print_result


class Command(JaringCommand):
    help = "Contribution quote: what a worker pays per month and in total, with discounts named."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--income", required=True, help="declared income nominal, rupiah")
        parser.add_argument("--programs", default="JKK,JKM", help="JKK,JKM[,JHT]")
        parser.add_argument("--period", required=True, help="first month, YYYY-MM")
        parser.add_argument("--months", default="1", help="1, 3, 6 or 12")
        parser.add_argument("--payer", required=True, help="self, government or other")
        parser.add_argument("--sector", default="other", help="transport or other")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--lang", default="id", choices=["id", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = contribution(income=options["income"], programs=options["programs"],
                              period=options["period"], months=options["months"],
                              payer=options["payer"], sector=options["sector"])
        if options["json"]:
            self.emit_json(result.to_dict(options["lang"]))
        else:
            print_result(self.stdout, result, lang=options["lang"], title="Simulasi iuran")
