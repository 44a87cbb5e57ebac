"""Reads of dues, payments and invoices; the coverage strip and the at-risk list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from jaring.accounts.models import User
from jaring.contributions.models import Due, Invoice
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import Membership, Payer
from jaring.registry.models import Person
from jaring.registry.selectors import person_queryset


def membership_months(*, membership: Membership) -> list[dict[str, Any]]:
    return [{"period": format_month(d.period), "amount_idr": d.amount_idr, "status": d.status,
             "paid_date": d.paid_on.isoformat() if d.paid_on else None, "due_date": d.due_date.isoformat(),
             "discount": d.discount_code or None}
            for d in Due.objects.filter(membership=membership).order_by("period")]


@dataclass(frozen=True)
class StripMonth:
    period: dt.date
    status: str  # paid_on_time, paid_late, unpaid, due (not yet past due), not_member
    amount_idr: int | None
    discounted: bool
    payer: str
    paid_on: dt.date | None

    @property
    def label(self) -> str:
        return format_month(self.period)


def coverage_strip(*, person: Person, months: int = 24, today: dt.date | None = None) -> list[StripMonth]:
    """Month by month for the last ``months`` months: protected (paid on time or late), a gap, or
    no membership. One query."""
    today = today or timezone.localdate()
    last = month_start(today)
    first = add_months(last, -(months - 1))
    dues = {d.period: d for d in Due.objects.filter(person=person, period__gte=first, period__lte=last)
            .exclude(status=Due.Status.VOID).select_related("payer")}
    strip = []
    for i in range(months):
        period = add_months(first, i)
        due = dues.get(period)
        if due is None:
            strip.append(StripMonth(period, "not_member", None, False, "", None))
            continue
        if due.status == Due.Status.PAID:
            status = "paid_late" if due.paid_on and due.paid_on > due.due_date else "paid_on_time"
        else:
            status = "unpaid" if due.due_date < today else "due"
        strip.append(StripMonth(period, status, due.amount_idr, bool(due.discount_code), due.payer.name, due.paid_on))
    return strip


@dataclass(frozen=True)
class AtRisk:
    membership_id: int
    person_id: int
    full_name: str
    phone: str
    kelurahan: str
    unpaid_months: int
    owed_idr: int
    oldest: dt.date
    lapses_on: dt.date | None


def at_risk(*, actor: User, today: dt.date | None = None, limit: int | None = None) -> list[AtRisk]:
    """Active self-paid members with 1–3 past-due unpaid months, most urgent first. Two queries.

    All of them unless ``limit`` is given: the page shows them a page at a time."""
    from jaring.contributions.services import standard_due_date
    from jaring.core.parameters import current_parameters

    today = today or timezone.localdate()
    params = current_parameters()
    limit_months = params.on(today, field="today").value("membership", "max_arrears_months")
    people = person_queryset(actor=actor)
    rows = (Due.objects.filter(status=Due.Status.OPEN, due_date__lt=today, person__in=people,
                               membership__status=Membership.Status.ACTIVE)
            .values("membership_id", "person_id", "person__full_name", "person__phone", "person__kelurahan__name")
            .annotate(unpaid=Count("id"), owed=Sum("amount_idr"), oldest=Min("period"))
            .order_by("-unpaid", "oldest")[:limit])
    out = []
    for row in rows:
        lapses_on = None
        if row["unpaid"] <= limit_months:
            # The month that would make one too many falls past due the day after its due date.
            lapse_month = add_months(row["oldest"], limit_months)
            lapses_on = standard_due_date(params, lapse_month) + dt.timedelta(days=1)
        out.append(AtRisk(row["membership_id"], row["person_id"], row["person__full_name"], row["person__phone"],
                          row["person__kelurahan__name"], row["unpaid"], row["owed"] or 0, row["oldest"], lapses_on))
    return out


def payer_summary(*, payer: Payer, year: int) -> dict[str, Any]:
    """Members, budget and money used for a fiscal year, in three queries."""
    budget = payer.budget_lines.filter(fiscal_year=year).aggregate(s=Sum("amount_idr"))["s"] or 0
    dues = Due.objects.filter(payer=payer, period__year=year).exclude(status=Due.Status.VOID).aggregate(
        billed=Sum("amount_idr"), paid=Sum("amount_idr", filter=Q(status=Due.Status.PAID)))
    members = Membership.objects.filter(payer=payer).aggregate(
        active=Count("id", filter=Q(status=Membership.Status.ACTIVE)),
        pending=Count("id", filter=Q(status__in=[Membership.Status.DRAFT, Membership.Status.SUBMITTED])))
    return {"budget_idr": budget, "billed_idr": dues["billed"] or 0, "paid_idr": dues["paid"] or 0,
            "available_idr": budget - (dues["billed"] or 0), **members}


def payer_invoices(*, payer: Payer) -> QuerySet[Invoice]:
    return Invoice.objects.filter(payer=payer).order_by("-period")
