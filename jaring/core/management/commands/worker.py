from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jaring.core.tasks_queue import SWEEP_SECONDS, database_worker, queue_name, sweep, uses_database_backend


class Command(BaseCommand):
    help = ("Run background jobs (decision 0047): the database queue by default, Redis when "
            "JARING_TASKS_BROKER is set. Recovers the jobs of dead workers at start and queues the nightly work.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=1, help="Worker threads (database queue; default 1).")
        parser.add_argument("--batch", action="store_true", help="Run what is queued now, then exit.")
        parser.add_argument("--no-schedule", action="store_true",
                            help="Do not queue the nightly work (JARING_SCHEDULE); another worker does.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between two looks at an empty database queue.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JARING_JOBS_INLINE:
            raise CommandError("JARING_JOBS_INLINE is set: jobs run inline, there is nothing for a worker to do.")
        schedule = not options["no_schedule"]
        sweep(schedule=schedule)  # first of all: what a dead worker left, and tonight's work if due
        if not options["batch"]:
            def sweeps() -> None:
                while not stop.wait(SWEEP_SECONDS):
                    sweep(schedule=schedule)

            stop = threading.Event()
            threading.Thread(target=sweeps, name="jaring-sweep", daemon=True).start()
        if uses_database_backend():
            self._database(options)
        else:
            where = settings.JARING_TASKS_BROKER.split("@")[-1]  # never the password
            self.stdout.write(f"jaring worker: Redis queue {queue_name()} at {where}")
            call_command("rqworker", queue_name(), job_class="django_tasks_rq.backend.Job", burst=options["batch"],
                         verbosity=options["verbosity"])

    def _database(self, options: dict[str, Any]) -> None:
        threads = max(1, int(options["threads"]))
        workers = [database_worker(index=i, interval=options["interval"], batch=options["batch"])
                   for i in range(threads)]
        self.stdout.write(f"jaring worker: database queue, {threads} thread(s)")
        extra = [threading.Thread(target=w.run, name=f"jaring-worker-{i}", daemon=True)
                 for i, w in enumerate(workers[1:], start=1)]
        for thread in extra:
            thread.start()
        workers[0].configure_signals()  # Ctrl+C / SIGTERM: finish the running task, then stop
        workers[0].run()
        for thread in extra:
            thread.join()
