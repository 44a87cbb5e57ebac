from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "jaring.targeting"
    label = "targeting"
    verbose_name = "Sasaran dan alokasi anggaran"

    def ready(self) -> None:
        from jaring.contributions.selectors import register_budget_commitments
        from jaring.core.tasks import register_task_source
        from jaring.targeting.selectors import ROUND_COMMITMENTS
        from jaring.targeting.tasks import targeting_tasks

        register_budget_commitments(ROUND_COMMITMENTS)
        register_task_source(targeting_tasks)
