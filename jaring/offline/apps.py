from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "jaring.offline"
    label = "offline"
    verbose_name = "Lapangan (luring)"
