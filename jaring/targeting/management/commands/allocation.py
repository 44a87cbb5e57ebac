"""``jaring allocation preview|prepare|approve|top-up|show`` — budget allocation rounds."""

from __future__ import annotations

from typing import Any

from jaring.accounts.services import cli_actor
from jaring.core.commands import JaringCommand
from jaring.core.errors import ValidationFailed
from jaring.core.money import format_idr, format_month, parse_month
from jaring.membership.selectors import payer_for
from jaring.targeting.selectors import RoundInput, allocation_preview, policy_default, policy_get, round_get
from jaring.targeting.services import round_approve, round_prepare, round_top_up


def _month(text: str) -> Any:
    try:
        return parse_month(text)
    except ValueError:
        raise ValidationFailed("start must be YYYY-MM", fields={"start": [text]}) from None


class Command(JaringCommand):
    help = "Budget allocation: preview, prepare (operator), approve (another admin), top up from the waitlist."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("preview", "prepare"):
            p = sub.add_parser(name, help="rank the eligible and fill the budget" if name == "preview"
                               else "save a round for approval (its ranking is frozen)")
            p.add_argument("--payer", required=True, help="payer code, e.g. APBD-KOTA")
            p.add_argument("--budget", required=True, type=int, help="rupiah, whole number")
            p.add_argument("--months", required=True, type=int)
            p.add_argument("--start", required=True, help="YYYY-MM")
            p.add_argument("--quota", choices=["none", "proportional"], default="none")
            p.add_argument("--policy", help="policy code (default: the first policy)")
            p.add_argument("--as", dest="as_user")
            p.add_argument("--json", action="store_true")
        p = sub.add_parser("approve", help="approve a prepared round (an admin who did not prepare it)")
        p.add_argument("round", type=int)
        p.add_argument("--comment", default="", help="kept in the approval's audit event (at most 500 characters)")
        p.add_argument("--as", dest="as_user")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("top-up", help="a new round over an approved round's waitlist")
        p.add_argument("round", type=int)
        p.add_argument("--budget", required=True, type=int)
        p.add_argument("--months", required=True, type=int)
        p.add_argument("--start", required=True, help="YYYY-MM")
        p.add_argument("--as", dest="as_user")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("show", help="a round's totals")
        p.add_argument("round", type=int)
        p.add_argument("--as", dest="as_user")
        p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["as_user"])
        action = options["action"]
        if action in ("preview", "prepare"):
            policy = (policy_get(actor=actor, code=options["policy"]) if options["policy"]
                      else policy_default(actor=actor))
            data = RoundInput(payer=payer_for(actor=actor, code=options["payer"], manage=True), policy=policy,
                              budget_idr=options["budget"], months=options["months"],
                              start=_month(options["start"]), quota_mode=options["quota"])
            if action == "preview":
                self._out(options, allocation_preview(actor=actor, data=data).as_dict())
            else:
                self._out(options, _round(round_prepare(actor=actor, data=data)))
        elif action == "approve":
            self._out(options, _round(round_approve(actor=actor, allocation_round=round_get(
                actor=actor, round_id=options["round"]), comment=options["comment"])))
        elif action == "top-up":
            parent = round_get(actor=actor, round_id=options["round"])
            self._out(options, _round(round_top_up(actor=actor, parent=parent, budget_idr=options["budget"],
                                                   months=options["months"], start=_month(options["start"]))))
        else:
            self._out(options, _round(round_get(actor=actor, round_id=options["round"])))

    def _out(self, options: dict[str, Any], data: dict[str, Any]) -> None:
        if options["json"]:
            self.emit_json(data)
            return
        for key, value in data.items():
            if key == "by_distrik":
                for code, row in value.items():
                    self.stdout.write(f"  {code} {row['name']}: {row['selected']}/{row['eligible']} "
                                      f"{format_idr(row['cost_idr'])}")
            elif key.endswith("_idr") and isinstance(value, int):
                self.stdout.write(f"{key}: {format_idr(value)}")
            else:
                self.stdout.write(f"{key}: {value}")


def _round(r: Any) -> dict[str, Any]:
    return {"round": r.pk, "status": r.status, "payer": r.payer.code, "policy": r.policy.code,
            "policy_version": r.policy.version, "parent": r.parent_id, "budget_idr": r.budget_idr, "months": r.months,
            "start": format_month(r.start_month), "quota": r.quota_mode, "eligible": r.eligible_count,
            "selected": r.selected_count, "waitlisted": r.waitlisted_count, "cost_idr": r.cost_idr,
            "enrolled": r.enrolled_count, "skipped": r.skipped_count, "prepared_by": r.prepared_by.username,
            "approved_by": r.approved_by.username if r.approved_by_id else None}
