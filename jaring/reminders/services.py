"""All writes of the reminders' outbox (decision 0038): queue the day's messages, deliver them
through a sender, record each outcome; audited in bulk. Never a query per person.

- ``reminders_send(actor, as_of)``: the day's candidates (``selectors``), one message per due, kind
  and stage, bulk-inserted with one audit event each (``audit_log_many``). Running it again queues
  nothing new (``already_sent``); ``dry_run`` counts and writes nothing.
- ``reminders_deliver(actor)``: the queued messages, and the failed ones worth another try, sent a
  batch at a time; a message that no longer says the truth (its month paid, its due date passed,
  the membership ended) is skipped, not sent. A sender's failure is recorded, never raised.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.contributions.models import Due
from jaring.contributions.selectors import max_arrears_months
from jaring.contributions.services import standard_due_date
from jaring.core.audit import audit_log, audit_log_many
from jaring.core.bulk import bulk_insert
from jaring.core.errors import Conflict, ValidationFailed
from jaring.core.money import add_months
from jaring.core.parameters import current_parameters
from jaring.membership.models import Membership
from jaring.registry.models import Person
from jaring.reminders.conf import int_setting, reminder_days
from jaring.reminders.models import ReminderMessage
from jaring.reminders.selectors import QUEUE, REASONS, Candidate, Selection, due_soon_selection, overdue_selection
from jaring.reminders.senders import OutgoingMessage, Sender, SendResult, sender_for
from jaring.reminders.texts import due_soon_params, due_soon_text, mobile_number, overdue_params, overdue_text
from jaring.rules import Parameters

CHUNK = 5000  # queued candidates read, written and audited at a time
FAR_AHEAD = dt.timedelta(days=366)  # a dry run may look this far ahead, no further
EARLIEST = dt.date(2000, 1, 1)
BATCH = 100  # messages claimed and sent per round of delivery
CLAIM_EXPIRES = dt.timedelta(minutes=15)  # a delivery run that died lets go of its messages after this


def today() -> dt.date:
    """The office's today (a seam for the command's tests)."""
    return timezone.localdate()


@dataclass
class SendSummary:
    as_of: dt.date
    dry_run: bool = False
    due_soon: int = 0
    overdue: int = 0
    queued: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))

    def as_dict(self) -> dict[str, Any]:
        """What ``jaring reminders send --json`` prints: candidates of each kind, messages queued, and
        the others by reason (``due_soon + overdue == queued + sum(skipped)``)."""
        return {"due_soon": self.due_soon, "overdue": self.overdue, "queued": self.queued,
                "skipped": dict(self.skipped)}


def check_as_of(as_of: dt.date, *, dry_run: bool, on: dt.date | None = None) -> None:
    """A real run sends today what it finds for ``as_of``: not a later day, and not more than
    ``JARING_REMINDER_MAX_LATE_DAYS`` back (catching up a day the job did not run). A dry run may
    look back or up to a year ahead."""
    on = on or today()
    late = int_setting("JARING_REMINDER_MAX_LATE_DAYS")
    if as_of < EARLIEST or as_of > on + FAR_AHEAD:
        message = _("Tanggal acuan %(day)s di luar jangkauan.") % {"day": as_of.isoformat()}
        raise ValidationFailed(message, fields={"as_of": [message]}, code="as_of_out_of_range")
    if dry_run:
        return
    if as_of > on:
        message = _("Pengingat tidak bisa dikirim untuk tanggal yang akan datang (%(day)s); pakai --dry-run "
                    "untuk melihat siapa yang akan dikirimi.") % {"day": as_of.isoformat()}
        raise ValidationFailed(message, fields={"as_of": [message]}, code="as_of_future")
    if as_of < on - dt.timedelta(days=late):
        message = _("Tanggal acuan %(day)s lebih dari %(n)s hari yang lalu; pesan itu sudah basi.") % {
            "day": as_of.isoformat(), "n": late}
        raise ValidationFailed(message, fields={"as_of": [message]}, code="as_of_too_old")


# The outbox's columns as ``core.bulk`` writes them (one COPY / executemany per chunk of messages).
COLUMNS = ("person_id", "membership_id", "due_id", "kind", "days_before", "as_of", "channel", "to_number", "body",
           "params", "status", "attempts", "retryable", "last_error", "claim", "provider_id", "created_at",
           "created_by_id")


@dataclass
class _Batch:
    """The run's fixed values and what it has worked out once (the pay-by day of each first month)."""

    actor: User
    as_of: dt.date
    params: Parameters
    limit: int
    now: dt.datetime
    pay_by: dict[dt.date, dt.date] = field(default_factory=dict)

    def rows(self, candidates: list[Candidate]) -> tuple[list[tuple[Any, ...]], int]:
        """The outbox rows of a chunk of queued candidates, and how many had no usable mobile number."""
        # Values shared by every row, adapted for the database once (as the ORM would store them).
        as_of = connection.ops.adapt_datefield_value(self.as_of)
        now = connection.ops.adapt_datetimefield_value(self.now)
        out, bad_phone = [], 0
        for c in candidates:
            to = mobile_number(c.phone)
            if to is None:
                bad_phone += 1
                continue
            if c.kind == ReminderMessage.Kind.DUE_SOON:
                values = due_soon_params(full_name=c.full_name, period=c.period, amount_idr=c.amount_idr,
                                         due_date=c.due_date, kpj=c.kpj)
                body = due_soon_text(values)
            else:
                if c.oldest not in self.pay_by:
                    # The last day to pay before the month that would be one too many falls past due.
                    self.pay_by[c.oldest] = standard_due_date(self.params, add_months(c.oldest, self.limit))
                values = overdue_params(full_name=c.full_name, months=c.months, oldest=c.oldest,
                                        owed_idr=c.owed_idr, pay_by=self.pay_by[c.oldest], kpj=c.kpj)
                body = overdue_text(values)
            out.append((c.person_id, c.membership_id, c.due_id, c.kind, c.days_before, as_of, c.channel, to,
                        body, json.dumps(values, ensure_ascii=False), ReminderMessage.Status.QUEUED.value, 0, True,
                        "", "", "", now, self.actor.pk))
        return out, bad_phone


def _insert(batch: _Batch, rows: list[tuple[Any, ...]]) -> None:
    """Write a chunk of messages and one ``reminder.queue`` audit event each (their ids read back:
    this run's rows are those after the last id seen, made at this run's moment)."""
    last = ReminderMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
    bulk_insert(ReminderMessage._meta.db_table, COLUMNS, rows)
    created = (ReminderMessage.objects.filter(id__gt=last, created_at=batch.now, as_of=batch.as_of)
               .order_by("id").values_list("id", "person_id", "due_id", "kind", "days_before", "channel"))
    audit_log_many(actor=batch.actor, action="reminder.queue", object_type="reminders.remindermessage",
                   events=[(str(pk), None, {"person": person, "due": due, "kind": kind, "days_before": stage,
                                            "channel": channel, "as_of": batch.as_of.isoformat()})
                           for pk, person, due, kind, stage, channel in created])


def reminders_send(*, actor: User, as_of: dt.date, dry_run: bool = False,
                   on: dt.date | None = None) -> SendSummary:
    """Queue the reminders of ``as_of``: dues falling due within ``JARING_REMINDER_DAYS`` and the
    latest missed month of memberships in arrears, for self-payers in the actor's area (see
    ``selectors``). Idempotent; two statements per kind whatever the number of members, plus a bulk
    write and a read-back per 5,000 messages and the audit events. ``dry_run`` counts the same and
    writes nothing."""
    require(actor, "money.write")
    check_as_of(as_of, dry_run=dry_run, on=on)
    days = reminder_days()
    limit = max_arrears_months(as_of)
    batch = _Batch(actor=actor, as_of=as_of, params=current_parameters(), limit=limit, now=timezone.now())
    summary = SendSummary(as_of=as_of, dry_run=dry_run)
    selections: list[Selection] = [due_soon_selection(actor=actor, as_of=as_of, days=days, max_arrears=limit),
                                   overdue_selection(actor=actor, as_of=as_of, max_arrears=limit)]
    try:
        with transaction.atomic():
            for selection in selections:
                counts = selection.counts()
                setattr(summary, selection.kind, sum(counts.values()))
                for reason, n in counts.items():
                    if reason != QUEUE:
                        summary.skipped[reason] = summary.skipped.get(reason, 0) + n
                if not counts.get(QUEUE):
                    continue
                for chunk in selection.queued(CHUNK):
                    rows, bad_phone = batch.rows(chunk)
                    summary.skipped["no_phone"] += bad_phone
                    summary.queued += len(rows)
                    if rows and not dry_run:
                        _insert(batch, rows)
            if not dry_run:
                audit_log(actor=actor, action="reminders.send", object_type="reminders.remindermessage",
                          object_id=as_of.isoformat(), after={"as_of": as_of.isoformat(), "days": list(days),
                                                              **summary.as_dict()})
    except IntegrityError as exc:  # another run of the same day queued the same message meanwhile
        raise Conflict(_("Pengiriman pengingat lain sedang berjalan; coba lagi sebentar lagi."),
                       code="reminders_busy") from exc
    return summary


@dataclass
class DeliverSummary:
    sent: int = 0
    failed: int = 0
    stale: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "stale": self.stale}


def _deliverable(max_attempts: int) -> Q:
    return Q(status=ReminderMessage.Status.QUEUED) | Q(status=ReminderMessage.Status.FAILED, retryable=True,
                                                        attempts__lt=max_attempts)


def _skip_stale(actor: User, on: dt.date, max_attempts: int) -> int:
    """Messages that would no longer say the truth are skipped, not sent: the month is paid or void,
    the membership is not active, or a coming due date has passed."""
    stale = (ReminderMessage.objects.filter(_deliverable(max_attempts))
             .filter(~Q(due__status=Due.Status.OPEN) | ~Q(membership__status=Membership.Status.ACTIVE)
                     | Q(kind=ReminderMessage.Kind.DUE_SOON, due__due_date__lt=on)))
    ids = list(stale.values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            ReminderMessage.objects.filter(pk__in=chunk).update(status=ReminderMessage.Status.SKIPPED,
                                                                last_error="stale", claim="", claimed_at=None)
            audit_log_many(actor=actor, action="reminder.skip", object_type="reminders.remindermessage",
                           events=[(str(i), None, {"status": "skipped", "reason": "stale"}) for i in chunk])
    return len(ids)


def reminders_deliver(*, actor: User, limit: int | None = None, on: dt.date | None = None,
                      progress: Callable[[int, int], None] | None = None) -> DeliverSummary:
    """Send the queued messages (and the failed ones that may still go: fewer than
    ``JARING_REMINDER_MAX_ATTEMPTS`` tries and not refused for good) through their channel's sender,
    ``BATCH`` at a time; at most ``limit``. Each batch is first claimed, so two runs never send a
    message twice; the network is called outside any transaction; each outcome is recorded with its
    attempt count, error, time and the provider's message id, audited in bulk."""
    require(actor, "money.write")
    on = on or today()
    max_attempts = int_setting("JARING_REMINDER_MAX_ATTEMPTS", minimum=1)
    senders: dict[str, Sender] = {channel: sender_for(channel) for channel in ReminderMessage.Channel.values}
    summary = DeliverSummary(stale=_skip_stale(actor, on, max_attempts))
    token = uuid.uuid4().hex
    total = ReminderMessage.objects.filter(_deliverable(max_attempts)).count()
    if limit is not None:
        total = min(total, limit)
    done = 0
    started = timezone.now()
    while limit is None or done < limit:
        now = timezone.now()
        # Not held by another run (or held by one that died), and not tried yet by this one.
        free = ((Q(claim="") | Q(claimed_at__lt=now - CLAIM_EXPIRES))
                & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=started)))
        size = BATCH if limit is None else min(BATCH, limit - done)
        ids = list(ReminderMessage.objects.filter(_deliverable(max_attempts)).filter(free)
                   .order_by("id").values_list("id", flat=True)[:size])
        if not ids:
            break
        ReminderMessage.objects.filter(pk__in=ids).filter(_deliverable(max_attempts)).filter(free).update(
            claim=token, claimed_at=now)
        batch = list(ReminderMessage.objects.filter(claim=token).order_by("id"))
        if not batch:
            continue  # another run took them first
        results = [(m, _send(senders[m.channel], m)) for m in batch]
        _record(actor, results)
        done += len(batch)
        summary.sent += sum(1 for _m, r in results if r.ok)
        summary.failed += sum(1 for _m, r in results if not r.ok)
        if progress is not None:
            progress(done, total)
    return summary


def _send(sender: Sender, message: ReminderMessage) -> SendResult:
    outgoing = OutgoingMessage(id=message.pk, kind=message.kind, channel=message.channel, to=message.to,
                               body=message.body, params=dict(message.params or {}))
    try:
        return sender.send(outgoing)
    except Exception as exc:  # a sender's bug must not stop the batch: record it as the failure
        return SendResult.failed(f"{getattr(sender, 'name', 'sender')}: {type(exc).__name__}: {exc}")


def _record(actor: User, results: list[tuple[ReminderMessage, SendResult]]) -> None:
    now = timezone.now()
    events: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
    for message, result in results:
        before = {"status": message.status, "attempts": message.attempts}
        message.attempts += 1
        message.claim = ""  # claimed_at stays: when it was last tried
        if result.ok:
            message.status, message.sent_at = ReminderMessage.Status.SENT, now
            message.provider_id, message.last_error = result.provider_id, ""
        else:
            message.status, message.last_error = ReminderMessage.Status.FAILED, result.error
            message.retryable = result.retryable
        events.append((str(message.pk), before, {"status": message.status, "attempts": message.attempts,
                                                  **({"provider_id": message.provider_id} if result.ok
                                                     else {"error": message.last_error,
                                                           "retryable": message.retryable})}))
    with transaction.atomic():
        ReminderMessage.objects.bulk_update(
            [m for m, _r in results],
            ["status", "attempts", "claim", "claimed_at", "sent_at", "provider_id", "last_error", "retryable"])
        audit_log_many(actor=actor, action="reminder.deliver", object_type="reminders.remindermessage", events=events)


def check_senders() -> None:
    """Refuse now (a ``ValidationFailed`` naming the setting) if a channel's sender is misconfigured."""
    for channel in ReminderMessage.Channel.values:
        sender_for(channel)


# --- The background job -------------------------------------------------------------------------

REMINDERS_JOB = "reminders.send"


def reminders_send_queue(*, actor: User, as_of: dt.date) -> Any:
    """A reminders run as a background job (``reminders_job_run``): for the task queue or a page."""
    from jaring.core.jobs import job_start
    from jaring.core.models import Job
    from jaring.core.services import job_create

    require(actor, "money.write")
    check_as_of(as_of, dry_run=False)
    running = Job.objects.filter(kind=REMINDERS_JOB, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).first()
    if running is not None:
        return running
    job = job_create(actor=actor, kind=REMINDERS_JOB, params={"as_of": as_of.isoformat()})
    audit_log(actor=actor, action="reminders.send.queue", object_type="core.job", object_id=str(job.pk),
              after={"as_of": as_of.isoformat()})
    job_start(job, reminders_job_run)
    return job


def reminders_job_run(job: Any) -> None:
    """Queue the day's reminders, then deliver them; the job's result holds both summaries."""
    from jaring.core.jobs import job_begin, job_finish
    from jaring.core.models import Job

    say = job_begin(job)
    try:
        as_of = dt.date.fromisoformat(str(job.params.get("as_of") or today().isoformat()))
        summary = reminders_send(actor=job.created_by, as_of=as_of)
        delivered = reminders_deliver(actor=job.created_by, progress=lambda done, total: say("send", done, total))
    except Exception as exc:
        job_finish(job, status=Job.Status.FAILED, message=str(getattr(exc, "message", exc)))
        raise
    job_finish(job, status=Job.Status.SUCCEEDED, result={**summary.as_dict(), "delivery": delivered.as_dict()},
               done=summary.queued)


# --- Merges -------------------------------------------------------------------------------------


def move_reminders(*, actor: User, kept: Person, other: Person) -> list[dict[str, Any]]:
    """Merge hook: a duplicate's reminder messages become the kept person's (their memberships
    and dues move with membership's hook). Returns what moved, for the undo."""
    from jaring.registry.services import merge_moved

    ids = list(ReminderMessage.objects.filter(person=other).values_list("pk", flat=True))
    moved = ReminderMessage.objects.filter(pk__in=ids).update(person=kept)
    if moved:
        audit_log(actor=actor, action="reminder.move", object_type="registry.person", object_id=str(kept.pk),
                  after={"from_person": other.pk, "messages": moved})
    return [merge_moved(ReminderMessage, "person", ids, other.pk, kept.pk)] if ids else []


def plan_reminders(*, kept: Person, other: Person) -> Any:
    """Merge plan (read only): how many reminder messages ``move_reminders`` would move."""
    from jaring.registry.services import MergePlanPart

    n = ReminderMessage.objects.filter(person=other).count()
    return MergePlanPart(moves=[(ngettext("%(n)s pesan pengingat", "%(n)s pesan pengingat", n) % {"n": n}, n)]
                         if n else [])
