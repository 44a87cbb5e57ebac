"""Monthly per-region snapshots the dashboard reads (decision 0015), and the coverage target.

A snapshot month is rebuilt as a whole by ``services.snapshot_refresh`` from the dues, memberships
and registry: the dashboard never counts dues live, so it costs the same at a city's 50,000 workers
and a nation's millions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SnapshotMonth(models.Model):
    """One refreshed month: when, as of which day, and how long it took (staleness is read here)."""

    period = models.DateField(_("bulan"), unique=True)
    as_of = models.DateField(_("keadaan per tanggal"))
    refreshed_at = models.DateTimeField(_("diperbarui"))
    seconds = models.FloatField(default=0)
    refreshed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-period"]
        verbose_name = _("bulan ringkasan")
        verbose_name_plural = _("bulan ringkasan")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} @ {self.refreshed_at:%Y-%m-%d %H:%M}"


class SnapshotMark(models.Model):
    """A kelurahan whose figures changed from ``since`` on (``None``: every month), noted by a lower
    app's service in its own transaction (``core.touched``). ``services.snapshot_refresh_touched``
    refreshes those kelurahan in the months counted as of ``since`` or later, then deletes the marks
    it read (decision 0046). Bookkeeping: no audit event of its own; the refresh has one."""

    kelurahan = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    since = models.DateField(null=True)
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tanda ringkasan berubah")

    def __str__(self) -> str:
        return f"{self.kelurahan_id} since {self.since or '-'}"


class CoverageSnapshot(models.Model):
    """Counts of one month for one (kelurahan, payer kind, occupation, sex).

    - ``members``: memberships billed for the month (a due that is not void);
    - ``protected``: of those, dues paid (on time or late) — "protected in month M";
    - ``at_risk``: memberships active at the month's end (today for the running month) with 1 up to
      the allowed number of past-due unpaid months after their last paid one (as ``billing_close``);
    - ``lapsed``: memberships ended for arrears during the month.
    """

    period = models.DateField(_("bulan"))
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    payer_kind = models.CharField(max_length=20)
    occupation = models.ForeignKey("registry.Occupation", null=True, on_delete=models.PROTECT, related_name="+")
    sex = models.CharField(max_length=1)
    members = models.PositiveIntegerField(default=0)
    protected = models.PositiveIntegerField(default=0)
    at_risk = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ringkasan cakupan")
        indexes = [models.Index(fields=["period", "kelurahan"], name="covsnap_period_kel")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.kelurahan_id} {self.payer_kind}: {self.protected}/{self.members}"



class HouseholdSnapshot(models.Model):
    """Extremely poor households (welfare decile up to ``JARING_EXTREME_POVERTY_DECILE``, default 1)
    of one kelurahan and how many have at least one member protected in the month (Inpres 4/2022)."""

    period = models.DateField(_("bulan"))
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    decile1_households = models.PositiveIntegerField(default=0)
    decile1_protected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ringkasan keluarga desil 1")
        constraints = [models.UniqueConstraint(fields=["period", "kelurahan"], name="one_household_snapshot")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.kelurahan_id}: {self.decile1_protected}/{self.decile1_households}"


class FacilitatorSnapshot(models.Model):
    """What one facilitator did in a month: persons registered and memberships enrolled by them."""

    period = models.DateField(_("bulan"))
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    registrations = models.PositiveIntegerField(default=0)
    enrolments = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ringkasan pendamping")
        constraints = [models.UniqueConstraint(fields=["period", "facilitator"], name="one_facilitator_snapshot")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.facilitator_id}: {self.registrations}/{self.enrolments}"


class CoverageTarget(models.Model):
    """How many workers the region means to protect in a year, and the document that says so."""

    year = models.PositiveSmallIntegerField(_("tahun"), unique=True)
    workers = models.PositiveIntegerField(_("target pekerja terlindungi"))
    source = models.CharField(_("sumber (dokumen)"), max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("target cakupan")
        verbose_name_plural = _("target cakupan")
        constraints = [models.CheckConstraint(condition=Q(workers__gt=0), name="target_positive")]

    def __str__(self) -> str:
        return f"{self.year}: {self.workers}"
