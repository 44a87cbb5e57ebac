from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("jaring.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jaring.registry.urls")),
    path("", include("jaring.simulator.urls")),
    path("", include("jaring.membership.urls")),
    path("", include("jaring.claims.urls")),
    path("", include("jaring.fieldwork.urls")),
    path("", include("jaring.offline.urls")),
    path("", include("jaring.targeting.urls")),
    path("", include("jaring.reports.urls")),
    path("", include("jaring.accounts.urls")),
]
