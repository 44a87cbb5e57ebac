from __future__ import annotations

from typing import Any

from jaring.claims.management.commands.claim_show import add_common, claim_for, emit_claim
from jaring.claims.models import ClaimChild
from jaring.claims.selectors import claim_as_dict
from jaring.claims.services import claim_child_add, claim_child_update
from jaring.core.commands import JaringCommand, cli_date
from jaring.core.context import rules_lang
from jaring.core.errors import NotFound, ValidationFailed

USAGE = ("jaring claim child ID --name NAME --birth-date YYYY-MM-DD [--level SD] [--chosen] | "
         "jaring claim child ID --child CHILD_ID [--level SMP] [--chosen|--not-chosen] "
         "[--end-reason married|working|left_school|died|... --ended-on YYYY-MM-DD]")


def refuse(option: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={option: [message]})


class Command(JaringCommand):
    help = ("Name a child for the scholarship on a death or total-disability claim, or change one (the "
            "school level, the family's choice, the end of the scholarship): " + USAGE)

    def add_arguments(self, parser: Any) -> None:
        add_common(parser)
        parser.add_argument("--child", type=int, help="the child to change (its id in 'jaring claim show ID')")
        parser.add_argument("--name")
        parser.add_argument("--birth-date")
        parser.add_argument("--level", help="TK, SD, SMP, SMA, PT; belum_sekolah or PAUD: not in school yet")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--chosen", action="store_true", default=None, help="the family chose this child")
        choice.add_argument("--not-chosen", dest="chosen", action="store_false")
        parser.add_argument("--end-reason", choices=ClaimChild.EndReason.values)
        parser.add_argument("--ended-on")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, claim = claim_for(options)
        if options["child"] is None:
            for option in ("end_reason", "ended_on"):
                if options[option]:
                    raise refuse(f"--{option.replace('_', '-')}", f"--{option.replace('_', '-')} needs --child "
                                 f"CHILD_ID; usage: {USAGE}")
            if not options["name"] or not options["birth_date"]:
                raise refuse("--name", f"--name and --birth-date are required to name a child; usage: {USAGE}")
            claim_child_add(actor=actor, claim=claim, name=options["name"],
                            birth_date=cli_date(options["birth_date"], "--birth-date"), level=options["level"] or "",
                            chosen=bool(options["chosen"]))
        else:
            if options["name"] or options["birth_date"]:
                raise refuse("--child", "a child's name and birth date are not changed here; "
                             f"usage: {USAGE}")
            child = claim.children.filter(pk=options["child"]).first()
            if child is None:
                raise NotFound(f"claim {claim.pk} has no child {options['child']}")
            if options["level"] is None and options["chosen"] is None and not options["end_reason"] \
                    and not options["ended_on"]:
                raise refuse("--child", f"nothing to change: give --level, --chosen/--not-chosen or --end-reason "
                             f"with --ended-on; usage: {USAGE}")
            claim_child_update(actor=actor, child=child, level=options["level"], chosen=options["chosen"],
                               ended_on=cli_date(options["ended_on"], "--ended-on") if options["ended_on"] else None,
                               end_reason=options["end_reason"] or "")
        claim.refresh_from_db()
        emit_claim(self, claim, options, full=True)
        if not options["json"]:
            data = claim_as_dict(claim, lang=rules_lang(), full=True)
            for child in data.get("children", []):
                ended = f" ended {child['ended_on']} ({child['end_reason']})" if child["ended_on"] else ""
                self.stdout.write(f"  child {child['id']}: {child['name']} born {child['birth_date']} "
                                  f"level={child['level'] or '-'} chosen={child['chosen']} taken={child['taken']}"
                                  f"{ended} follow_ups={child['follow_ups']}")
            for message in (data.get("scholarship") or {}).get("reasons", []) + \
                    (data.get("scholarship") or {}).get("notes", []):
                self.stdout.write(f"  {message['text']}")
