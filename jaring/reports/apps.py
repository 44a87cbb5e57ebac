from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jaring.reports"
    label = "reports"
    verbose_name = "Laporan"
