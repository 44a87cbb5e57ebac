from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "jaring.simulator"
    label = "simulator"
    verbose_name = "Simulasi"
