from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import NotFound
from jaring.registry.models import PersonMerge
from jaring.registry.services import person_merge_undo


class Command(JaringCommand):
    help = ("Undo a person merge (its id: PersonMerge, shown on the pair page) within JARING_MERGE_UNDO_DAYS; "
            "refused when anything it would overwrite changed since (decision 0042).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("merge_id", type=int)
        parser.add_argument("--as", dest="as_user")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        merge = PersonMerge.objects.filter(pk=options["merge_id"]).first()
        if merge is None:
            raise NotFound(_("Penggabungan tidak ditemukan."))
        merge = person_merge_undo(actor=actor, merge=merge)
        result = {"merge": merge.pk, "kept": merge.kept_id, "restored": merge.merged_id,
                  "undone_at": merge.undone_at.isoformat() if merge.undone_at else None}
        if options["json"]:
            self.emit_json(result)
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
