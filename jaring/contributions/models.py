from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Due(models.Model):
    """The contribution of one membership for one month (its *period*, the 1st of the month).

    ``person`` and ``payer`` are copied from the membership so that the database itself refuses
    a second payer for a month a person is already billed for (``one_payer_per_person_month``).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Belum dibayar")
        PAID = "paid", _("Lunas")
        VOID = "void", _("Dibatalkan")

    membership = models.ForeignKey("membership.Membership", on_delete=models.PROTECT, related_name="dues")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("membership.Payer", on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("bulan"))
    amount_idr = models.BigIntegerField(_("iuran (Rp)"))
    base_amount_idr = models.BigIntegerField(_("iuran sebelum diskon (Rp)"))
    discount_code = models.CharField(_("diskon"), max_length=40, blank=True)
    due_date = models.DateField(_("jatuh tempo"))
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    paid_on = models.DateField(_("tanggal bayar"), null=True, blank=True)
    invoice = models.ForeignKey("contributions.Invoice", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="dues")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "id"]
        verbose_name = _("iuran bulanan")
        verbose_name_plural = _("iuran bulanan")
        indexes = [
            models.Index(fields=["period", "payer", "status"], name="due_period_payer"),
            models.Index(fields=["status", "due_date"], name="due_status_due_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["membership", "period"], name="one_due_per_membership_month"),
            models.UniqueConstraint(fields=["person", "period"], condition=~Q(status="void"),
                                    name="one_payer_per_person_month"),
            models.CheckConstraint(condition=Q(amount_idr__gte=0), name="due_amount_not_negative"),
            models.CheckConstraint(condition=Q(status="paid", paid_on__isnull=False) | ~Q(status="paid"),
                                   name="paid_due_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.period:%Y-%m} {self.amount_idr}"

    @property
    def paid_late(self) -> bool:
        return self.status == self.Status.PAID and self.paid_on is not None and self.paid_on > self.due_date


class Payment(models.Model):
    """Money a self-paying worker paid. Never edited; allocations say which months it paid."""

    class Channel(models.TextChoices):
        BANK = "bank", _("Bank/transfer")
        RETAIL = "retail", _("Gerai ritel (Indomaret, Alfamart, kantor pos)")
        APP = "app", _("Aplikasi JMO/dompet digital")
        BPJSTK_OFFICE = "bpjstk_office", _("Kantor BPJSTK")
        FACILITATOR = "facilitator", _("Melalui pendamping")
        OTHER = "other", _("Lainnya")

    membership = models.ForeignKey("membership.Membership", on_delete=models.PROTECT, related_name="payments")
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    paid_on = models.DateField(_("tanggal bayar"))
    channel = models.CharField(_("saluran"), max_length=14, choices=Channel.choices, default=Channel.OTHER)
    reference = models.CharField(_("referensi"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount_idr} on {self.paid_on}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    due = models.ForeignKey(Due, on_delete=models.PROTECT, related_name="allocations")
    amount_idr = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.due_id}: {self.amount_idr}"


class CreditEntry(models.Model):
    """An append-only credit ledger per membership: the rest of a payment (+), used later (−), a
    repricing (+), or money owed back after a death or total-disability claim (``refund``, +): months
    after the month of the claim are not owed (Perdir 22/PERDIR.02/072022)."""

    class Reason(models.TextChoices):
        PAYMENT = "payment", _("Sisa pembayaran")
        APPLIED = "applied", _("Dipakai untuk iuran")
        REPRICING = "repricing", _("Selisih harga (diskon berlaku)")
        REFUND = "refund", _("Dikembalikan bersama klaim")
        REFUNDED = "refunded", _("Sudah dikembalikan")

    membership = models.ForeignKey("membership.Membership", on_delete=models.PROTECT, related_name="credits")
    amount_idr = models.BigIntegerField()
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due = models.ForeignKey(Due, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("alasan"), max_length=10, choices=Reason.choices, default=Reason.PAYMENT)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.amount_idr:+} ({self.reason})"


class Invoice(models.Model):
    """A government (or other collective) payer's bill for a month or a block of months (a quarter,
    a semester, a year: ``period`` to ``period_to``), listing each member's due for each month.
    Paid whole or in part (``InvoicePayment``); ``paid_on`` and ``reference`` are the last payment's."""

    class Status(models.TextChoices):
        OPEN = "open", _("Belum dibayar")
        PARTIAL = "partial", _("Dibayar sebagian")
        PAID = "paid", _("Lunas")

    payer = models.ForeignKey("membership.Payer", on_delete=models.PROTECT, related_name="invoices")
    period = models.DateField(_("bulan"))
    period_to = models.DateField(_("sampai bulan"))
    member_count = models.PositiveIntegerField(_("jumlah peserta"))
    total_idr = models.BigIntegerField(_("total (Rp)"))
    paid_idr = models.BigIntegerField(_("sudah dibayar (Rp)"), default=0)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(auto_now_add=True)
    paid_on = models.DateField(_("tanggal bayar"), null=True, blank=True)
    reference = models.CharField(_("referensi (SP2D)"), max_length=100, blank=True)

    class Meta:
        ordering = ["-period", "payer"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "period"], name="one_invoice_per_payer_month"),
            models.CheckConstraint(condition=Q(period_to__gte=models.F("period")), name="invoice_block_ordered"),
        ]

    def __str__(self) -> str:
        if self.period_to and self.period_to != self.period:
            return f"{self.payer} {self.period:%Y-%m}..{self.period_to:%Y-%m}"
        return f"{self.payer} {self.period:%Y-%m}"

    @property
    def months(self) -> int:
        return (self.period_to.year - self.period.year) * 12 + self.period_to.month - self.period.month + 1

    @property
    def outstanding_idr(self) -> int:
        return max(self.total_idr - self.paid_idr, 0)


class InvoicePayment(models.Model):
    """One transfer (SP2D) against an invoice: it pays whole dues, oldest month first; what is left
    over, less than one due, is kept here as ``unapplied_idr`` for the office to settle."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    paid_on = models.DateField(_("tanggal bayar"))
    reference = models.CharField(_("referensi (SP2D)"), max_length=100)
    dues_paid = models.PositiveIntegerField(default=0)
    applied_idr = models.BigIntegerField(default=0)
    unapplied_idr = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="invoice_payment_positive"),
            models.UniqueConstraint(fields=["invoice", "reference"], name="one_invoice_payment_per_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount_idr} {self.reference}"


class BillingRun(models.Model):
    period = models.DateField()
    created = models.PositiveIntegerField(default=0)
    already_billed = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    total_idr = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"billing {self.period:%Y-%m}: {self.created}"


class StatementImport(models.Model):
    """One BPJSTK file mirrored into Jaring (decision 0035): a payment statement, a status file or a
    rejection file. BPJSTK's ledger is the truth for self-payers' payments, active status and
    rejected registrations (DOMAIN §2.1): rows that match exactly are applied, the rest go to the
    review list (``StatementReviewRow``). One record per file content (``sha256``): importing the
    same file again finds it and changes nothing."""

    class Kind(models.TextChoices):
        PAYMENTS = "payments", _("Laporan pembayaran iuran")
        STATUS = "status", _("Status kepesertaan")
        REJECTIONS = "rejections", _("Pendaftaran ditolak")

    kind = models.CharField(_("jenis berkas"), max_length=12, choices=Kind.choices)
    file_name = models.CharField(_("nama berkas"), max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("baris"), default=0)
    applied = models.PositiveIntegerField(_("diterapkan"), default=0)
    unchanged = models.PositiveIntegerField(_("tidak berubah"), default=0)
    review = models.PositiveIntegerField(_("perlu diperiksa"), default=0)
    invalid = models.PositiveIntegerField(_("tidak sah"), default=0)
    summary = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("impor berkas BPJSTK")
        verbose_name_plural = _("impor berkas BPJSTK")
        constraints = [models.UniqueConstraint(fields=["kind", "sha256"], name="one_statement_import_per_file")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.rows})"


class StatementReviewRow(models.Model):
    """A row of a BPJSTK file that did not match exactly and was not applied: the office follows it
    up with the branch. Identified by ``key`` (a hash of what the row says, never a whole NIK):
    the same row in a later file is the same review row, once per reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("Perlu diperiksa")
        RESOLVED = "resolved", _("Selesai")

    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="review_rows")
    kind = models.CharField(_("jenis berkas"), max_length=12, choices=StatementImport.Kind.choices)
    row_number = models.PositiveIntegerField(_("baris"))
    key = models.CharField(max_length=64)
    kpj = models.CharField(_("KPJ"), max_length=20, blank=True)
    nik_masked = models.CharField(_("NIK (disamarkan)"), max_length=20, blank=True)
    period = models.DateField(_("bulan"), null=True, blank=True)
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"), null=True, blank=True)
    paid_on = models.DateField(_("tanggal"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(_("kode alasan"), max_length=24)
    reason_text = models.CharField(_("alasan"), max_length=500)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("membership.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution = models.CharField(_("penyelesaian"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("baris BPJSTK untuk diperiksa")
        verbose_name_plural = _("baris BPJSTK untuk diperiksa")
        indexes = [models.Index(fields=["status", "kind"], name="review_row_status_kind")]
        constraints = [models.UniqueConstraint(fields=["kind", "key", "reason_code"],
                                               name="one_review_row_per_reason")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.row_number} {self.reason_code} ({self.status})"
