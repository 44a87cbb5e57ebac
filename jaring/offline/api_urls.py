"""``/api/v1/field/…``, included by ``jaring/api/urls.py``."""

from django.urls import path

from jaring.offline import api

urlpatterns = [
    path("snapshot/", api.FieldSnapshot.as_view(), name="api-field-snapshot"),
    path("key/", api.FieldKey.as_view(), name="api-field-key"),
]
