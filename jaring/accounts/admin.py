from django.contrib import admin

from jaring.accounts.models import AreaAssignment, User
from jaring.core.admin import ReadOnlyAdmin, ReadOnlyInline


class AreaInline(ReadOnlyInline):
    model = AreaAssignment


# Users, roles and areas change through `jaring user …` and the services behind it (audited).
@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "name", "role", "is_active", "locked_until")
    list_filter = ("role", "is_active")
    search_fields = ("username", "name")
    exclude = ("password",)
    inlines = [AreaInline]
