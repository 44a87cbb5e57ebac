from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaring.core.crypto import cipher
from jaring.registry.identity import mask_identifier


class DataSource(models.TextChoices):
    P3KE = "P3KE", "P3KE"
    DTKS = "DTKS", "DTKS"
    DTSEN = "DTSEN", "DTSEN"
    FIELD_SURVEY = "field_survey", _("Pendataan lapangan")
    WEB_FORM = "web_form", _("Formulir web")
    API = "api", _("API")
    CLI = "cli", _("Baris perintah")
    IMPORT = "import", _("Impor berkas")
    DEMO = "demo", _("Data contoh")


class Occupation(models.Model):
    """A coded catalogue of the occupations of vulnerable workers (DOMAIN §1)."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    transport_sector = models.BooleanField(default=False)
    high_risk = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("pekerjaan")
        verbose_name_plural = _("pekerjaan")

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A family as on its family card (Kartu Keluarga). The KK number is stored encrypted."""

    kk_encrypted = models.BinaryField(null=True, blank=True)
    kk_index = models.CharField(max_length=64, null=True, blank=True, unique=True)
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    welfare_decile = models.PositiveSmallIntegerField(_("desil kesejahteraan"), null=True, blank=True)
    decile_source = models.CharField(_("sumber desil"), max_length=20, choices=DataSource.choices,
                                     blank=True)
    decile_date = models.DateField(_("tanggal data desil"), null=True, blank=True)
    pkh_beneficiary = models.BooleanField(_("penerima PKH"), default=False)
    data_source = models.CharField(_("sumber data"), max_length=20, choices=DataSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("keluarga")
        verbose_name_plural = _("keluarga")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(welfare_decile__isnull=True) | models.Q(welfare_decile__gte=1,
                                                                         welfare_decile__lte=10),
                name="household_decile_1_10"),
        ]

    def __str__(self) -> str:
        return f"KK {self.kk_masked}"

    @property
    def kk_number(self) -> str:
        return cipher().decrypt(self.kk_encrypted, kind="kk") if self.kk_encrypted else ""

    @property
    def kk_masked(self) -> str:
        return mask_identifier(self.kk_number) if self.kk_encrypted else "—"


class Person(models.Model):
    """A person in the registry. The NIK is never stored in clear (see core.crypto)."""

    class Sex(models.TextChoices):
        MALE = "M", _("Laki-laki")
        FEMALE = "F", _("Perempuan")

    class Relationship(models.TextChoices):
        HEAD = "head", _("Kepala keluarga")
        SPOUSE = "spouse", _("Istri/suami")
        CHILD = "child", _("Anak")
        PARENT = "parent", _("Orang tua")
        IN_LAW = "in_law", _("Menantu/mertua")
        GRANDCHILD = "grandchild", _("Cucu")
        OTHER_FAMILY = "other_family", _("Famili lain")
        OTHER = "other", _("Lainnya")

    class Disability(models.TextChoices):
        NONE = "none", _("Tidak ada")
        PHYSICAL = "physical", _("Fisik")
        SENSORY = "sensory", _("Sensorik")
        INTELLECTUAL = "intellectual", _("Intelektual")
        MENTAL = "mental", _("Mental")
        MULTIPLE = "multiple", _("Ganda")

    class ConsentBasis(models.TextChoices):
        # UU 27/2022 art. 20: the lawful bases for processing personal data.
        CONSENT = "consent", _("Persetujuan tertulis")
        LEGAL_OBLIGATION = "legal_obligation", _("Kewajiban hukum")
        PUBLIC_TASK = "public_task", _("Tugas pelayanan publik")

    class ReminderChannel(models.TextChoices):
        # How payment reminders reach the person (jaring.reminders, decision 0038).
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        NONE = "none", _("Tidak dikirimi pengingat")

    class NikVerification(models.TextChoices):
        # What Dukcapil said about the NIK (registry.verification, decision 0041).
        UNVERIFIED = "unverified", _("Belum diverifikasi Dukcapil")
        VERIFIED = "verified", _("Terverifikasi Dukcapil")
        NOT_FOUND = "not_found", _("Tidak dikenal Dukcapil")
        MISMATCH = "mismatch", _("Tidak sesuai data Dukcapil")

    nik_encrypted = models.BinaryField()
    nik_index = models.CharField(max_length=64, unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    # Lower-case name without titles (Bapak, Ibu, Ny., H.) for prefix search; see registry.names.
    name_key = models.CharField(max_length=150, db_index=True)
    # The same key with the last word first ("kambu yohanes"), so a family name finds people too.
    name_key_last = models.CharField(max_length=150, db_index=True)
    birth_place = models.CharField(_("tempat lahir"), max_length=80, blank=True)
    birth_date = models.DateField(_("tanggal lahir"), db_index=True)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="members", verbose_name=_("keluarga"))
    relationship = models.CharField(_("hubungan dalam keluarga"), max_length=14,
                                    choices=Relationship.choices, blank=True)
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    phone = models.CharField(_("nomor HP"), max_length=20, blank=True)
    occupation = models.ForeignKey(Occupation, null=True, blank=True, on_delete=models.PROTECT,
                                   verbose_name=_("pekerjaan"))
    transport_sector = models.BooleanField(_("sektor transportasi"), default=False)
    declared_income_idr = models.BigIntegerField(_("penghasilan yang dilaporkan (Rp)"), null=True,
                                                 blank=True)
    disability = models.CharField(_("disabilitas"), max_length=12, choices=Disability.choices,
                                  default=Disability.NONE)
    consent_basis = models.CharField(_("dasar pemrosesan data"), max_length=20,
                                     choices=ConsentBasis.choices, blank=True)
    consent_date = models.DateField(_("tanggal persetujuan"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    data_source = models.CharField(_("sumber data"), max_length=20, choices=DataSource.choices)
    death_date = models.DateField(_("tanggal meninggal"), null=True, blank=True)
    # Payment reminders (decision 0038), written only by registry.services.person_set_reminders.
    # SMS by default; WhatsApp only after the person agreed to it (``reminder_consent_at``); an
    # opted-out person (``reminder_opt_out_at``) never receives one. db_default: bulk loaders need not
    # name the column.
    reminder_channel = models.CharField(_("saluran pengingat"), max_length=10, choices=ReminderChannel.choices,
                                        default=ReminderChannel.SMS, db_default=ReminderChannel.SMS)
    reminder_consent_at = models.DateTimeField(_("setuju menerima pengingat pada"), null=True, blank=True)
    reminder_opt_out_at = models.DateTimeField(_("menolak pengingat pada"), null=True, blank=True)
    # The BPJSTK membership number (11 digits, registry.identity.KPJ_RULES): the person's for life,
    # across all their membership periods and payers (DOMAIN §2.1); one person per KPJ. Written
    # only by registry.services.person_assign_kpj (and kept by person_merge). 20 characters: a KPJ
    # recorded before the format rule (migration 0006) is kept as it was until the office fixes it.
    kpj = models.CharField(_("nomor KPJ"), max_length=20, null=True, blank=True, unique=True)
    # Dukcapil's last answer about this NIK (decision 0041), written only by
    # registry.services.person_verify_nik/persons_verify_nik; a changed NIK is unverified again.
    # ``nik_verified_at``: when that answer came (None while unverified).
    nik_verification = models.CharField(_("verifikasi NIK"), max_length=12, choices=NikVerification.choices,
                                        default=NikVerification.UNVERIFIED, db_default=NikVerification.UNVERIFIED)
    nik_verified_at = models.DateTimeField(_("diverifikasi pada"), null=True, blank=True)
    # Set when this record was found to be a duplicate and merged into another; hidden from lists.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Findings a person confirmed (e.g. birth date not matching the NIK), kept for review.
    confirmed_warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("orang")
        verbose_name_plural = _("orang")
        indexes = [
            # A facilitator's list and search walk their kelurahan in name order.
            models.Index(fields=["kelurahan", "name_key"], name="person_kelurahan_name"),
            models.Index(fields=["kelurahan", "name_key_last"], name="person_kelurahan_last"),
            # Counting family-name matches that are not first-name matches, from the index alone.
            models.Index(fields=["name_key_last", "name_key"], name="person_last_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(declared_income_idr__isnull=True)
                | models.Q(declared_income_idr__gte=0),
                name="person_income_not_negative"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("registry:person_detail", args=[self.pk])

    @property
    def nik(self) -> str:
        """The NIK in clear. Only for code that has already audited the reveal."""
        return cipher().decrypt(self.nik_encrypted, kind="nik")

    @property
    def nik_masked(self) -> str:
        return mask_identifier(self.nik)


class DuplicateCandidate(models.Model):
    """Two records that may be one person, waiting for an operator's decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("Perlu diperiksa")
        MERGED = "merged", _("Digabung")
        DISMISSED = "dismissed", _("Bukan duplikat")

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_candidate_per_pair"),
            models.CheckConstraint(condition=models.Q(person_a__lt=models.F("person_b")),
                                   name="candidate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.score})"


class HouseholdDecile(models.Model):
    """One welfare decile a poverty-registry extract gave a household (DOMAIN §3): its source and the
    extract's date, so a stale P3KE or DTKS decile never weighs like a fresh DTSEN one. The
    household's ``welfare_decile`` is the one of the newest extract (``household_deciles_record``)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="deciles")
    decile = models.PositiveSmallIntegerField(_("desil kesejahteraan"))
    source = models.CharField(_("sumber desil"), max_length=20, choices=DataSource.choices)
    extract_date = models.DateField(_("tanggal data ekstrak"))
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household", "-extract_date", "-id"]
        verbose_name = _("riwayat desil")
        verbose_name_plural = _("riwayat desil")
        constraints = [
            models.CheckConstraint(condition=models.Q(decile__gte=1, decile__lte=10), name="household_decile_row_1_10"),
            # An extract is recorded once per household: re-importing it adds nothing.
            models.UniqueConstraint(fields=["household", "source", "extract_date"], name="one_decile_per_extract"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.decile} ({self.source} {self.extract_date})"


class PersonMerge(models.Model):
    """One merge of two records (``person_merge``) and exactly what it changed, so that
    ``person_merge_undo`` can put every row back within ``JARING_MERGE_UNDO_DAYS`` (decision 0042).

    ``before``: per table row the merge changed in place (the two persons, the candidate pair), the
    fields as they were. ``moves``: what each merge hook moved (model label, field, from, to, primary
    keys) or deleted (the rows), with a fingerprint of each row as the merge left it and the count of
    rows that pointed to it, so an undo over a later change is refused instead of overwriting it."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(DuplicateCandidate, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    comment = models.CharField(max_length=500, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    moves = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("penggabungan data orang")
        verbose_name_plural = _("penggabungan data orang")
        indexes = [models.Index(fields=["kept", "undone_at"], name="person_merge_kept")]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"


class PersonNameWord(models.Model):
    """One word of a person's name key: the token table of the name search (registry.name_words).

    Written with the person on every path that writes ``name_key`` (register, update, import and the
    bulk builders); a merged person keeps its words (the selectors hide merged persons)."""

    # The unique constraint indexes (person, word); migration 0011 adds the (word, person) indexes the
    # prefix ranges walk (on PostgreSQL over ``word COLLATE "C"``, as 0004 does for the name keys).
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    word = models.CharField(max_length=150)
    #: Neither the first nor the last word: a one-word query finds those by the name keys already,
    #: and looks here only among middle words (0011's partial index).
    middle = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "word"], name="person_name_word_unique")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.word}"


class NameWord(models.Model):
    """Every word any name key has had: the vocabulary the typo-tolerant search compares against."""

    word = models.CharField(max_length=150, unique=True)

    def __str__(self) -> str:
        return self.word


class HouseholdMembershipChange(models.Model):
    """One change of the household a person belongs to or of their relationship in it: joining one,
    moving from one to another (a marriage, a family split), leaving, or a corrected relationship.
    Written only by ``registry.services.household_move_person`` and ``household_register_member``,
    each with its audit event; never changed afterwards."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("orang"))
    from_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("dari keluarga"))
    to_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("ke keluarga"))
    relationship_before = models.CharField(_("hubungan sebelumnya"), max_length=14,
                                           choices=Person.Relationship.choices, blank=True)
    relationship_after = models.CharField(_("hubungan sesudahnya"), max_length=14,
                                          choices=Person.Relationship.choices, blank=True)
    reason = models.CharField(_("alasan"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("waktu"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("oleh"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("perubahan anggota keluarga")
        verbose_name_plural = _("perubahan anggota keluarga")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_household_id} → {self.to_household_id}"
