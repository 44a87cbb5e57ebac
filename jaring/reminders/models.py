from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReminderMessage(models.Model):
    """One payment reminder to a self-payer: the outbox (decision 0038). Written only by
    ``reminders.services``: queued by ``reminders_send``, then sent, failed (with the reason and the
    number of attempts) or skipped (stale before it could go). One message per due, kind and stage
    (``days_before``): running the same day twice queues nothing new."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Menjelang jatuh tempo")
        OVERDUE = "overdue", _("Lewat jatuh tempo")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Dalam antrean")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")
        SKIPPED = "skipped", _("Tidak dikirim")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("membership.Membership", on_delete=models.PROTECT, related_name="+")
    due = models.ForeignKey("contributions.Due", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    # The stage of a due_soon reminder (5 or 1 days before, JARING_REMINDER_DAYS); 0 for overdue.
    days_before = models.PositiveSmallIntegerField(_("hari sebelum jatuh tempo"), default=0)
    as_of = models.DateField(_("tanggal acuan"))
    channel = models.CharField(_("saluran"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("nomor tujuan"), max_length=20, db_column="to_number")  # "to" is an SQL keyword
    body = models.TextField(_("isi pesan"))
    # The values the text was made of (name, month, amount…): a WhatsApp template's parameters.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    retryable = models.BooleanField(default=True)  # False after a refusal that trying again cannot fix (4xx)
    last_error = models.CharField(_("galat terakhir"), max_length=500, blank=True)
    # Which delivery run holds the message while it is being sent (two runs never send one twice), and
    # when a run last took it (a run tries a message once; a dead run's hold expires).
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("dikirim pada"), null=True, blank=True)
    provider_id = models.CharField(_("nomor pesan penyedia"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pesan pengingat")
        verbose_name_plural = _("pesan pengingat")
        indexes = [models.Index(fields=["status", "id"], name="reminder_status_id")]
        constraints = [
            models.UniqueConstraint(fields=["due", "kind", "days_before"], name="one_reminder_per_due_kind_stage"),
            models.CheckConstraint(condition=Q(kind="due_soon") | Q(days_before=0), name="reminder_overdue_stage_0"),
            models.CheckConstraint(condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                                   name="reminder_sent_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_id} → {self.to} ({self.status})"
