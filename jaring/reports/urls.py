from django.urls import path

from jaring.reports import trail, views

app_name = "reports"
urlpatterns = [
    path("dasbor/", views.dashboard_view, name="dashboard"),
    path("dasbor/unduh.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("dasbor/target/", views.target_set, name="target_set"),
    path("laporan/klaim/", views.claims_view, name="claims"),
    path("laporan/klaim/unduh.xlsx", views.claims_xlsx, name="claims_xlsx"),
    path("jejak/", trail.trail_view, name="trail"),
    path("jejak/unduh.xlsx", trail.trail_xlsx, name="trail_xlsx"),
]
