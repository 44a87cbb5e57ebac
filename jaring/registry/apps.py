from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jaring.registry"
    label = "registry"
    verbose_name = "Registri"
