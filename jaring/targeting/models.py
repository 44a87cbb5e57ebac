"""Targeting: who may be subsidised (eligibility policies), in what order (priority weights), and
how a payer's budget is shared out (allocation rounds with their frozen ranking)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Points of a new policy: a starting point the office edits, not regulation values (ARCHITECTURE §5.6
# is about rates and amounts; these are the office's own priorities and live in each policy row).
DEFAULT_WEIGHTS: dict[str, int] = {
    "decile_1": 40, "decile_2": 30, "decile_3": 20, "decile_4": 10,
    "pkh": 15, "dependant": 5, "dependants_max": 4, "disability": 15, "female_head": 15,
    "high_risk_occupation": 10, "older": 5, "older_age_from": 50,
}


def default_weights() -> dict[str, int]:
    return dict(DEFAULT_WEIGHTS)


class EligibilityPolicy(models.Model):
    """One version of a targeting policy. Versions are never edited once a round used them:
    a change is a new version of the same code, so every round names exactly the rules it ran."""

    code = models.CharField(_("kode"), max_length=40)
    version = models.PositiveSmallIntegerField(_("versi"), default=1)
    name = models.CharField(_("nama"), max_length=150)
    basis = models.CharField(_("dasar kebijakan"), max_length=200, blank=True)
    max_decile = models.PositiveSmallIntegerField(_("desil paling tinggi"), default=4)
    min_age = models.PositiveSmallIntegerField(_("umur paling rendah"), default=18)
    max_age = models.PositiveSmallIntegerField(_("umur paling tinggi"), default=64)
    # Where a decile must come from and how old it may be on the round's start month (DOMAIN §3,
    # Inpres 8/2025: target with DTSEN, updated every 3 months): a stale P3KE or DTKS decile must not
    # count like a fresh DTSEN one. Empty sources = any; no age = any.
    decile_sources = models.JSONField(_("sumber desil yang diterima"), default=list, blank=True)
    decile_max_age_days = models.PositiveIntegerField(_("umur data desil paling lama (hari)"), null=True, blank=True)
    # Occupation codes counted as vulnerable; empty = any recorded occupation.
    occupation_codes = models.JSONField(_("pekerjaan rentan"), default=list, blank=True)
    weights = models.JSONField(_("bobot prioritas"), default=default_weights)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("kebijakan sasaran")
        verbose_name_plural = _("kebijakan sasaran")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="one_policy_version"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="one_current_policy"),
            models.CheckConstraint(condition=Q(max_decile__gte=1, max_decile__lte=10), name="policy_decile_1_10"),
            models.CheckConstraint(condition=Q(min_age__lte=models.F("max_age")), name="policy_age_window"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class AllocationRound(models.Model):
    """A payer's budget shared out over the ranked eligible people, prepared by an operator and
    approved by an admin (never the same person). ``parent`` is set for a top-up from the
    waitlist of an earlier round."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Disiapkan, menunggu persetujuan")
        APPROVED = "approved", _("Disetujui")
        CANCELLED = "cancelled", _("Dibatalkan")

    class QuotaMode(models.TextChoices):
        NONE = "none", _("Tanpa kuota distrik")
        FIXED = "fixed", _("Kuota tetap per distrik (Rp)")
        PROPORTIONAL = "proportional", _("Sebanding jumlah yang memenuhi syarat")

    payer = models.ForeignKey("membership.Payer", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(EligibilityPolicy, on_delete=models.PROTECT, related_name="rounds")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="top_ups")
    budget_idr = models.BigIntegerField(_("anggaran (Rp)"))
    months = models.PositiveSmallIntegerField(_("jumlah bulan"))
    start_month = models.DateField(_("bulan mulai"))
    quota_mode = models.CharField(_("kuota"), max_length=12, choices=QuotaMode.choices, default=QuotaMode.NONE)
    # The quota of each distrik in rupiah, as resolved when the round was prepared: {distrik code: idr}.
    quotas = models.JSONField(default=dict, blank=True)
    spill_unused = models.BooleanField(_("sisa kuota ke peringkat kota"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    eligible_count = models.PositiveIntegerField(default=0)
    selected_count = models.PositiveIntegerField(default=0)
    waitlisted_count = models.PositiveIntegerField(default=0)
    cost_idr = models.BigIntegerField(_("biaya (Rp)"), default=0)
    # What one person costs over the round, per sector and fiscal year: {"other": {"2026": 201600}}.
    unit_costs = models.JSONField(default=dict)
    # After approval: what the enrolled people cost per fiscal year ({"2026": idr}).
    committed_by_year = models.JSONField(default=dict, blank=True)
    enrolled_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = _("putaran alokasi")
        verbose_name_plural = _("putaran alokasi")
        constraints = [
            models.CheckConstraint(condition=Q(budget_idr__gt=0), name="round_budget_positive"),
            models.CheckConstraint(condition=Q(months__gte=1), name="round_months_positive"),
            models.CheckConstraint(condition=Q(status="approved", approved_by__isnull=False) | ~Q(status="approved"),
                                   name="approved_round_has_approver"),
            models.CheckConstraint(condition=~Q(approved_by=models.F("prepared_by")), name="round_maker_not_checker"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.payer} {self.start_month:%Y-%m} ×{self.months}"


class AllocationEntry(models.Model):
    """One person in a round's frozen ranking: rank, score with its points, cost, and what
    became of them (selected, waitlisted, enrolled with a membership, or skipped at approval)."""

    class Status(models.TextChoices):
        SELECTED = "selected", _("Terpilih")
        WAITLISTED = "waitlisted", _("Daftar tunggu")
        ENROLLED = "enrolled", _("Didaftarkan")
        SKIPPED = "skipped", _("Dilewati saat persetujuan")

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    distrik = models.ForeignKey("regions.Region", null=True, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField(_("peringkat"))
    score = models.IntegerField(_("skor"))
    points = models.JSONField(default=dict)
    cost_idr = models.BigIntegerField(_("biaya (Rp)"))
    status = models.CharField(max_length=10, choices=Status.choices)
    membership = models.OneToOneField("membership.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="allocation_entry")

    class Meta:
        ordering = ["round", "rank"]
        verbose_name = _("peringkat alokasi")
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="one_entry_per_round_person"),
            models.UniqueConstraint(fields=["round", "rank"], name="one_rank_per_round"),
        ]
        indexes = [models.Index(fields=["round", "status", "rank"], name="entry_round_status_rank")]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.rank} {self.person_id}"
