from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "jaring.targeting"
    label = "targeting"
    verbose_name = "Sasaran dan alokasi anggaran"
