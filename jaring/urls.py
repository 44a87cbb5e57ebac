from django.contrib import admin
from django.urls import include, path

from jaring.accounts import views as accounts_views
from jaring.core import health
from jaring.core import views as core_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("jaring.api.urls")),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # For the process manager and the load balancer: public, no personal data (docs/deploy.md).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The language switch, which also stores the choice on a logged-in user (accounts).
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
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
