from django.urls import path

from jaring.reports import views

app_name = "reports"
urlpatterns = [
    path("dasbor/", views.dashboard_view, name="dashboard"),
    path("dasbor/unduh.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("dasbor/target/", views.target_set, name="target_set"),
    path("laporan/klaim/", views.claims_view, name="claims"),
    path("laporan/klaim/unduh.xlsx", views.claims_xlsx, name="claims_xlsx"),
]
