from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "jaring.claims"
    label = "claims"
    verbose_name = "Klaim"

    def ready(self) -> None:
        from jaring.claims.services import move_claims
        from jaring.registry.services import register_merge_hook

        register_merge_hook(move_claims)
