from __future__ import annotations

import datetime as dt
from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.registry.models import DataSource
from jaring.registry.services import PersonInput, person_register


class Command(JaringCommand):
    help = "Register a person; prints the new person's id."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nik", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--birth-date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--sex", required=True, choices=["M", "F"])
        parser.add_argument("--kelurahan", required=True, help="current or legacy code, or name")
        parser.add_argument("--kk")
        parser.add_argument("--occupation")
        parser.add_argument("--phone")
        parser.add_argument("--confirm-warnings", action="store_true")
        parser.add_argument("--as", dest="as_user", help="act as this user (default: system)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            birth_date = dt.date.fromisoformat(options["birth_date"])
        except ValueError:
            raise ValidationFailed("birth date must be YYYY-MM-DD",
                                   fields={"birth_date": [options["birth_date"]]})
        data = PersonInput.of(
            nik=options["nik"], full_name=options["name"], birth_date=birth_date, sex=options["sex"],
            kelurahan=options["kelurahan"], kk_number=options["kk"] or None,
            occupation=options["occupation"], phone=options["phone"], data_source=DataSource.CLI)
        person = person_register(actor=cli_actor(options["as_user"]), data=data,
                                 confirm_warnings=options["confirm_warnings"])
        if options["json"]:
            self.emit_json({"id": person.pk, "nik": person.nik_masked, "full_name": person.full_name,
                            "kelurahan_code": person.kelurahan.code})
        else:
            self.stdout.write(str(person.pk))
