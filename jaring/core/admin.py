"""The Django admin is read-only: every write goes through a service that checks who may do it
and writes an audit event, and the admin would bypass both. Every registration uses
``ReadOnlyAdmin`` (inlines ``ReadOnlyInline``); tests/architecture/test_admin_read_only.py walks
``admin.site`` and fails on any model a superuser could add, change or delete there. Users,
roles and areas are managed with ``jaring user …`` (accounts.services), occupations and regions
with their loaders."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from jaring.core.models import AuditEvent, Job


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows a model; never adds, changes or deletes it (bulk actions included)."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Jaring has roles, not permission groups: django.contrib.auth's Group admin (registered before
# this module loads) would let a superuser create groups nothing uses.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_id")


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "progress_done", "progress_total", "created_at")


# The task queue's rows (django-tasks' database backend, decision 0047): read-only like everything else.
# Importing its admin module first makes its own registration happen now, so it can be replaced.
from django_tasks_db import admin as _tasks_db_admin  # noqa: E402, F401
from django_tasks_db.models import DBTaskResult  # noqa: E402

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(ReadOnlyAdmin):
    list_display = ("id", "task_path", "status", "enqueued_at", "started_at", "finished_at", "queue_name")
    list_filter = ("status", "queue_name")
