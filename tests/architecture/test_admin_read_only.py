"""The Django admin writes nothing: every model it shows is read-only, even for a superuser, and a
forged POST to its add, change or delete pages is refused. Writes go through services (audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from jaring.core.admin import ReadOnlyAdmin, ReadOnlyInline


@pytest.fixture
def superuser(personas: dict[str, Any]) -> Any:
    from jaring.accounts.models import User

    # No Jaring service makes a superuser; Django's `createsuperuser` (this manager method) is the
    # only way one exists, which is why the admin must be safe for them.
    return User.objects.create_superuser("root", password="rahasia-jaring-2026-root", name="Root")


def _registry() -> dict[Any, admin.ModelAdmin]:
    admin.autodiscover()
    return dict(admin.site._registry)


def test_every_registered_model_is_read_only_for_a_superuser(superuser):  # type: ignore[no-untyped-def]
    registry = _registry()
    labels = {model._meta.label for model in registry}
    # Not vacuous: the models the issue names are there (read-only views are kept).
    assert {"accounts.User", "regions.Region", "registry.Occupation", "core.AuditEvent"} <= labels
    assert Group not in registry
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in registry.items():
        label = model._meta.label
        assert isinstance(model_admin, ReadOnlyAdmin), f"{label} is registered without ReadOnlyAdmin"
        obj = model._default_manager.first()
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request, obj), label
        assert not model_admin.has_delete_permission(request, obj), label
        assert model_admin.has_view_permission(request, obj), label  # still shows the data
        assert not model_admin.get_actions(request), f"{label} offers bulk actions"
        for inline in model_admin.get_inline_instances(request, obj):
            assert isinstance(inline, ReadOnlyInline), f"{label}: {type(inline).__name__}"
            assert not inline.has_add_permission(request, obj), label
            assert not inline.has_change_permission(request, obj), label
            assert not inline.has_delete_permission(request, obj), label


def test_forged_posts_to_the_admin_change_nothing(client, superuser, personas):  # type: ignore[no-untyped-def]
    client.force_login(superuser)
    changed = 0
    for model, _model_admin in _registry().items():
        info = (model._meta.app_label, model._meta.model_name)
        add = client.post(reverse("admin:{}_{}_add".format(*info)), {"name": "x", "code": "x", "username": "x"})
        assert add.status_code == 403, f"{model._meta.label}: add answered {add.status_code}"
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        before = model_to_dict(obj)
        page = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert page.status_code == 200, model._meta.label  # the read-only view works
        data = {**{k: v for k, v in before.items() if isinstance(v, str | int | bool)}, "name": "Diubah",
                "role": "admin", "is_active": "on", "level": "kelurahan"}
        change = client.post(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]), data)
        assert change.status_code == 403, f"{model._meta.label}: change answered {change.status_code}"
        delete = client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"})
        assert delete.status_code == 403, f"{model._meta.label}: delete answered {delete.status_code}"
        bulk = client.post(reverse("admin:{}_{}_changelist".format(*info)),
                           {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
        assert bulk.status_code in (200, 302, 403), model._meta.label
        obj.refresh_from_db()
        assert model_to_dict(obj) == before, f"{model._meta.label} changed through the admin"
        changed += 1
    # Users, regions, occupations and audit events exist in every test database: those were tried.
    assert changed >= 4
