from django.contrib import admin

from jaring.core.admin import ReadOnlyAdmin
from jaring.regions.models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "legacy_code", "level", "name")
    list_filter = ("level",)
    search_fields = ("code", "legacy_code", "name")
