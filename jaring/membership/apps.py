from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "jaring.membership"
    label = "membership"
    verbose_name = "Kepesertaan"

    def ready(self) -> None:
        from jaring.core.tasks import register_task_source
        from jaring.membership.pair_panel import membership_pair_panel
        from jaring.membership.services import move_memberships, plan_memberships
        from jaring.membership.tasks import membership_tasks
        from jaring.membership.views import membership_panel
        from jaring.registry.panels import register_duplicate_panel, register_person_panel
        from jaring.registry.services import register_merge_hook, register_merge_plan

        register_person_panel(membership_panel)
        register_duplicate_panel(membership_pair_panel)
        register_merge_hook(move_memberships)
        register_merge_plan(plan_memberships)
        register_task_source(membership_tasks)
