from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "jaring.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from jaring.core.tasks_queue import ensure_jobs_database

        # `jaring migrate` also builds the jobs alias's SQLite side file (decision 0047).
        post_migrate.connect(ensure_jobs_database, sender=self, dispatch_uid="jaring-jobs-database")
