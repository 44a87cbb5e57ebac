from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jaring.reports"
    label = "reports"
    verbose_name = "Laporan"

    def ready(self) -> None:
        # Lower apps' services say which persons a write touched (core.touched); the snapshots
        # note their kelurahan to refresh them alone (decision 0046).
        from jaring.core.touched import register_touch_listener
        from jaring.reports.services import snapshot_mark

        register_touch_listener(snapshot_mark)
