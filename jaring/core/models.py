from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only record of a change or a sensitive read. Never updated, never deleted.

    ``before``/``after`` hold field values as shown to staff: identifiers masked, never in clear.
    Database triggers (migration 0002) refuse UPDATE and DELETE as a second line of defence.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    region_code = models.CharField(max_length=32, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    channel = models.CharField(max_length=8, blank=True)  # web, api, cli, task

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The trail viewer's keyset paging (jaring.core.trail): each filter, then (at, id).
            models.Index(fields=["at", "id"], name="audit_at_id"),
            models.Index(fields=["actor_label", "at", "id"], name="audit_actor_at"),
            models.Index(fields=["action", "at", "id"], name="audit_action_at"),
            models.Index(fields=["object_type", "object_id", "at", "id"], name="audit_object_at"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit events are append-only")


class Job(models.Model):
    """A long-running piece of work (import, billing run) with progress the UI can poll."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu")
        RUNNING = "running", _("Berjalan")
        SUCCEEDED = "succeeded", _("Selesai")
        FAILED = "failed", _("Gagal")
        CANCELLED = "cancelled", _("Dibatalkan")

    kind = models.CharField(max_length=60)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # The task queue (decision 0047): which registered work runs the job (``core.tasks_queue.WORKS``),
    # the task library's id of its latest enqueue, how many times a worker started it, and which
    # worker (host:pid:thread) runs it now.
    work = models.CharField(max_length=60, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=160, blank=True)
    # A scheduled run's key ("reports.snapshot@2026-12-07"): unique, so two schedulers never queue it twice.
    schedule_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))


class JobSignal(models.Model):
    """What a running job tells and is told while its own transaction is open: its progress, its
    worker's heartbeat, and a cancel request. Routed to the ``jobs`` database alias
    (``core.routers.JobSignalRouter``): on SQLite a small file of its own beside the main one, so
    it is written while the job holds the main file's write lock; on PostgreSQL the same database
    through a second connection, so it commits at once (decision 0047). No foreign key: the row
    may live in another database than its job."""

    job_id = models.BigIntegerField(primary_key=True)
    stage = models.CharField(max_length=40, blank=True)
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_by = models.BigIntegerField(null=True, blank=True)
    cancel_by_name = models.CharField(max_length=150, blank=True)
    cancel_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sinyal pekerjaan")

    def __str__(self) -> str:
        return f"job {self.job_id}: {self.stage} {self.done}/{self.total}"
