"""Claims: a person's work accident, death or scholarship follow-up, from the report to BPJSTK's
payment (issue 11). Every write is a service in ``claims.services``; the deadlines are computed at
read time by ``rules.claims.claim_deadlines`` (never stored, so a corrected holiday list applies)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Claim(models.Model):
    class Type(models.TextChoices):
        JKK = "jkk", _("JKK — kecelakaan kerja atau penyakit akibat kerja")
        JKM = "jkm", _("JKM — meninggal bukan karena kecelakaan kerja")
        SCHOLARSHIP = "scholarship", _("Beasiswa (lanjutan)")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Sembuh")
        PARTIAL_DISABILITY = "partial_disability", _("Cacat sebagian")
        TOTAL_DISABILITY = "total_disability", _("Cacat total tetap")
        DEATH = "death", _("Meninggal dunia")

    class ReportedBy(models.TextChoices):
        FACILITATOR = "facilitator", _("Pendamping")
        OPERATOR = "operator", _("Petugas Dinas Sosial")
        FAMILY = "family", _("Keluarga")
        LIAISON = "liaison", _("Petugas BPJSTK")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Dilaporkan")
        DOCUMENTS_COMPLETE = "documents_complete", _("Dokumen lengkap")
        SUBMITTED = "submitted", _("Diajukan ke BPJSTK")
        PAID = "paid", _("Dibayar")
        REJECTED = "rejected", _("Ditolak")
        LAPSED = "lapsed", _("Hak gugur")

    OPEN_STATUSES = (Status.REPORTED, Status.DOCUMENTS_COMPLETE, Status.SUBMITTED)
    NOT_SUBMITTED = (Status.REPORTED, Status.DOCUMENTS_COMPLETE)

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="claims")
    # A scholarship follow-up: the death or total-disability claim it comes from, the child, and the
    # school year it pays (1 for the first year after that claim was paid).
    origin = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    child = models.ForeignKey("ClaimChild", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="follow_ups")
    school_year = models.PositiveSmallIntegerField(_("tahun beasiswa ke"), null=True, blank=True)
    # The level code the follow-up pays (``scholarship.levels``, e.g. ``TK_SD``): a level's years count these.
    school_level = models.CharField(_("jenjang beasiswa"), max_length=20, blank=True, default="")
    # The membership that covered the event date (the latest started by then), if any.
    membership = models.ForeignKey("membership.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="claims")
    type = models.CharField(_("jenis klaim"), max_length=12, choices=Type.choices)
    outcome = models.CharField(_("akibat"), max_length=20, choices=Outcome.choices, blank=True, default="")
    # The day of recovery, disability or death (the stage-II report runs from it).
    outcome_date = models.DateField(_("tanggal akibat"), null=True, blank=True)
    event_date = models.DateField(_("tanggal kejadian"))
    # The days the stage-I and stage-II reports were made to BPJSTK (a made report is no longer due).
    stage1_reported_on = models.DateField(_("laporan tahap I dibuat"), null=True, blank=True)
    stage2_reported_on = models.DateField(_("laporan tahap II dibuat"), null=True, blank=True)
    event_place = models.CharField(_("tempat kejadian"), max_length=200, blank=True, default="")
    chronology = models.TextField(_("kronologi"), blank=True, default="")
    reported_by = models.CharField(_("dilaporkan oleh"), max_length=12, choices=ReportedBy.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    bpjstk_number = models.CharField(_("nomor klaim BPJSTK"), max_length=40, blank=True, default="")
    # Coverage at the event date, from contributions.selectors.protection (recorded even when not).
    protected_on_event_date = models.BooleanField(_("terlindungi pada tanggal kejadian"))
    coverage_reason = models.CharField(_("alasan perlindungan"), max_length=20)
    coverage_text = models.CharField(_("keterangan perlindungan"), max_length=300, blank=True, default="")
    estimate_idr = models.BigIntegerField(_("perkiraan manfaat (Rp)"), null=True, blank=True)
    complete_on = models.DateField(_("klaim lengkap pada"), null=True, blank=True)
    submitted_on = models.DateField(_("diajukan pada"), null=True, blank=True)
    settled_on = models.DateField(_("dibayar pada"), null=True, blank=True)
    paid_idr = models.BigIntegerField(_("dibayar (Rp)"), null=True, blank=True)
    rejection_reason = models.CharField(_("alasan ditolak"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = _("klaim")
        verbose_name_plural = _("klaim")
        indexes = [models.Index(fields=["status", "event_date"], name="claim_status_event")]
        constraints = [
            models.CheckConstraint(condition=Q(paid_idr__isnull=True) | Q(paid_idr__gte=0),
                                   name="claim_paid_not_negative"),
            # One follow-up per child and school year: a second is a mistake, never a second payment.
            models.UniqueConstraint(fields=["child", "school_year"], condition=Q(child__isnull=False),
                                    name="one_follow_up_per_child_year"),
            models.CheckConstraint(condition=Q(child__isnull=True) | Q(type="scholarship"),
                                   name="follow_up_is_scholarship"),
            models.CheckConstraint(condition=Q(estimate_idr__isnull=True) | Q(estimate_idr__gte=0),
                                   name="claim_estimate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.person} ({self.status})"


class ClaimHeir(models.Model):
    """An heir (*ahli waris*) of a death claim. The relationships are listed in the order in which
    the regulation calls heirs (PP 44/2015 as amended: the widow or widower, the children, the
    parents, the grandchildren, the grandparents, the siblings, the parents-in-law, one named by
    will); ``priority`` is that rank, lower first. The NIK is stored like the registry's: encrypted,
    with a blind index (``core.crypto``), never in clear."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("Janda/duda")
        CHILD = "child", _("Anak")
        PARENT = "parent", _("Orang tua")
        GRANDCHILD = "grandchild", _("Cucu")
        GRANDPARENT = "grandparent", _("Kakek/nenek")
        SIBLING = "sibling", _("Saudara kandung")
        PARENT_IN_LAW = "parent_in_law", _("Mertua")
        DESIGNATED = "designated", _("Pihak yang ditunjuk dalam wasiat")

    PRIORITY = {value: rank for rank, value in enumerate(Relationship.values, start=1)}

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="heirs")
    name = models.CharField(_("nama"), max_length=150)
    relationship = models.CharField(_("hubungan"), max_length=14, choices=Relationship.choices)
    priority = models.PositiveSmallIntegerField(_("urutan"))
    nik_encrypted = models.BinaryField(null=True, blank=True)
    nik_index = models.CharField(max_length=64, blank=True, default="")
    phone = models.CharField(_("nomor HP"), max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "priority", "id"]
        verbose_name = _("ahli waris")
        verbose_name_plural = _("ahli waris")

    def __str__(self) -> str:
        return self.name


class ClaimChild(models.Model):
    """A child named on a death or total-disability claim for the scholarship (DOMAIN §2.2: at most
    ``scholarship.max_children``, the ones the family chose; paid yearly while in school until the
    end age, marriage or work, within each level's years and the per-child ceiling). ``ended_on``
    and ``end_reason`` stop the yearly follow-ups."""

    class EndReason(models.TextChoices):
        AGE = "age", _("Mencapai batas usia")
        MARRIED = "married", _("Menikah")
        WORKING = "working", _("Bekerja")
        LEFT_SCHOOL = "left_school", _("Tidak bersekolah lagi")
        LIMIT = "limit", _("Batas tahun atau jumlah tercapai")
        DIED = "died", _("Meninggal dunia")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(_("nama anak"), max_length=150)
    birth_date = models.DateField(_("tanggal lahir"))
    # The school level as ``rules`` names it (TK, SD, SMP, SMA, PT; "" or belum_sekolah/PAUD: not yet).
    level = models.CharField(_("jenjang sekolah"), max_length=20, blank=True, default="")
    chosen = models.BooleanField(_("dipilih keluarga"), default=False)
    ended_on = models.DateField(_("berhenti pada"), null=True, blank=True)
    end_reason = models.CharField(_("alasan berhenti"), max_length=12, choices=EndReason.choices, blank=True,
                                  default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "birth_date", "id"]
        verbose_name = _("anak penerima beasiswa")
        verbose_name_plural = _("anak penerima beasiswa")

    def __str__(self) -> str:
        return self.name


class ClaimDocument(models.Model):
    """One item of the claim type's checklist (``rules.claims.document_checklist``), created when the
    claim opens; ``required`` is copied then, so a later change of the list leaves open claims alone."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    code = models.CharField(_("kode dokumen"), max_length=40)
    required = models.BooleanField(_("wajib"), default=True)
    received_on = models.DateField(_("diterima pada"), null=True, blank=True)
    note = models.CharField(_("catatan"), max_length=300, blank=True, default="")

    class Meta:
        ordering = ["claim", "id"]
        constraints = [models.UniqueConstraint(fields=["claim", "code"], name="one_document_per_code")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.code}"


class ClaimScan(models.Model):
    """A scan or photo of one checklist document, optional. The bytes are encrypted at rest with the
    identifiers' key (``core.crypto``, kind ``claim_scan``) and served only to users who may read
    the claim, each view audited; the SHA-256 of the clear bytes finds a second upload of one file."""

    document = models.ForeignKey(ClaimDocument, on_delete=models.CASCADE, related_name="scans")
    filename = models.CharField(_("nama berkas"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("ukuran (bita)"))
    sha256 = models.CharField(max_length=64)
    data_encrypted = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "sha256"], name="one_scan_per_file")]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.filename}"


class ClaimPayment(models.Model):
    """What BPJSTK paid for one benefit item (``rules`` item codes, e.g. ``jkm_lump_sum``)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="payments")
    item_code = models.CharField(_("kode manfaat"), max_length=40)
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    paid_on = models.DateField(_("dibayar pada"))

    class Meta:
        ordering = ["claim", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gte=0), name="claim_payment_not_negative")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.item_code} {self.amount_idr}"
