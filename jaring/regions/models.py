from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A Kemendagri region: province, city/regency, district (distrik) or kelurahan/desa.

    Current codes are hierarchical (``96.71.01.1004``), so "everything under an area" is
    ``code == area or code startswith area + '.'``. ``legacy_code`` keeps the code the region
    had before a renumbering (Kota Sorong was 92.71 before Papua Barat Daya was created).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Provinsi")
        CITY = "city", _("Kabupaten/Kota")
        DISTRICT = "district", _("Distrik/Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan/Desa")

    code = models.CharField(max_length=20, unique=True)
    legacy_code = models.CharField(max_length=20, blank=True, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    name = models.CharField(max_length=120)
    name_key = models.CharField(max_length=120, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.code.count(".")

    def contains(self, other: Region) -> bool:
        return other.code == self.code or other.code.startswith(self.code + ".")
