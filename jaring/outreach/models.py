from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.core.crypto import cipher

RAW_KIND = "field_submission"


class FieldSubmission(models.Model):
    """One version of one filled-in field form (ODK Collect / KoboToolbox), kept as received.

    A submission is staged first (its raw answers, encrypted: they hold NIKs and the KK) and then
    applied to the registry. ``instance_id`` (``meta/instanceID``) makes importing it twice a
    no-op; an edit carries the earlier version's id in ``deprecated_id`` (or, from ODK Central,
    the same ``root_id``) and updates what the earlier version produced.
    """

    class Source(models.TextChoices):
        KOBO = "kobo", "KoboToolbox"
        ODK = "odk", "ODK Central"

    class Status(models.TextChoices):
        STAGED = "staged", _("Menunggu diproses")
        APPLIED = "applied", _("Diterapkan")
        REJECTED = "rejected", _("Ditolak")
        SUPERSEDED = "superseded", _("Digantikan suntingan")

    instance_id = models.CharField(max_length=100, unique=True)
    root_id = models.CharField(max_length=100, blank=True, db_index=True)
    deprecated_id = models.CharField(max_length=100, blank=True, db_index=True)
    source = models.CharField(_("sumber"), max_length=8, choices=Source.choices)
    form_id = models.CharField(max_length=100, blank=True)
    form_version = models.CharField(max_length=100, blank=True)
    # Who sent it, as the collection server names them (an ODK app user, a Kobo account).
    submitted_by = models.CharField(_("dikirim oleh"), max_length=150, blank=True)
    submitted_at = models.DateTimeField(_("waktu kirim"), null=True, blank=True)
    received_at = models.DateTimeField(_("waktu diterima"), default=timezone.now)
    # The whole submission with its members as JSON, AES-GCM encrypted like NIKs (core.crypto).
    raw_encrypted = models.BinaryField()
    kelurahan = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("kelurahan"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STAGED)
    error = models.TextField(_("alasan ditolak"), blank=True)
    # Per member: position, outcome (imported/updated/duplicate/rejected), person id, masked NIK,
    # reason and warnings. Never a NIK in clear.
    member_results = models.JSONField(default=list, blank=True)
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("keluarga"))
    persons = models.ManyToManyField("registry.Person", blank=True, related_name="+")
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("kiriman formulir lapangan")
        verbose_name_plural = _("kiriman formulir lapangan")
        indexes = [models.Index(fields=["status", "kelurahan"], name="fieldsubmission_status_kel")]

    def __str__(self) -> str:
        return self.instance_id

    @property
    def raw(self) -> dict[str, Any]:
        return json.loads(cipher().decrypt(self.raw_encrypted, kind=RAW_KIND)) if self.raw_encrypted else {}

    @staticmethod
    def encrypt_raw(raw: dict[str, Any]) -> bytes:
        return cipher().encrypt(json.dumps(raw, ensure_ascii=False, default=str), kind=RAW_KIND)
