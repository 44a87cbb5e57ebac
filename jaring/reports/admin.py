from django.contrib import admin

from jaring.core.admin import ReadOnlyAdmin
from jaring.reports.models import SnapshotMonth

# Targets are set on the dashboard through ``coverage_target_set`` (audited); the admin only shows
# which snapshot months exist and how fresh they are.


@admin.register(SnapshotMonth)
class SnapshotMonthAdmin(ReadOnlyAdmin):
    list_display = ("period", "as_of", "refreshed_at", "seconds", "refreshed_by")
    readonly_fields = ("period", "as_of", "refreshed_at", "seconds", "refreshed_by")
