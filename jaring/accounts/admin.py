from django.contrib import admin

from jaring.accounts.models import AreaAssignment, User


class AreaInline(admin.TabularInline):
    model = AreaAssignment
    extra = 0


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "name", "role", "is_active", "locked_until")
    list_filter = ("role", "is_active")
    search_fields = ("username", "name")
    exclude = ("password",)
    inlines = [AreaInline]
