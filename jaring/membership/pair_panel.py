"""The duplicate review's panel for one person of a pair (registry.panels.register_duplicate_panel):
their memberships (status, payer, period) and a summary of their dues, so a pair is never merged
without seeing what each record carries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.contributions.models import Due
from jaring.membership.selectors import membership_history
from jaring.registry.panels import Panel


def dues_summary(*, person: Any, today: Any = None) -> dict[str, int]:
    """Months billed, paid and in arrears (open past their due date) and the amount in arrears (rupiah)."""
    today = today or timezone.localdate()
    arrears = Q(status=Due.Status.OPEN, due_date__lt=today)
    row = (Due.objects.filter(person_id=person.pk).exclude(status=Due.Status.VOID)
           .aggregate(billed=Count("pk"), paid=Count("pk", filter=Q(status=Due.Status.PAID)),
                      arrears=Count("pk", filter=arrears), owed=Sum("amount_idr", filter=arrears)))
    return {"billed": row["billed"] or 0, "paid": row["paid"] or 0, "arrears": row["arrears"] or 0,
            "owed_idr": int(row["owed"] or 0)}


def membership_pair_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel:
    return Panel("membership/_pair_panel.html", {
        "history": membership_history(actor=request.user, person=person), "dues": dues_summary(person=person)})
