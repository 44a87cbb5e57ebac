from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "jaring.fieldwork"
    label = "fieldwork"
    verbose_name = "Kerja lapangan"

    def ready(self) -> None:
        from jaring.accounts.home import register_home_card
        from jaring.core.tasks import register_task_source
        from jaring.fieldwork.services import move_fieldwork, plan_fieldwork
        from jaring.fieldwork.tasks import fieldwork_tasks
        from jaring.fieldwork.views import fieldwork_home_card, visits_panel
        from jaring.registry.panels import register_person_panel
        from jaring.registry.services import register_merge_hook, register_merge_plan

        register_merge_hook(move_fieldwork)
        register_merge_plan(plan_fieldwork)
        register_person_panel(visits_panel)
        register_home_card(fieldwork_home_card)
        register_task_source(fieldwork_tasks)
