"""Reads of dues, payments and invoices; the coverage strip and the at-risk list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from jaring.accounts.models import User
from jaring.contributions.models import Due, Invoice
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import BudgetLine, Membership, Payer
from jaring.registry.models import Person
from jaring.registry.selectors import person_queryset
from jaring.rules import PROTECTED_STATUSES, ArrearsStanding, arrears_standing, due_status
from jaring.rules.protection import DueFacts, MembershipFacts, Protection, protection_on


def membership_months(*, membership: Membership) -> list[dict[str, Any]]:
    return [{"period": format_month(d.period), "amount_idr": d.amount_idr, "status": d.status,
             "paid_date": d.paid_on.isoformat() if d.paid_on else None, "due_date": d.due_date.isoformat(),
             "discount": d.discount_code or None}
            for d in Due.objects.filter(membership=membership).order_by("period")]


@dataclass(frozen=True)
class StripMonth:
    period: dt.date
    status: str  # rules.MonthStatus: paid_on_time, paid_late, unpaid, due (not yet past due), not_member
    amount_idr: int | None
    discounted: bool
    payer: str
    paid_on: dt.date | None

    @property
    def label(self) -> str:
        return format_month(self.period)

    @property
    def protected(self) -> bool:
        return self.status in PROTECTED_STATUSES


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
        status = due_status(due_date=due.due_date, as_of=today,
                            paid_on=due.paid_on if due.status == Due.Status.PAID else None)
        strip.append(StripMonth(period, status, due.amount_idr, bool(due.discount_code), due.payer.name, due.paid_on))
    return strip


def protection(*, person: Person, day: dt.date | None = None) -> Protection:
    """Is ``person`` protected on ``day`` (today by default)? ``rules.protection``'s one definition,
    fed with the membership that covers the day and its dues (as the arrears SQL counts them). Three queries."""
    day = day or timezone.localdate()
    # The membership that covers the day: the latest started by then, else the next to start.
    membership = (Membership.objects.filter(person=person, start_date__lte=day).order_by("-start_date", "-id").first()
                  or Membership.objects.filter(person=person).order_by("start_date", "id").first())
    facts = None if membership is None else MembershipFacts(
        status=membership.status, start=membership.start_date, ended_on=membership.ended_on,
        end_reason=membership.end_reason)
    dues = [DueFacts(d.period, d.due_date, d.paid_on if d.status == Due.Status.PAID else None)
            for d in Due.objects.filter(membership=membership, period__lte=month_start(day))
            .exclude(status=Due.Status.VOID).only("period", "due_date", "paid_on", "status")] if membership else []
    return protection_on(day, membership=facts, dues=dues)


# Months in arrears, set-based: the one SQL of rules.coverage's definition (consecutive past-due
# unpaid months, counted back from the latest past-due one, as known on ``as_of``: a due paid later
# was unpaid then). One row per due of each membership's current run, ``n`` counting from its oldest.
# Read by billing_close (a run longer than allowed ends the membership), the at-risk list and the
# dashboard snapshot; tests/rules/test_one_copy.py checks it against the rules engine.
# ``window``: the earliest month looked at (the snapshot's shortcut; ``arrears_run_values`` gives none).
ARREARS_RUN_SQL = """
    SELECT d.membership_id, d.period, d.due_date, d.amount_idr,
           ROW_NUMBER() OVER (PARTITION BY d.membership_id ORDER BY d.period) AS n
    FROM contributions_due d
    WHERE {memberships} d.period >= %(window)s AND d.due_date < %(as_of)s
      AND (d.status = 'open' OR (d.status = 'paid' AND d.paid_on > %(as_of)s))
      AND d.period > COALESCE((SELECT MAX(q.period) FROM contributions_due q
                               WHERE q.membership_id = d.membership_id AND q.period >= %(window)s
                                 AND q.due_date < %(as_of)s AND q.status = 'paid' AND q.paid_on <= %(as_of)s),
                              %(epoch)s)
"""
EPOCH = dt.date(1900, 1, 1)


def arrears_run_sql(memberships: str = "") -> str:
    """``ARREARS_RUN_SQL`` for the memberships a subquery selects (``SELECT id …``), or for all."""
    return ARREARS_RUN_SQL.format(memberships=f"d.membership_id IN ({memberships}) AND" if memberships else "")


def arrears_run_values(as_of: dt.date, *, window: dt.date | None = None) -> dict[str, Any]:
    return {"as_of": as_of, "epoch": EPOCH, "window": window or EPOCH}


def max_arrears_months(as_of: dt.date) -> int:
    from jaring.core.parameters import current_parameters

    limit: int = current_parameters().on(as_of, field="as_of").value("membership", "max_arrears_months")
    return limit


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
    payer: str = ""
    payer_is_self: bool = True  # a self-payer the facilitator can visit; else a government's or donor's arrears
    kelurahan_code: str = ""


@dataclass(frozen=True)
class AtRiskFilter:
    """Narrowing the at-risk list: one kelurahan (or district) code in the user's area, self-payers
    or collective payers, exactly ``months`` in arrears, lapsing on or before ``lapsing_by``."""

    region_code: str = ""
    payer_group: str = ""  # "", "self" or "collective"
    months: int | None = None
    lapsing_by: dt.date | None = None

    def keeps(self, row: AtRisk) -> bool:
        return ((not self.region_code or row.kelurahan_code == self.region_code
                 or row.kelurahan_code.startswith(self.region_code + "."))
                and (not self.payer_group or row.payer_is_self == (self.payer_group == "self"))
                and (self.months is None or row.unpaid_months == self.months)
                and (self.lapsing_by is None or (row.lapses_on is not None and row.lapses_on <= self.lapsing_by)))


def at_risk(*, actor: User, today: dt.date | None = None, limit: int | None = None,
            where: AtRiskFilter | None = None) -> list[AtRisk]:
    """Active members at risk (``rules.arrears_standing``: 1 up to the allowed months in arrears),
    the first to lapse first, with the day the next unpaid month ends their membership and who pays.
    Two queries.

    All of them (narrowed by ``where``) unless ``limit`` is given: the page shows them a page at a time."""
    from jaring.contributions.services import standard_due_date
    from jaring.core.parameters import current_parameters

    today = today or timezone.localdate()
    params = current_parameters()
    limit_months = max_arrears_months(today)
    scope_sql, scope_params = (Membership.objects.filter(status=Membership.Status.ACTIVE,
                                                         person__in=person_queryset(actor=actor))
                               .values("id").query.sql_with_params())
    # The area scope's compiled SQL is positional: name its parameters to sit beside the run's.
    first, *rest = scope_sql.split("%s")
    scope_named = first + "".join(f"%(scope_{i})s{part}" for i, part in enumerate(rest))
    values = {**arrears_run_values(today), **{f"scope_{i}": v for i, v in enumerate(scope_params)}}
    sql = ("SELECT r.membership_id, COUNT(*), SUM(r.amount_idr), MIN(r.period) FROM ("  # noqa: S608
           + arrears_run_sql(scope_named) + ") r GROUP BY r.membership_id")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        runs = {row[0]: (row[1], row[2] or 0, _as_date(row[3])) for row in cursor.fetchall()
                if arrears_standing(row[1], limit_months) == ArrearsStanding.AT_RISK}
    people = {m["id"]: m for m in Membership.objects.filter(id__in=list(runs)).values(
        "id", "person_id", "person__full_name", "person__phone", "person__kelurahan__name",
        "person__kelurahan__code", "payer__name", "payer__kind")} if runs else {}
    out = []
    for membership_id, (unpaid, owed, oldest) in runs.items():
        row = people[membership_id]
        # The month that would make one too many falls past due the day after its due date.
        lapses_on = standard_due_date(params, add_months(oldest, limit_months)) + dt.timedelta(days=1)
        item = AtRisk(membership_id, row["person_id"], row["person__full_name"], row["person__phone"],
                      row["person__kelurahan__name"], unpaid, owed, oldest, lapses_on, row["payer__name"],
                      row["payer__kind"] == Payer.Kind.SELF, row["person__kelurahan__code"])
        if where is None or where.keeps(item):
            out.append(item)
    out.sort(key=lambda r: (r.lapses_on or dt.date.max, -r.unpaid_months, r.oldest, r.membership_id))
    return out[:limit] if limit is not None else out


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class BudgetCommitments:
    """Money a higher floor has promised out of payers' budget lines (targeting's approved rounds),
    registered from its ``AppConfig.ready``: ``committed_idr(payer, year)`` is what it holds for that
    fiscal year, ``covers`` the dues (a ``Due`` filter) that sum already counts."""

    committed_idr: Callable[[Payer, int], int]
    covers: Q


budget_commitments: list[BudgetCommitments] = []


def register_budget_commitments(source: BudgetCommitments) -> BudgetCommitments:
    if source not in budget_commitments:
        budget_commitments.append(source)
    return source


def budget_available(*, payer: Payer, year: int) -> int | None:
    """The one "budget available": the payer's budget lines for a fiscal year minus what is already
    committed (approved allocation rounds, for the months of that year) and minus the dues of that
    year no commitment counts (other memberships of the payer). None when the payer has no budget
    line for the year. Read by the payer page, the targeting preview and round approval."""
    lines = BudgetLine.objects.filter(payer=payer, fiscal_year=year).aggregate(s=Sum("amount_idr"))["s"]
    if lines is None:
        return None
    dues = (Due.objects.filter(payer=payer, period__gte=dt.date(year, 1, 1), period__lte=dt.date(year, 12, 1))
            .exclude(status=Due.Status.VOID))
    committed = 0
    for source in budget_commitments:
        committed += source.committed_idr(payer, year)
        dues = dues.exclude(source.covers)
    return int(lines) - committed - (dues.aggregate(s=Sum("amount_idr"))["s"] or 0)


def payer_summary(*, payer: Payer, year: int) -> dict[str, Any]:
    """Members, budget and money used for a fiscal year, in a few queries."""
    budget = payer.budget_lines.filter(fiscal_year=year).aggregate(s=Sum("amount_idr"))["s"] or 0
    dues = Due.objects.filter(payer=payer, period__year=year).exclude(status=Due.Status.VOID).aggregate(
        billed=Sum("amount_idr"), paid=Sum("amount_idr", filter=Q(status=Due.Status.PAID)))
    members = Membership.objects.filter(payer=payer).aggregate(
        active=Count("id", filter=Q(status=Membership.Status.ACTIVE)),
        pending=Count("id", filter=Q(status__in=[Membership.Status.DRAFT, Membership.Status.SUBMITTED])))
    return {"budget_idr": budget, "billed_idr": dues["billed"] or 0, "paid_idr": dues["paid"] or 0,
            "available_idr": budget_available(payer=payer, year=year), **members}


@dataclass(frozen=True)
class UninvoicedMonth:
    period: dt.date
    members: int
    total_idr: int


def payer_uninvoiced_months(*, payer: Payer) -> list[UninvoicedMonth]:
    """Months of a collective payer with open dues no invoice holds yet, oldest first. One query."""
    rows = (Due.objects.filter(payer=payer, status=Due.Status.OPEN, invoice__isnull=True).values("period")
            .annotate(members=Count("id"), total=Sum("amount_idr")).order_by("period"))
    return [UninvoicedMonth(r["period"], r["members"], r["total"] or 0) for r in rows]


def invoice_as_dict(invoice: Invoice) -> dict[str, Any]:
    """An invoice as the API and the CLI give it."""
    return {"id": invoice.pk, "payer": invoice.payer.code, "period": format_month(invoice.period),
            "period_to": format_month(invoice.period_to), "months": invoice.months,
            "members": invoice.member_count, "total_idr": invoice.total_idr, "paid_idr": invoice.paid_idr,
            "outstanding_idr": invoice.outstanding_idr, "status": invoice.status,
            "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None, "reference": invoice.reference}


def payer_invoices(*, payer: Payer) -> QuerySet[Invoice]:
    return Invoice.objects.filter(payer=payer).order_by("-period")


@dataclass(frozen=True)
class InvoicePaymentPlan:
    """What a transfer of ``amount_idr`` against an invoice would pay (``invoice_payment_record``'s rule:
    whole dues, oldest month first, within a month in registration order; the rest unapplied)."""

    amount_idr: int
    outstanding_idr: int
    dues_open: int
    dues_paid: int
    persons: int
    applied_idr: int
    first_period: dt.date | None
    last_period: dt.date | None

    @property
    def unapplied_idr(self) -> int:
        return self.amount_idr - self.applied_idr

    @property
    def outstanding_after_idr(self) -> int:
        return self.outstanding_idr - self.applied_idr

    @property
    def too_much(self) -> bool:
        return self.amount_idr > self.outstanding_idr


def invoice_payment_plan(*, invoice: Invoice, amount_idr: int | None) -> InvoicePaymentPlan:
    """For the confirmation page, in two statements whatever the invoice's size: the open dues' count
    and sum, then the dues a transfer of ``amount_idr`` pays (None: the whole rest) — those whose
    running total, oldest month first and within a month in registration order, fits in it, which is
    ``invoice_payment_record``'s rule (whole dues, stopping at the first that does not fit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COALESCE(SUM(amount_idr), 0) FROM contributions_due"
                       " WHERE invoice_id = %s AND status = %s", [invoice.pk, Due.Status.OPEN])
        open_count, outstanding = (int(v) for v in cursor.fetchone())
        amount = outstanding if amount_idr is None else amount_idr
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(amount_idr), 0), COUNT(DISTINCT person_id), MIN(period), MAX(period)"
            " FROM (SELECT amount_idr, period, person_id, SUM(amount_idr) OVER (ORDER BY period, id"
            " ROWS UNBOUNDED PRECEDING) AS running FROM contributions_due WHERE invoice_id = %s AND status = %s) paying"
            " WHERE running <= %s", [invoice.pk, Due.Status.OPEN, amount])
        paid, applied, persons, first, last = cursor.fetchone()
    return InvoicePaymentPlan(
        amount_idr=amount, outstanding_idr=outstanding, dues_open=open_count, dues_paid=int(paid),
        persons=int(persons), applied_idr=int(applied),
        first_period=_as_date(first) if first is not None else None,
        last_period=_as_date(last) if last is not None else None)


@dataclass(frozen=True)
class DuesAfterEnd:
    """A membership's dues for the months after an end date: the open ones ``membership_end`` voids,
    and the paid ones it voids and refunds when the reason refunds (death, total disability)."""

    open_count: int
    open_idr: int
    paid_count: int
    paid_idr: int


def dues_after_end(*, membership: Membership, ended_on: dt.date) -> DuesAfterEnd:
    """One grouped query: the dues after the month of ``ended_on`` (``dues_void_after``'s rule)."""
    is_open, is_paid = Q(status=Due.Status.OPEN), Q(status=Due.Status.PAID)
    totals = Due.objects.filter(membership=membership, period__gt=month_start(ended_on)).aggregate(
        open_n=Count("id", filter=is_open), open_s=Sum("amount_idr", filter=is_open),
        paid_n=Count("id", filter=is_paid), paid_s=Sum("amount_idr", filter=is_paid))
    return DuesAfterEnd(open_count=totals["open_n"], open_idr=totals["open_s"] or 0,
                        paid_count=totals["paid_n"], paid_idr=totals["paid_s"] or 0)
