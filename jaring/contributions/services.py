"""The money loop: billing runs, lapse closing, self-payer payments and government invoices.

Billing and closing are set-based (a few SQL statements whatever the number of members); the
amounts come from ``jaring.rules`` once per distinct (income, JHT, payer class, sector) and are
written by ``INSERT … SELECT``. Re-running either changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.contributions.models import (
    BillingRun,
    CreditEntry,
    Due,
    Invoice,
    InvoicePayment,
    Payment,
    PaymentAllocation,
)
from jaring.contributions.selectors import arrears_run_sql, arrears_run_values, max_arrears_months
from jaring.core.audit import audit_log
from jaring.core.confirm import with_comment
from jaring.core.errors import Conflict, ValidationFailed
from jaring.core.money import add_months, format_month, month_range, month_start
from jaring.core.parameters import current_parameters
from jaring.core.touched import persons_touched
from jaring.membership.models import FUNDING_RULES_CLASS, Membership, Payer
from jaring.rules import Parameters, RulesInputError, calculate_contribution
from jaring.rules.calendar import due_date as rules_due_date

# Billing prices a due by the payer's funding source (whose money: the PP 50/2025 discount never
# applies to APBN/APBD money, dana kelurahan and Otsus included), through the rules engine's class.
RULES_FUNDING_SOURCES: dict[str, list[str]] = {}
for _source, _rules_class in FUNDING_RULES_CLASS.items():
    RULES_FUNDING_SOURCES.setdefault(_rules_class, []).append(str(_source))


@dataclass(frozen=True)
class MonthAmount:
    amount_idr: int
    base_amount_idr: int
    discount_code: str


def month_amount(*, params: Parameters, period: dt.date, income_idr: int, has_jht: bool, funding_source: str,
                 sector: str) -> MonthAmount:
    """What one membership owes for one month, from the regulation engine."""
    try:
        result = calculate_contribution(
            declared_income_idr=income_idr, programmes=["jkk", "jkm", "jht"] if has_jht else ["jkk", "jkm"],
            first_period=period, months=1, payer=FUNDING_RULES_CLASS[funding_source], sector=sector, params=params)
    except RulesInputError as exc:
        raise ValidationFailed(
            _("Bulan %(month)s tidak bisa ditagih: %(reason)s") % {"month": format_month(period),
                                                                   "reason": exc.message},
            fields={"period": [exc.message]}, code="no_parameters") from None
    base = sum(int(item.extra.get("base_amount_idr", item.amount_idr or 0)) for item in result.items)
    codes = sorted({str(item.extra["discount"]) for item in result.items if item.extra.get("discount")})
    return MonthAmount(amount_idr=result.total_idr, base_amount_idr=base, discount_code=",".join(codes))


def standard_due_date(params: Parameters, period: dt.date) -> dt.date:
    """The month's due date from the regulation engine: the 15th, or the next working day when it is
    a Sunday, a public holiday or cuti bersama (``rules.calendar``)."""
    try:
        return rules_due_date(period, params)
    except RulesInputError as exc:
        raise ValidationFailed(
            _("Bulan %(month)s tidak bisa ditagih: %(reason)s") % {"month": format_month(period),
                                                                   "reason": exc.message},
            fields={"period": [exc.message]}, code="no_parameters") from None


def _due_date_for(membership: Membership, params: Parameters, period: dt.date) -> dt.date:
    # Someone who joins after the due day cannot pay "on time" before joining.
    return max(standard_due_date(params, period), membership.start_date)


@dataclass
class BillingResult:
    period: dt.date
    created: int = 0
    already_billed: int = 0
    conflicts: int = 0
    total_idr: int = 0
    credit_applied: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"period": format_month(self.period), "created": self.created,
                "already_billed": self.already_billed, "conflicts": self.conflicts,
                "total_idr": self.total_idr, "credit_applied": self.credit_applied,
                "dry_run": self.dry_run, "seconds": round(self.seconds, 3)}




def _billable(next_month: dt.date, payer: Payer | None) -> Any:
    members = Membership.objects.filter(status=Membership.Status.ACTIVE, start_date__lt=next_month)
    return members if payer is None else members.filter(payer=payer)


def _combos(next_month: dt.date, payer: Payer | None = None) -> list[Mapping[str, Any]]:
    return list(_billable(next_month, payer).order_by()
                .values("declared_income_idr", "has_jht", "sector", "payer__funding_source").distinct())


def billing_run(*, actor: User, period: dt.date, dry_run: bool = False, payer: Payer | None = None) -> BillingResult:
    """Create one due per active membership for ``period``. Idempotent; set-based.

    With ``payer``, only that payer's members (a block invoice bills its months ahead)."""
    require(actor, "money.write")
    started = time.perf_counter()
    period = month_start(period)
    next_month = add_months(period, 1)
    params = current_parameters()
    result = BillingResult(period=period, dry_run=dry_run)
    combos = _combos(next_month, payer)
    # Refuse a month the regulation does not cover before touching anything.
    due_date = standard_due_date(params, period)
    amounts = {}
    for combo in combos:
        key = (combo["declared_income_idr"], combo["has_jht"], combo["sector"],
               FUNDING_RULES_CLASS[combo["payer__funding_source"]])
        if key not in amounts:
            amounts[key] = month_amount(params=params, period=period, income_idr=key[0], has_jht=key[1],
                                        funding_source=combo["payer__funding_source"], sector=key[2])
    now = timezone.now()
    eligible = _billable(next_month, payer).count()
    only_payer = "" if payer is None else f" AND m.payer_id = {int(payer.pk)}"
    # One row per distinct (income, JHT, sector, funding source) with its amount: the whole month is then
    # a single INSERT … SELECT joining the memberships to this small table.
    rows, params_ = [], []
    for (income, jht, sector, rules_payer), amount in amounts.items():
        for kind in RULES_FUNDING_SOURCES[rules_payer]:
            rows.append("(CAST(%s AS BIGINT), CAST(%s AS BOOLEAN), CAST(%s AS VARCHAR(10)), CAST(%s AS VARCHAR(20)),"
                        " CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS VARCHAR(40)))")
            params_ += [income, jht, sector, kind, amount.amount_idr, amount.base_amount_idr, amount.discount_code]
    with transaction.atomic(), connection.cursor() as cursor:
        billed = Due.objects.filter(period=period) if payer is None else Due.objects.filter(period=period, payer=payer)
        before = billed.count()
        last_id = Due.objects.aggregate(m=Max("id"))["m"] or 0
        if rows:
            amounts_cte = ("WITH a (income, jht, sector, kind, amount, base, discount) AS (VALUES "
                           + ", ".join(rows) + ")")
            source = """FROM membership_membership m JOIN membership_payer p ON p.id = m.payer_id
                JOIN a ON a.income = m.declared_income_idr AND a.jht = m.has_jht AND a.sector = m.sector
                      AND a.kind = p.funding_source
                WHERE m.status = 'active' AND m.start_date < %s{only_payer}
                  AND NOT EXISTS (SELECT 1 FROM contributions_due d WHERE d.membership_id = m.id AND d.period = %s)"""
            source = source.replace("{only_payer}", only_payer)
            if dry_run:
                cursor.execute(f"""{amounts_cte} SELECT COUNT(*), COALESCE(SUM(a.amount), 0) {source}
                    AND NOT EXISTS (SELECT 1 FROM contributions_due d2 WHERE d2.person_id = m.person_id
                                    AND d2.period = %s AND d2.status <> 'void')""",  # noqa: S608
                               [*params_, next_month, period, period])
                result.created, result.total_idr = cursor.fetchone()
            else:
                # A person another payer already covers this month is skipped by the database's own
                # unique index (one_payer_per_person_month): ON CONFLICT DO NOTHING.
                cursor.execute(f"""{amounts_cte}
                    INSERT INTO contributions_due (membership_id, person_id, payer_id, period, amount_idr,
                        base_amount_idr, discount_code, due_date, status, created_at)
                    SELECT m.id, m.person_id, m.payer_id, %s, a.amount, a.base, a.discount,
                           CASE WHEN m.start_date > %s THEN m.start_date ELSE %s END, 'open', %s
                    {source}
                    ON CONFLICT DO NOTHING""",
                               [*params_, period, due_date, due_date, now, next_month, period])
                # (Python's sqlite3 reports no rowcount for a statement that starts with WITH.)
                result.created = billed.count() - before
                if result.created:
                    result.total_idr = (Due.objects.filter(id__gt=last_id, period=period)
                                        .aggregate(s=Sum("amount_idr"))["s"] or 0)
        result.already_billed = before
        if eligible != before + result.created:
            # Rare: some active membership got no due. Count exactly those (the second payers).
            cursor.execute("""SELECT COUNT(*) FROM membership_membership m
                              WHERE m.status = 'active' AND m.start_date < %s{only_payer} AND NOT EXISTS (
                                  SELECT 1 FROM contributions_due d WHERE d.membership_id = m.id AND d.period = %s)"""
                           .replace("{only_payer}", only_payer), [next_month, period])
            result.conflicts = cursor.fetchone()[0] - (0 if not dry_run else result.created)
        if not dry_run:
            result.credit_applied = _apply_credits(period) if payer is None or payer.is_self else 0
            result.seconds = time.perf_counter() - started
            BillingRun.objects.create(period=period, created=result.created, already_billed=result.already_billed,
                                      conflicts=result.conflicts, total_idr=result.total_idr,
                                      seconds=result.seconds, created_by=actor)
            audit_log(actor=actor, action="billing.run", object_type="contributions.due",
                      object_id=format_month(period),
                      after={**result.as_dict(), **({"payer": payer.code} if payer is not None else {})})
    result.seconds = time.perf_counter() - started
    return result


_CREDIT_REASONS = (CreditEntry.Reason.PAYMENT, CreditEntry.Reason.APPLIED, CreditEntry.Reason.REPRICING)


def _credit_balance(membership_id: int) -> int:
    """Credit that pays later months (money owed back after a claim is not credit)."""
    return (CreditEntry.objects.filter(membership_id=membership_id, reason__in=_CREDIT_REASONS)
            .aggregate(s=Sum("amount_idr"))["s"] or 0)


def _apply_credits(period: dt.date) -> int:
    """Pay open dues from credit left by earlier overpayments or repricing (few memberships): every
    open due up to ``period`` still payable, oldest first, while the credit covers it whole. A due is
    settled on the day the credit is applied, or on its due date if that is later (the credit was
    there before the month fell due). Returns how many dues credit paid."""
    holders = (CreditEntry.objects.filter(membership__status=Membership.Status.ACTIVE, reason__in=_CREDIT_REASONS)
               .values("membership_id")
               .annotate(balance=Sum("amount_idr")).filter(balance__gt=0))
    today = timezone.localdate()
    earliest = _earliest_payable(current_parameters(), today)
    applied = 0
    for holder in holders:
        balance = holder["balance"]
        for due in Due.objects.filter(membership_id=holder["membership_id"], status=Due.Status.OPEN,
                                      period__gte=earliest, period__lte=period).order_by("period"):
            if balance < due.amount_idr:
                break
            _settle(due, paid_on=min(today, due.due_date))
            CreditEntry.objects.create(membership_id=due.membership_id, amount_idr=-due.amount_idr, due=due,
                                       reason=CreditEntry.Reason.APPLIED)
            balance -= due.amount_idr
            applied += 1
    return applied


def _settle(due: Due, *, paid_on: dt.date) -> None:
    due.status = Due.Status.PAID
    due.paid_on = paid_on
    due.save(update_fields=["status", "paid_on"])


@dataclass
class RepriceResult:
    from_period: dt.date
    open_repriced: int = 0
    paid_repriced: int = 0
    credit_idr: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"from": format_month(self.from_period), "open_repriced": self.open_repriced,
                "paid_repriced": self.paid_repriced, "credit_idr": self.credit_idr}


def dues_reprice(*, actor: User, from_period: dt.date) -> RepriceResult:
    """Price again every open or paid due from ``from_period`` on with the parameters in force now
    (a discount published after months were billed or paid ahead, as PP 50/2025 was). An open due
    takes the new amount; a paid due that now costs less keeps its payment and the difference is
    credited to the membership, to pay later months (PP 50/2025: overpayment credited to the next
    month). A paid due never costs more afterwards. One query per distinct (month, income, JHT,
    sector, funding source); audited."""
    require(actor, "money.write")
    params = current_parameters()
    result = RepriceResult(from_period=month_start(from_period))
    dues = Due.objects.filter(period__gte=result.from_period, status__in=[Due.Status.OPEN, Due.Status.PAID])
    combos = (dues.order_by().values("period", "membership__declared_income_idr", "membership__has_jht",
                                     "membership__sector", "payer__funding_source").distinct())
    with transaction.atomic():
        for combo in combos:
            try:
                amount = month_amount(params=params, period=combo["period"],
                                      income_idr=combo["membership__declared_income_idr"],
                                      has_jht=combo["membership__has_jht"],
                                      funding_source=combo["payer__funding_source"],
                                      sector=combo["membership__sector"])
            except ValidationFailed:
                continue  # no parameters for that month: leave it as billed
            same = dues.filter(period=combo["period"], payer__funding_source=combo["payer__funding_source"],
                               membership__declared_income_idr=combo["membership__declared_income_idr"],
                               membership__has_jht=combo["membership__has_jht"],
                               membership__sector=combo["membership__sector"])
            priced = {"amount_idr": amount.amount_idr, "base_amount_idr": amount.base_amount_idr,
                      "discount_code": amount.discount_code}
            result.open_repriced += (same.filter(status=Due.Status.OPEN).exclude(amount_idr=amount.amount_idr)
                                     .update(**priced))
            cheaper = list(same.filter(status=Due.Status.PAID, amount_idr__gt=amount.amount_idr)
                           .values_list("id", "membership_id", "amount_idr"))
            if not cheaper:
                continue
            CreditEntry.objects.bulk_create([
                CreditEntry(membership_id=membership_id, due_id=due_id, amount_idr=paid - amount.amount_idr,
                            reason=CreditEntry.Reason.REPRICING) for due_id, membership_id, paid in cheaper])
            for chunk in _chunks([due_id for due_id, _m, _a in cheaper], 500):
                Due.objects.filter(pk__in=chunk).update(**priced)
            result.paid_repriced += len(cheaper)
            result.credit_idr += sum(paid - amount.amount_idr for _d, _m, paid in cheaper)
        for invoice in Invoice.objects.filter(period_to__gte=result.from_period).exclude(status=Invoice.Status.PAID):
            _invoice_totals(invoice)  # its open dues may cost less now
        audit_log(actor=actor, action="billing.reprice", object_type="contributions.due",
                  object_id=format_month(result.from_period), after=result.as_dict())
    return result


@dataclass
class CloseResult:
    as_of: dt.date
    ended: int = 0
    at_risk: int = 0
    membership_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "ended": self.ended, "at_risk": self.at_risk}


# The arrears run of every active membership (contributions.selectors: the one definition).
_RUNS_SQL = ("SELECT r.membership_id, r.due_date, r.n FROM ("  # noqa: S608 - no value is formatted in
             + arrears_run_sql("SELECT id FROM membership_membership WHERE status = 'active'") + ") r")


def billing_close(*, actor: User, as_of: dt.date, dry_run: bool = False) -> CloseResult:
    """End every active membership with more than the allowed number of consecutive past-due
    unpaid months (reason ``arrears``), on the day the last of them fell past due."""
    from jaring.membership.services import memberships_end_for_arrears  # membership calls back: not at import

    require(actor, "money.write")
    limit = max_arrears_months(as_of)
    result = CloseResult(as_of=as_of)
    # rules.arrears_standing: more than ``limit`` months in arrears ends it, on the day the
    # (limit + 1)-th fell past due.
    values = {**arrears_run_values(as_of), "n": limit + 1}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RUNS_SQL + " WHERE r.n = %(n)s", values)
        lapsing = [(row[0], _as_date(row[1])) for row in cursor.fetchall()]
        cursor.execute("SELECT COUNT(DISTINCT membership_id) FROM (" + _RUNS_SQL + ") x", values)  # noqa: S608
        with_arrears = cursor.fetchone()[0]
        result.ended = len(lapsing)
        result.at_risk = with_arrears - len(lapsing)
        result.membership_ids = [m for m, _d in lapsing]
        if dry_run or not lapsing:
            return result
        # Each ends on the day after its last past-due month fell due (membership's set-based service,
        # which voids the dues after the end through dues_void_after below).
        memberships_end_for_arrears(actor=actor, rows=[(m, d + dt.timedelta(days=1)) for m, d in lapsing],
                                    by="billing.close")
        audit_log(actor=actor, action="billing.close", object_type="membership.membership",
                  after=result.as_dict())
    return result


def dues_void_after(*, actor: User, membership_ids: list[int], after: dt.date, refund_paid: bool = False) -> int:
    """Void the open dues of ``membership_ids`` for months after ``after`` (a membership ended:
    those months are not owed; a void due is kept, never deleted). Set-based, called by
    membership's services inside their transaction; their ``membership.end`` events record it.

    ``refund_paid`` (a death or total-disability claim): months after the month of the claim that
    were already paid are voided too — they are not protected, and their money is owed back with the
    claim (Perdir 22/PERDIR.02/072022), recorded as a ``refund`` credit entry per due and audited.
    Returns how many dues were voided."""
    voided = 0
    with transaction.atomic():
        for chunk in _chunks(list(membership_ids), 500):
            voided += Due.objects.filter(membership_id__in=chunk, status=Due.Status.OPEN,
                                         period__gt=month_start(after)).update(status=Due.Status.VOID)
            if not refund_paid:
                continue
            paid = list(Due.objects.select_for_update().filter(membership_id__in=chunk, status=Due.Status.PAID,
                                                               period__gt=month_start(after)))
            if not paid:
                continue
            CreditEntry.objects.bulk_create([CreditEntry(membership_id=d.membership_id, amount_idr=d.amount_idr, due=d,
                                                         reason=CreditEntry.Reason.REFUND) for d in paid])
            Due.objects.filter(pk__in=[d.pk for d in paid]).update(status=Due.Status.VOID)
            voided += len(paid)
            audit_log(actor=actor, action="dues.refund_after_claim", object_type="contributions.due",
                      after={"after": format_month(month_start(after)),
                             "dues": [[d.membership_id, format_month(d.period), d.amount_idr] for d in paid],
                             "refund_idr": sum(d.amount_idr for d in paid)})
    return voided


def dues_move(*, actor: User, from_person_id: int, to_person_id: int) -> int:
    """A merged person's dues become the kept person's (membership's merge hook, which checks first
    that no month is billed twice and records the move). Returns how many dues moved."""
    with transaction.atomic():
        return Due.objects.filter(person_id=from_person_id).update(person_id=to_person_id)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass
class PaymentResult:
    payment: Payment
    paid_periods: list[dt.date]
    credit_idr: int

    def as_dict(self) -> dict[str, Any]:
        return {"payment_id": self.payment.pk, "amount_idr": self.payment.amount_idr,
                "paid_periods": [format_month(p) for p in self.paid_periods], "credit_idr": self.credit_idr}


@transaction.atomic
def payment_record(*, actor: User, membership: Membership, amount_idr: int, paid_on: dt.date,
                   channel: str = Payment.Channel.OTHER, reference: str = "") -> PaymentResult:
    """A self-payer's payment: arrears first (oldest, at most the allowed months back), then whole
    months in advance (1, 3, 6 or 12), the rest kept as credit for the next month."""
    require(actor, "payment.record")
    if amount_idr is None or amount_idr <= 0:
        raise ValidationFailed(_("Jumlah pembayaran harus lebih dari nol."), fields={"amount_idr": [str(amount_idr)]})
    if paid_on > timezone.localdate():
        raise ValidationFailed(_("Tanggal bayar tidak boleh di masa depan."), fields={"paid_on": [str(paid_on)]})
    if channel not in Payment.Channel.values:
        raise ValidationFailed(_("Saluran pembayaran tidak dikenal."), fields={"channel": [channel]})
    membership = Membership.objects.select_for_update().select_related("payer", "person").get(pk=membership.pk)
    if membership.status != Membership.Status.ACTIVE:
        raise Conflict(_("Kepesertaan %(name)s tidak aktif (status: %(status)s); pembayaran tidak dicatat.") % {
            "name": membership.person.full_name, "status": membership.get_status_display()}, code="not_active")
    if not membership.payer.is_self:
        raise Conflict(_("Iuran peserta ini dibayar oleh %(payer)s melalui tagihan, bukan pembayaran perorangan.")
                       % {"payer": membership.payer.name}, code="not_self_payer")
    if reference:
        previous = Payment.objects.filter(membership=membership, reference=reference).first()
        if previous is not None:
            if previous.amount_idr == amount_idr and previous.paid_on == paid_on:
                return PaymentResult(previous, [a.due.period for a in previous.allocations.select_related("due")],
                                     _credit_balance(membership.pk))
            raise Conflict(_("Referensi %(ref)s sudah dipakai untuk pembayaran lain.") % {"ref": reference},
                           code="duplicate_reference")
    params = current_parameters()
    payment = Payment.objects.create(membership=membership, amount_idr=amount_idr, paid_on=paid_on,
                                     channel=channel, reference=reference, created_by=actor)
    credit_before = _credit_balance(membership.pk)
    balance = amount_idr + credit_before
    paid: list[dt.date] = []
    earliest = _earliest_payable(params, paid_on)
    # Every open due from the oldest still payable, months already billed ahead included (a 12-month
    # advance recorded after next month was billed pays next month first, never leaves it a gap).
    for due in Due.objects.filter(membership=membership, status=Due.Status.OPEN,
                                  period__gte=earliest).order_by("period"):
        if balance < due.amount_idr:
            break
        _settle(due, paid_on=paid_on)
        PaymentAllocation.objects.create(payment=payment, due=due, amount_idr=due.amount_idr)
        balance -= due.amount_idr
        paid.append(due.period)
    balance, advance = _pay_ahead(membership, payment, params, balance, paid_on, earliest)
    paid.extend(advance)
    if balance != credit_before:
        CreditEntry.objects.create(membership=membership, amount_idr=balance - credit_before, payment=payment,
                                   reason=CreditEntry.Reason.PAYMENT)
    if paid:  # the months it paid count as paid from paid_on (a late entry changes past snapshots)
        persons_touched(Due.objects.filter(membership=membership).values("person_id"), since=paid_on)
    audit_log(actor=actor, action="payment.record", obj=payment,
              after={"membership": membership.pk, "amount_idr": amount_idr, "paid_on": paid_on.isoformat(),
                     "channel": channel, "reference": reference,
                     "paid_periods": [format_month(p) for p in paid], "credit_idr": balance})
    return PaymentResult(payment, paid, balance)


@dataclass
class PaymentPreview:
    """What a payment would do, before it is recorded: the months owed and payable, the months this
    amount pays, the credit left; or that the reference is already recorded."""

    owed: list[tuple[dt.date, int]]
    paid_periods: list[dt.date]
    credit_idr: int
    already_recorded: bool = False

    @property
    def owed_idr(self) -> int:
        return sum(amount for _p, amount in self.owed)


class _Preview(Exception):  # control flow: carries the result out of the rolled-back block
    def __init__(self, result: PaymentResult):
        self.result = result


def payment_preview(*, actor: User, membership: Membership, amount_idr: int, paid_on: dt.date,
                    channel: str = Payment.Channel.OTHER, reference: str = "") -> PaymentPreview:
    """``payment_record`` run and rolled back: the same rules say what the payment will pay (one copy
    of the allocation rule). Refusals are raised as ``payment_record`` raises them."""
    require(actor, "payment.record")
    earliest = _earliest_payable(current_parameters(), min(paid_on, timezone.localdate()))
    owed = list(Due.objects.filter(membership=membership, status=Due.Status.OPEN, period__gte=earliest)
                .order_by("period").values_list("period", "amount_idr"))
    if reference and Payment.objects.filter(membership=membership, reference=reference, amount_idr=amount_idr,
                                            paid_on=paid_on).exists():
        return PaymentPreview(owed, [], _credit_balance(membership.pk), already_recorded=True)
    try:
        with transaction.atomic():
            raise _Preview(payment_record(actor=actor, membership=membership, amount_idr=amount_idr, paid_on=paid_on,
                                          channel=channel, reference=reference))
    except _Preview as preview:
        return PaymentPreview(owed, preview.result.paid_periods, preview.result.credit_idr)


def _earliest_payable(params: Parameters, paid_on: dt.date) -> dt.date:
    """The oldest month a payment on ``paid_on`` may still pay: at most the allowed arrears back. A
    day before the rules in force (e.g. 2000-01-01) is refused with the field named, never a crash."""
    try:
        limit: int = params.on(paid_on, field="paid_on").value("membership", "max_arrears_months")
    except RulesInputError as exc:
        raise ValidationFailed(exc.message, fields={"paid_on": [exc.message]}) from None
    return add_months(month_start(paid_on), -limit)


def _pay_ahead(membership: Membership, payment: Payment, params: Parameters, balance: int,
               paid_on: dt.date, earliest: dt.date) -> tuple[int, list[dt.date]]:
    """Pay whole months ahead in the allowed blocks (1, 3, 6 or 12), the largest that fits."""
    last = (Due.objects.filter(membership=membership).exclude(status=Due.Status.VOID)
            .order_by("-period").values_list("period", flat=True).first())
    if Due.objects.filter(membership=membership, status=Due.Status.OPEN, period__gte=earliest).exists():
        return balance, []  # billed months this payment could not cover come first
    start = add_months(last, 1) if last else max(month_start(membership.start_date), month_start(paid_on))
    blocks = sorted(params.on(paid_on, field="paid_on").value("membership", "advance_months"), reverse=True)
    months: list[tuple[dt.date, MonthAmount]] = []
    for i in range(max(blocks)):
        period = add_months(start, i)
        try:
            months.append((period, month_amount(params=params, period=period,
                                                income_idr=membership.declared_income_idr,
                                                has_jht=membership.has_jht,
                                                funding_source=membership.payer.funding_source,
                                                sector=membership.sector)))
        except ValidationFailed:
            break  # no parameters that far ahead: pay what the law already covers
    for block in blocks:
        chosen = months[:block]
        cost = sum(a.amount_idr for _p, a in chosen)
        if len(chosen) == block and cost <= balance:
            for period, amount in chosen:
                due = Due.objects.create(
                    membership=membership, person_id=membership.person_id, payer_id=membership.payer_id,
                    period=period, amount_idr=amount.amount_idr, base_amount_idr=amount.base_amount_idr,
                    discount_code=amount.discount_code, due_date=_due_date_for(membership, params, period),
                    status=Due.Status.PAID, paid_on=paid_on)
                PaymentAllocation.objects.create(payment=payment, due=due, amount_idr=amount.amount_idr)
            return balance - cost, [p for p, _a in chosen]
    return balance, []


INVOICE_BLOCKS = (1, 3, 6, 12)  # a month, a quarter, a semester, a year


def _invoice_block(period: dt.date, months: int) -> tuple[dt.date, dt.date]:
    period = month_start(period)
    if months not in INVOICE_BLOCKS:
        raise ValidationFailed(_("Blok tagihan harus 1, 3, 6 atau 12 bulan."), fields={"months": [str(months)]})
    if (period.month - 1) % months:
        raise ValidationFailed(
            _("Tagihan %(n)s bulan dimulai pada awal triwulan, semester atau tahun (mis. %(first)s), bukan %(month)s.")
            % {"n": months, "first": format_month(period.replace(month=1)), "month": format_month(period)},
            fields={"period": [format_month(period)]})
    return period, add_months(period, months - 1)


def _invoice_totals(invoice: Invoice) -> None:
    totals = Due.objects.filter(invoice=invoice).exclude(status=Due.Status.VOID).aggregate(
        persons=Count("person_id", distinct=True), total=Sum("amount_idr"),
        paid=Sum("amount_idr", filter=Q(status=Due.Status.PAID)), open=Count("id", filter=Q(status=Due.Status.OPEN)))
    invoice.member_count, invoice.total_idr = totals["persons"], totals["total"] or 0
    invoice.paid_idr = totals["paid"] or 0
    invoice.status = (Invoice.Status.PAID if invoice.total_idr and not totals["open"] else
                      Invoice.Status.PARTIAL if invoice.paid_idr else Invoice.Status.OPEN)
    invoice.save(update_fields=["member_count", "total_idr", "paid_idr", "status"])


@transaction.atomic
def invoice_issue(*, actor: User, payer: Payer, period: dt.date, months: int = 1) -> Invoice:
    """The payer's bill for a month or a block of months (3, 6 or 12, starting a quarter, a semester
    or a year): every open due of its members in those months. Months not billed yet are billed for
    the payer's active members first (governments pay a block ahead). Re-issuing adds newly billed
    dues; a paid invoice is returned as it is."""
    require(actor, "money.write")
    period, period_to = _invoice_block(period, months)
    if payer.is_self:
        raise ValidationFailed(_("Peserta mandiri membayar sendiri; tidak ada tagihan kolektif."),
                               fields={"payer": [payer.code]})
    invoice = Invoice.objects.select_for_update().filter(payer=payer, period=period).first()
    if invoice is not None and invoice.period_to != period_to:
        raise Conflict(_("Sudah ada tagihan %(payer)s mulai %(month)s untuk %(n)s bulan.") % {
            "payer": payer.name, "month": format_month(period), "n": invoice.months}, code="invoice_exists")
    others = Invoice.objects.filter(payer=payer, period__lte=period_to, period_to__gte=period)
    overlapping = (others.exclude(pk=invoice.pk) if invoice is not None else others).first()
    if overlapping is not None:
        raise Conflict(_("Bulan-bulan ini sudah masuk tagihan %(invoice)s.") % {"invoice": str(overlapping)},
                       code="invoice_overlaps")
    if invoice is not None and invoice.status == Invoice.Status.PAID:
        return invoice
    for month in month_range(period, months):
        billing_run(actor=actor, period=month, payer=payer)  # idempotent: bills only what is missing
    if invoice is None:
        if not Due.objects.filter(payer=payer, period__gte=period, period__lte=period_to).exists():
            raise ValidationFailed(_("Belum ada iuran %(payer)s untuk %(month)s; tidak ada peserta aktif.") % {
                "payer": payer.name, "month": format_month(period)}, fields={"period": [format_month(period)]})
        invoice = Invoice.objects.create(payer=payer, period=period, period_to=period_to, member_count=0, total_idr=0)
    Due.objects.filter(payer=payer, period__gte=period, period__lte=period_to, status=Due.Status.OPEN,
                       invoice__isnull=True).update(invoice=invoice)
    _invoice_totals(invoice)
    audit_log(actor=actor, action="invoice.issue", obj=invoice,
              after={"payer": payer.code, "period": format_month(period), "period_to": format_month(period_to),
                     "members": invoice.member_count, "total_idr": invoice.total_idr})
    return invoice


@dataclass
class InvoicePaymentResult:
    invoice: Invoice
    payment: InvoicePayment
    already_recorded: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"invoice": self.invoice.pk, "status": self.invoice.status, "paid_idr": self.invoice.paid_idr,
                "outstanding_idr": self.invoice.outstanding_idr, "payment_idr": self.payment.amount_idr,
                "dues_paid": self.payment.dues_paid, "unapplied_idr": self.payment.unapplied_idr,
                "already_recorded": self.already_recorded}


@transaction.atomic
def invoice_payment_record(*, actor: User, invoice: Invoice, paid_on: dt.date, reference: str,
                           amount_idr: int | None = None, comment: str = "") -> InvoicePaymentResult:
    """A transfer against an invoice, whole (``amount_idr`` omitted: what is outstanding) or in part:
    whole dues are paid oldest month first, within a month in registration order; less than one due
    left over is kept on the payment as unapplied. The same reference again with the same amount and
    date is the same transfer (nothing changes); with other figures it is refused. ``comment`` (the
    confirmation's, cleaned by ``core.confirm``) is kept in the audit event."""
    require(actor, "money.write")
    reference = reference.strip()
    if not reference:
        raise ValidationFailed(_("Referensi pembayaran (mis. nomor SP2D) wajib diisi."), fields={"reference": []})
    if paid_on > timezone.localdate():
        raise ValidationFailed(_("Tanggal bayar tidak boleh di masa depan."), fields={"paid_on": [str(paid_on)]})
    if amount_idr is not None and amount_idr <= 0:
        raise ValidationFailed(_("Jumlah pembayaran harus lebih dari nol."), fields={"amount_idr": [str(amount_idr)]})
    invoice = Invoice.objects.select_for_update().select_related("payer").get(pk=invoice.pk)
    previous = InvoicePayment.objects.filter(invoice=invoice, reference=reference).first()
    if previous is not None:
        if (amount_idr is None or previous.amount_idr == amount_idr) and previous.paid_on == paid_on:
            return InvoicePaymentResult(invoice, previous, already_recorded=True)
        raise Conflict(_("Referensi %(ref)s sudah dicatat untuk tagihan ini dengan jumlah atau tanggal lain.")
                       % {"ref": reference}, code="duplicate_reference")
    open_dues = list(Due.objects.filter(invoice=invoice, status=Due.Status.OPEN).order_by("period", "id")
                     .values_list("id", "amount_idr"))
    outstanding = sum(amount for _id, amount in open_dues)
    if not open_dues:
        raise Conflict(_("Tagihan %(invoice)s sudah lunas (referensi %(ref)s).") % {
            "invoice": str(invoice), "ref": invoice.reference}, code="already_paid")
    amount = outstanding if amount_idr is None else amount_idr
    if amount > outstanding:
        raise ValidationFailed(_("Jumlah Rp%(amount)s melebihi sisa tagihan Rp%(left)s.") % {
            "amount": amount, "left": outstanding}, fields={"amount_idr": [str(amount)]})
    paying, applied = [], 0
    for due_id, due_amount in open_dues:
        if applied + due_amount > amount:
            break
        paying.append(due_id)
        applied += due_amount
    for chunk in _chunks(paying, 500):
        Due.objects.filter(pk__in=chunk, status=Due.Status.OPEN).update(status=Due.Status.PAID, paid_on=paid_on)
    if paying:
        persons_touched(Due.objects.filter(invoice=invoice).values("person_id"), since=paid_on)
    payment = InvoicePayment.objects.create(invoice=invoice, amount_idr=amount, paid_on=paid_on, reference=reference,
                                            dues_paid=len(paying), applied_idr=applied,
                                            unapplied_idr=amount - applied, created_by=actor)
    invoice.paid_on, invoice.reference = paid_on, reference
    invoice.save(update_fields=["paid_on", "reference"])
    _invoice_totals(invoice)
    audit_log(actor=actor, action="invoice.pay", obj=invoice, after=with_comment({
        "payer": invoice.payer.code, "period": format_month(invoice.period),
        "period_to": format_month(invoice.period_to), "paid_on": paid_on.isoformat(), "reference": reference,
        "amount_idr": amount, "dues_paid": len(paying), "unapplied_idr": amount - applied, "status": invoice.status,
        "total_idr": invoice.total_idr}, comment))
    return InvoicePaymentResult(invoice, payment)


@transaction.atomic
def invoice_pay(*, actor: User, payer: Payer, period: dt.date, paid_on: dt.date, reference: str,
                amount_idr: int | None = None) -> Invoice:
    """Pay the payer's invoice that starts in ``period`` (a monthly one is issued first when none
    exists), whole or in part: ``invoice_payment_record``. Asking twice changes nothing."""
    require(actor, "money.write")
    if not reference.strip():
        raise ValidationFailed(_("Referensi pembayaran (mis. nomor SP2D) wajib diisi."), fields={"reference": []})
    invoice = Invoice.objects.filter(payer=payer, period=month_start(period)).first()
    if invoice is None:
        invoice = invoice_issue(actor=actor, payer=payer, period=period)
    if invoice.status == Invoice.Status.PAID:
        if InvoicePayment.objects.filter(invoice=invoice, reference=reference.strip()).exists() or (
                invoice.reference == reference.strip()):
            return invoice
        raise Conflict(_("Tagihan %(payer)s %(month)s sudah lunas (referensi %(ref)s).") % {
            "payer": payer.name, "month": format_month(invoice.period), "ref": invoice.reference},
            code="already_paid")
    return invoice_payment_record(actor=actor, invoice=invoice, paid_on=paid_on, reference=reference,
                                  amount_idr=amount_idr).invoice


# --- BPJSTK's ledger mirrored (decision 0035) ---------------------------------------------------
# The matching is contributions.ledger's (reads only); these are its writes, set-based, called
# inside the import's one transaction.

@dataclass(frozen=True)
class StatementPayment:
    """A row of BPJSTK's payment statement that matched exactly: it pays the open due ``due_id``
    on ``paid_on`` (on time or late by the due's date), recorded as a ``Payment`` of exactly the
    due's amount with one ``PaymentAllocation``."""

    due_id: int
    membership_id: int
    amount_idr: int
    paid_on: dt.date
    channel: str
    reference: str


def statement_payments_apply(*, actor: User, payments: list[StatementPayment]) -> int:
    """Record the payments BPJSTK's statement holds: one ``Payment`` (the statement's channel and a
    reference derived from the row) and one ``PaymentAllocation`` each, and their dues paid on the
    payment date. Set-based: a few statements per 500 rows, never one ORM call per row. A due that
    is no longer open, or named twice, is a ``Conflict`` and the caller's transaction rolls back
    whole (the import applies all of its exact rows or none). The import's audit event lists them
    (``statement_import_record``). Returns how many dues were paid."""
    require(actor, "bpjstk.exchange")
    if not payments:
        return 0
    due_ids = [p.due_id for p in payments]
    with transaction.atomic():
        still_open: set[int] = set()
        for chunk in _chunks(due_ids, 500):
            still_open.update(Due.objects.select_for_update().filter(pk__in=chunk, status=Due.Status.OPEN)
                              .values_list("pk", flat=True))
        if len(set(due_ids)) != len(due_ids) or still_open != set(due_ids):
            raise Conflict(_("Sebagian iuran dalam laporan ini berubah selama impor; tidak ada yang diterapkan. "
                             "Jalankan impor lagi."), code="statement_changed")
        created = Payment.objects.bulk_create([
            Payment(membership_id=p.membership_id, amount_idr=p.amount_idr, paid_on=p.paid_on, channel=p.channel,
                    reference=p.reference, created_by=actor) for p in payments], batch_size=500)
        PaymentAllocation.objects.bulk_create([
            PaymentAllocation(payment=payment, due_id=p.due_id, amount_idr=p.amount_idr)
            for payment, p in zip(created, payments, strict=True)], batch_size=1000)
        by_day: dict[dt.date, list[int]] = {}
        for p in payments:
            by_day.setdefault(p.paid_on, []).append(p.due_id)
        for paid_on, ids in by_day.items():
            for chunk in _chunks(ids, 500):
                Due.objects.filter(pk__in=chunk, status=Due.Status.OPEN).update(status=Due.Status.PAID,
                                                                                paid_on=paid_on)
                persons_touched(Due.objects.filter(pk__in=chunk).values("person_id"), since=paid_on)
    return len(payments)


@dataclass(frozen=True)
class StatementReview:
    """A row of a BPJSTK file for the review list (never applied), with its reason."""

    row_number: int
    key: str
    reason_code: str
    reason_text: str
    kpj: str = ""
    nik_masked: str = ""
    period: dt.date | None = None
    amount_idr: int | None = None
    paid_on: dt.date | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    membership_id: int | None = None


def statement_import_record(*, actor: User, kind: str, file_name: str, sha256: str, summary: dict[str, Any],
                            reviews: list[StatementReview], settled_keys: list[str], applied: list[Any],
                            job_id: int | None, dry_run: bool = False) -> Any:
    """The record of one BPJSTK file, its review list and its audit event, in the import's
    transaction.

    - One ``StatementImport`` per file content (``kind``, ``sha256``), with the counts of its first
      import: the same file again finds it and leaves it as it is (each run's own counts are its
      job's result and its audit event's).
    - Review rows are added once per (``kind``, row ``key``, reason): the same row in this file
      again, or in a later file, adds nothing. A row now applied or unchanged (``settled_keys``)
      resolves its open review rows; a row now in review for another reason resolves the older one.
    - One audit event (``bpjstk.import_<kind>``) with the file, its counts and ``applied`` (what
      the import changed, e.g. the months it paid). A dry run writes only that event
      (``bpjstk.dry_run_<kind>``), as the old reconciliation did.

    Returns the ``StatementImport`` (``None`` for a dry run)."""
    from jaring.contributions.models import StatementImport, StatementReviewRow

    require(actor, "bpjstk.exchange")
    after = {"file": file_name, "sha256": sha256, **summary}
    if dry_run:
        audit_log(actor=actor, action=f"bpjstk.dry_run_{kind}", object_type="contributions.statementimport",
                  after=after)
        return None
    counts = {name: int(summary.get(name, 0)) for name in ("rows", "applied", "unchanged", "review", "invalid")}
    now = timezone.now()
    with transaction.atomic():
        statement = StatementImport.objects.select_for_update().filter(kind=kind, sha256=sha256).first()
        if statement is None:
            statement = StatementImport.objects.create(kind=kind, file_name=file_name[:255], sha256=sha256,
                                                       summary=summary, job_id=job_id, created_by=actor, **counts)
        by_key = {(r.key, r.reason_code): r for r in reviews}
        known: set[tuple[str, str]] = set()
        keys = list(dict.fromkeys(r.key for r in reviews))
        for start in range(0, len(keys), 500):
            known.update(StatementReviewRow.objects.filter(kind=kind, key__in=keys[start:start + 500])
                         .values_list("key", "reason_code"))
        new = [r for pair, r in by_key.items() if pair not in known]
        StatementReviewRow.objects.bulk_create([
            StatementReviewRow(statement=statement, kind=kind, row_number=r.row_number, key=r.key,
                               kpj=r.kpj[:20], nik_masked=r.nik_masked[:20], period=r.period, amount_idr=r.amount_idr,
                               paid_on=r.paid_on, detail=r.detail, reason_code=r.reason_code,
                               reason_text=r.reason_text[:500], person_id=r.person_id, membership_id=r.membership_id)
            for r in new], batch_size=1000, ignore_conflicts=True)
        resolved = 0
        settled = list(dict.fromkeys(settled_keys))
        for start in range(0, len(settled), 500):
            resolved += StatementReviewRow.objects.filter(
                kind=kind, key__in=settled[start:start + 500], status=StatementReviewRow.Status.OPEN).update(
                status=StatementReviewRow.Status.RESOLVED, resolved_at=now, resolved_by=actor,
                resolution=_("Diterapkan atau sudah sesuai pada impor berkas %(file)s.") % {"file": file_name[:200]})
        for key, reason in by_key:
            resolved += StatementReviewRow.objects.filter(
                kind=kind, key=key, status=StatementReviewRow.Status.OPEN).exclude(reason_code=reason).update(
                status=StatementReviewRow.Status.RESOLVED, resolved_at=now, resolved_by=actor,
                resolution=_("Diganti alasan baru pada impor berkas %(file)s.") % {"file": file_name[:200]})
        audit_log(actor=actor, action=f"bpjstk.import_{kind}", obj=statement,
                  after={**after, "statement": statement.pk, "review_added": len(new), "review_resolved": resolved,
                         "changes": applied})
    return statement


def statement_review_resolve(*, actor: User, row_ids: list[int], note: str) -> int:
    """The office followed up review rows with the branch: they are resolved with ``note``.
    Rows already resolved are left as they are. Audited; returns how many were resolved."""
    from jaring.contributions.models import StatementReviewRow

    require(actor, "bpjstk.exchange")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Tulis hasil pemeriksaan (mis. jawaban BPJSTK)."), fields={"note": []})
    ids = list(dict.fromkeys(int(i) for i in row_ids))
    with transaction.atomic():
        open_ids: list[int] = []
        for chunk in _chunks(ids, 500):
            open_ids += list(StatementReviewRow.objects.select_for_update().filter(
                pk__in=chunk, status=StatementReviewRow.Status.OPEN).values_list("pk", flat=True))
        for chunk in _chunks(open_ids, 500):
            StatementReviewRow.objects.filter(pk__in=chunk).update(
                status=StatementReviewRow.Status.RESOLVED, resolved_at=timezone.now(), resolved_by=actor,
                resolution=note[:500])
        if open_ids:
            audit_log(actor=actor, action="bpjstk.review_resolve", object_type="contributions.statementreviewrow",
                      after={"rows": open_ids, "note": note[:500]})
    return len(open_ids)


@dataclass
class DuesRestoreResult:
    restored: list[tuple[int, dt.date]] = field(default_factory=list)  # (membership, month)
    kept_void: list[tuple[int, dt.date, str]] = field(default_factory=list)  # (membership, month, other payer)


def dues_restore_after_end(*, actor: User, rows: list[tuple[int, dt.date]]) -> DuesRestoreResult:
    """The reverse of ``dues_void_after`` for memberships reactivated (membership's
    ``memberships_reactivate``; ``rows``: membership id, the day it had ended): their dues voided
    for the months after the end are open again, unless another payer now bills that person for
    the month (the month stays void and is listed with that payer) or the due was refunded after a
    claim. Invoices holding restored dues are re-totalled (the office pays them with
    ``invoice_payment_record``). Set-based; runs in the caller's transaction, whose events record
    it. Months never billed are billed by the next billing run or invoice."""
    from django.db.models import Exists, OuterRef, Subquery

    require(actor, "money.write")
    result = DuesRestoreResult()
    others = Due.objects.filter(person_id=OuterRef("person_id"), period=OuterRef("period")).exclude(
        status=Due.Status.VOID)
    refunded = CreditEntry.objects.filter(due_id=OuterRef("pk"), reason=CreditEntry.Reason.REFUND)
    by_month: dict[dt.date, list[int]] = {}
    for membership_id, ended_on in rows:
        by_month.setdefault(month_start(ended_on), []).append(membership_id)
    invoices: set[int] = set()
    with transaction.atomic():
        for end_month, ids in by_month.items():
            for chunk in _chunks(ids, 500):
                voided = Due.objects.select_for_update().filter(
                    membership_id__in=chunk, status=Due.Status.VOID, period__gt=end_month).exclude(Exists(refunded))
                blocked = (voided.filter(Exists(others))
                           .annotate(other=Subquery(others.values("payer__code")[:1]))
                           .values_list("membership_id", "period", "other"))
                result.kept_void += [(m, p, str(o)) for m, p, o in blocked]
                free = list(voided.exclude(Exists(others)).values_list("pk", "membership_id", "period", "invoice_id"))
                for part in _chunks([pk for pk, _m, _p, _i in free], 500):
                    Due.objects.filter(pk__in=part, status=Due.Status.VOID).update(status=Due.Status.OPEN)
                result.restored += [(m, p) for _pk, m, p, _i in free]
                invoices.update(i for _pk, _m, _p, i in free if i)
        for invoice in Invoice.objects.filter(pk__in=sorted(invoices)):
            _invoice_totals(invoice)
    result.restored.sort()
    result.kept_void.sort()
    return result
