"""The facilitator's week (issue 12): visits and calls to members in arrears, outreach events
(*sosialisasi*) with their attendees, and the link from a user to their own person record.

Every write is a service in ``fieldwork.services``. What an event brought in (registrations and
enrolments of its attendees within the attribution window) is computed at read time by
``fieldwork.selectors`` and never stored (decision 0040)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

NOTE_MAX = 500


class FieldProfile(models.Model):
    """A user's own person record in the registry: facilitators are covered too (the city pays
    for them), and their home page shows their own protection."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="field_profile")
    person = models.OneToOneField("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("data diri di registri"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profil lapangan")
        verbose_name_plural = _("profil lapangan")

    def __str__(self) -> str:
        return f"{self.user} → {self.person_id or '-'}"


class Visit(models.Model):
    """One visit, call or message to a person about their contributions, as the facilitator
    recorded it; the office reads the log. ``period`` is the month in arrears it answers (the
    oldest unpaid month when it was recorded), if any."""

    class Channel(models.TextChoices):
        VISIT = "visit", _("Kunjungan")
        CALL = "call", _("Telepon")
        MESSAGE = "message", _("Pesan (WA/SMS)")

    class Outcome(models.TextChoices):
        PAID = "paid", _("Sudah bayar")
        PROMISED = "promised", _("Janji bayar")
        MOVED = "moved", _("Pindah")
        REFUSED = "refused", _("Menolak")
        NOT_FOUND = "not_found", _("Tidak ditemui")
        OTHER = "other", _("Lainnya")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("membership.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    visited_on = models.DateField(_("tanggal"))
    channel = models.CharField(_("cara"), max_length=8, choices=Channel.choices, default=Channel.VISIT)
    outcome = models.CharField(_("hasil"), max_length=10, choices=Outcome.choices)
    promised_on = models.DateField(_("janji bayar pada"), null=True, blank=True)
    note = models.CharField(_("catatan"), max_length=NOTE_MAX, blank=True, default="")
    period = models.DateField(_("bulan tunggakan"), null=True, blank=True)
    # The offline outbox's own id for the record: sending it twice records it once.
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("oleh"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("kunjungan")
        verbose_name_plural = _("kunjungan")
        indexes = [
            # The worklist: each person's latest visits; the report and the home card: a user's visits.
            models.Index(fields=["person", "-visited_on", "-id"], name="visit_person_latest"),
            models.Index(fields=["visited_on"], name="visit_day"),
            models.Index(fields=["by", "visited_on"], name="visit_by_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(promised_on__isnull=True) | Q(outcome="promised"),
                                   name="visit_promise_only_when_promised"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.person_id} {self.outcome}"


class OutreachEvent(models.Model):
    """An outreach session (*sosialisasi*): where and when, who ran it with whom, how many came."""

    class Partner(models.TextChoices):
        BPJSTK = "bpjstk", _("Kantor cabang BPJSTK")
        CHURCH = "church", _("Gereja")
        MOSQUE = "mosque", _("Masjid")
        MARKET = "market", _("Pasar / paguyuban pedagang")
        KELURAHAN = "kelurahan", _("Kantor kelurahan/distrik")
        OTHER = "other", _("Lainnya")

    held_on = models.DateField(_("tanggal"))
    place = models.CharField(_("tempat"), max_length=200)
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("pendamping"))
    partners = models.JSONField(_("mitra"), default=list, blank=True)  # Partner codes
    partner_names = models.CharField(_("nama mitra"), max_length=200, blank=True, default="")
    attendees_count = models.PositiveIntegerField(_("jumlah hadir"), default=0)
    note = models.CharField(_("catatan"), max_length=1000, blank=True, default="")
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("sosialisasi")
        verbose_name_plural = _("sosialisasi")
        indexes = [models.Index(fields=["kelurahan", "held_on"], name="outreach_kelurahan_day"),
                   models.Index(fields=["held_on"], name="outreach_day")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"

    def partner_labels(self) -> list[str]:
        labels = dict(self.Partner.choices)
        return [str(labels.get(code, code)) for code in self.partners]


class OutreachAttendee(models.Model):
    """Someone who came: a registered person (found or registered on the spot), or a name only."""

    event = models.ForeignKey(OutreachEvent, on_delete=models.CASCADE, related_name="attendees")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("nama"), max_length=150, blank=True, default="")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("peserta sosialisasi")
        verbose_name_plural = _("peserta sosialisasi")
        indexes = [models.Index(fields=["person", "event"], name="attendee_person_event")]
        constraints = [
            models.CheckConstraint(condition=Q(person__isnull=False) | ~Q(name=""), name="attendee_person_or_name"),
            models.UniqueConstraint(fields=["event", "person"], condition=Q(person__isnull=False),
                                    name="attendee_once_per_event"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.person_id)
