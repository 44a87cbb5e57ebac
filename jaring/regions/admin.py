from django.contrib import admin

from jaring.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "legacy_code", "level", "name")
    list_filter = ("level",)
    search_fields = ("code", "legacy_code", "name")
