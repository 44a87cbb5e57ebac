from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "jaring.reminders"
    label = "reminders"
    verbose_name = "Pengingat iuran"

    def ready(self) -> None:
        from jaring.registry.services import register_merge_hook, register_merge_plan
        from jaring.reminders.services import move_reminders, plan_reminders

        register_merge_hook(move_reminders)
        register_merge_plan(plan_reminders)
