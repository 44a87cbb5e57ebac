from django.contrib import admin

from jaring.core.admin import ReadOnlyAdmin
from jaring.registry.models import Occupation


@admin.register(Occupation)
class OccupationAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_en", "transport_sector", "high_risk")
# Persons and households are edited through the registry screens, whose services audit every
# change and never show a NIK in clear; the admin would bypass both.
