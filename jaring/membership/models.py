from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FundingSource(models.TextChoices):
    """Whose money pays the contribution. The PP 50/2025 discount exclusion follows the funding
    source, not the payer's name (DOMAIN §2.1): dana kelurahan is city APBD (UU 23/2014 art. 230,
    PP 17/2018), Otsus money is managed through APBD (PP 107/2021), dana desa is APBDes."""

    SELF = "self", _("Uang pekerja sendiri")
    APBN = "apbn", _("APBN")
    APBD_CITY = "apbd_city", _("APBD kota/kabupaten")
    APBD_PROVINCE = "apbd_province", _("APBD provinsi")
    DANA_KELURAHAN = "dana_kelurahan", _("Dana kelurahan (APBD kota/kabupaten)")
    OTSUS = "otsus", _("Dana otonomi khusus (melalui APBD)")
    DANA_DESA = "dana_desa", _("Dana desa (APBDes)")
    NON_STATE = "non_state", _("Bukan dana negara (CSR, bank, zakat, gereja…)")


# The funding class the rules engine knows for each funding source (jaring.rules FUNDING_CLASSES);
# billing prices a payer's dues by it. Which classes a discount excludes is parameter data, not code.
FUNDING_RULES_CLASS: dict[str, str] = {
    FundingSource.SELF: "self",
    FundingSource.APBN: "apbn",
    FundingSource.APBD_CITY: "apbd",
    FundingSource.APBD_PROVINCE: "apbd",
    FundingSource.DANA_KELURAHAN: "apbd",
    FundingSource.OTSUS: "apbd",
    FundingSource.DANA_DESA: "apbdes",
    FundingSource.NON_STATE: "non_state",
}
# The funding source a payer of each kind has unless told otherwise (and what migration 0003 set).
FUNDING_FROM_KIND: dict[str, str] = {
    "self": FundingSource.SELF,
    "government_city": FundingSource.APBD_CITY,
    "government_province": FundingSource.APBD_PROVINCE,
    "village": FundingSource.DANA_KELURAHAN,
    "csr": FundingSource.NON_STATE,
    "bank": FundingSource.NON_STATE,
    "other": FundingSource.NON_STATE,
}


class Payer(models.Model):
    """Who pays (the *wadah*): the worker themself, the city, the province, a village fund…
    ``kind`` is who the payer is; ``funding_source`` is whose money it spends, which decides the
    regulation's treatment (discounts)."""

    class Kind(models.TextChoices):
        SELF = "self", _("Mandiri (bayar sendiri)")
        GOVERNMENT_CITY = "government_city", _("Pemerintah kota/kabupaten (APBD)")
        GOVERNMENT_PROVINCE = "government_province", _("Pemerintah provinsi (APBD)")
        VILLAGE = "village", _("Dana desa/kelurahan")
        CSR = "csr", _("CSR perusahaan")
        BANK = "bank", _("Bank")
        OTHER = "other", _("Lainnya (zakat, gereja, otsus…)")

    class Wadah(models.TextChoices):
        SG = "SG", _("SG — pemerintah")
        SA = "SA", _("SA — dana desa")
        SD = "SD", _("SD — dana desa")
        SC = "SC", _("SC — CSR")
        SB = "SB", _("SB — bank")
        SL = "SL", _("SL — lainnya")

    code = models.CharField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=150)
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    funding_source = models.CharField(_("sumber dana"), max_length=16, choices=FundingSource.choices)
    wadah_code = models.CharField(_("kode wadah BPJSTK"), max_length=2, choices=Wadah.choices, blank=True)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pembayar (wadah)")
        verbose_name_plural = _("pembayar (wadah)")

    def __str__(self) -> str:
        return self.name

    @property
    def rules_payer(self) -> str:
        """The funding class the regulation engine knows (``FUNDING_RULES_CLASS``): it follows the
        funding source, not the payer's name — discounts never apply to APBN/APBD money."""
        return FUNDING_RULES_CLASS[self.funding_source]

    @property
    def is_self(self) -> bool:
        return self.kind == self.Kind.SELF


class BudgetLine(models.Model):
    """Money a payer has for a fiscal year, with the document it comes from."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="budget_lines")
    fiscal_year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    source_document = models.CharField(_("dokumen sumber"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["payer", "fiscal_year", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gte=0), name="budget_not_negative")]

    def __str__(self) -> str:
        return f"{self.payer} {self.fiscal_year}"


class Membership(models.Model):
    """One period of BPJSTK membership of a person, paid by one payer.

    Re-enrolment after an end is a new membership of the same person; at most one membership
    per person is open (draft, submitted or active) at a time — a database constraint. The KPJ is
    the person's, not the membership's (``kpj`` below reads it).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draf")
        SUBMITTED = "submitted", _("Diajukan ke BPJSTK")
        ACTIVE = "active", _("Aktif")
        ENDED = "ended", _("Berakhir")

    class EndReason(models.TextChoices):
        ARREARS = "arrears", _("Menunggak lebih dari 3 bulan")
        DEATH = "death", _("Meninggal dunia")
        TOTAL_DISABILITY = "total_disability", _("Cacat total tetap")
        AGE = "age", _("Batas umur")
        BECAME_EMPLOYEE = "became_employee", _("Menjadi pekerja penerima upah")
        MOVED = "moved", _("Pindah domisili")
        WITHDRAWN = "withdrawn", _("Mengundurkan diri")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.ACTIVE)
    # A claim for these ends the membership; contributions paid for months after the month of the
    # claim are refunded with it (Perdir 22/PERDIR.02/072022).
    REFUNDING_END_REASONS = (EndReason.DEATH, EndReason.TOTAL_DISABILITY)

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="memberships")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="memberships")
    has_jht = models.BooleanField(_("ikut JHT"), default=False)
    declared_income_idr = models.BigIntegerField(_("nominal penghasilan (Rp)"))
    sector = models.CharField(_("sektor"), max_length=10, default="other")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField(_("mulai perlindungan"))
    ended_on = models.DateField(_("berakhir"), null=True, blank=True)
    end_reason = models.CharField(_("alasan berakhir"), max_length=16, choices=EndReason.choices,
                                  blank=True)
    # BPJSTK refused the registration (its rejection file): the membership went back to draft with
    # BPJSTK's reason, for the office to correct and send again.
    # db_default: the set-based draft INSERT (and bulk loaders) need not name it.
    rejection_reason = models.CharField(_("alasan ditolak BPJSTK"), max_length=500, blank=True, default="",
                                        db_default="")
    rejected_at = models.DateTimeField(_("ditolak BPJSTK pada"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("kepesertaan")
        verbose_name_plural = _("kepesertaan")
        indexes = [models.Index(fields=["status", "payer"], name="membership_status_payer")]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status__in=["draft", "submitted", "active"]),
                                    name="one_open_membership_per_person"),
            models.CheckConstraint(condition=Q(declared_income_idr__gt=0), name="membership_income_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.payer} ({self.status})"

    @property
    def kpj(self) -> str | None:
        """The person's KPJ: it belongs to the person across all their memberships (DOMAIN §2.1,
        ``registry.Person.kpj``). Read-only; written by ``registry.services.person_assign_kpj``."""
        return self.person.kpj

    @property
    def programmes(self) -> list[str]:
        return ["jkk", "jkm", "jht"] if self.has_jht else ["jkk", "jkm"]
