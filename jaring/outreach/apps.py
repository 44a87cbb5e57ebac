from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "jaring.outreach"
    label = "outreach"
    verbose_name = "Penjangkauan"

    def ready(self) -> None:
        # The registry import hands Kobo and ODK files to this app without importing it
        # (the floors only look down; see registry.importing.register_profile).
        from jaring.outreach.ingest import register_profiles

        register_profiles()
