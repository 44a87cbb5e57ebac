from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "jaring.claims"
    label = "claims"
    verbose_name = "Klaim"

    def ready(self) -> None:
        from jaring.accounts.home import register_home_card
        from jaring.claims.services import move_claims, plan_claims
        from jaring.claims.tasks import claims_tasks
        from jaring.claims.views import claims_home_card, claims_panel
        from jaring.core.tasks import register_task_source
        from jaring.registry.panels import register_person_panel
        from jaring.registry.services import register_merge_hook, register_merge_plan

        register_merge_hook(move_claims)
        register_merge_plan(plan_claims)
        register_person_panel(claims_panel)
        register_home_card(claims_home_card)
        register_task_source(claims_tasks)
