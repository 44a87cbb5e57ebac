from __future__ import annotations

import os
import time
from typing import Any

from jaring.core.commands import JaringCommand


class Command(JaringCommand):
    help = "Seed the deterministic demo city (persons, households, one login per role)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--persons", type=int, default=25_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="(default) skip if persons exist")
        parser.add_argument("--list-users", action="store_true")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--province", action="store_true",
                            help="also seed the province: a second, synthetic regency (96.99, 'Kabupaten Contoh "
                                 "(demo)') with its people, payer and admins, and a province admin (area 96)")

    def handle(self, *args: Any, **options: Any) -> None:
        from jaring.demo import describe_logins, seed_demo

        started = time.monotonic()
        if not options["json"]:
            self.stdout.write("Preparing the demo city of Kota Sorong …")
        result = seed_demo(persons=options["persons"], seed=options["seed"])
        province: dict[str, Any] = {}
        if options["province"]:
            from jaring.demo import seed_demo_province

            province = seed_demo_province(persons=max(50, options["persons"] // 10), seed=options["seed"])
        if options["json"]:
            self.emit_json({"created": result.created, "persons": result.persons,
                            "households": result.households, "users": len(result.users),
                            **({"province": province} if options["province"] else {})})
            return
        if result.created:
            self.stdout.write(f"  seeded in {time.monotonic() - started:.1f} s")
        else:
            self.stdout.write("  the database already has people: nothing seeded")
        if options["list_users"]:
            for username, role, area in result.users:
                self.stdout.write(f"{username:<30} {role:<12} {area}")
        else:
            self.stdout.write(describe_logins(result, port=os.environ.get("PORT", "8000")))
        if options["province"]:
            from jaring.demo import describe_province

            self.stdout.write(describe_province(province))
