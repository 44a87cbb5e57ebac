from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "jaring.contributions"
    label = "contributions"
    verbose_name = "Iuran"

    def ready(self) -> None:
        from jaring.contributions.tasks import contributions_tasks
        from jaring.core.tasks import register_task_source

        register_task_source(contributions_tasks)
