from django.urls import path

from jaring.offline import views

app_name = "offline"
urlpatterns = [
    path("lapangan/", views.field_app, name="app"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
]
