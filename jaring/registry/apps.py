from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jaring.registry"
    label = "registry"
    verbose_name = "Registri"

    def ready(self) -> None:
        from jaring.accounts.home import register_home_card
        from jaring.core.tasks import register_task_source
        from jaring.registry.home import registry_home_card
        from jaring.registry.panels import register_person_panel
        from jaring.registry.review_views import merge_undo_panel
        from jaring.registry.tasks import registry_tasks

        register_home_card(registry_home_card)
        register_person_panel(merge_undo_panel)
        register_task_source(registry_tasks)
