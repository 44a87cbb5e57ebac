from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "jaring.membership"
    label = "membership"
    verbose_name = "Kepesertaan"

    def ready(self) -> None:
        from jaring.membership.services import move_memberships
        from jaring.membership.views import membership_panel
        from jaring.registry.panels import register_person_panel
        from jaring.registry.services import register_merge_hook

        register_person_panel(membership_panel)
        register_merge_hook(move_memberships)
