from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "jaring.offline"
    label = "offline"
    verbose_name = "Lapangan (luring)"

    def ready(self) -> None:
        from jaring.accounts.capabilities import CAPABILITIES
        from jaring.accounts.models import Role

        # The offline field app is for facilitators only: an office role's area is the whole city,
        # far too much to keep on a phone (decision 0039). Registered here until the line moves
        # into accounts.capabilities' table; setdefault keeps the table's own entry once it does.
        CAPABILITIES.setdefault("field.offline", frozenset({Role.FACILITATOR}))
