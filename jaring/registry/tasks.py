"""The registry's tasks on the home page (``core.tasks``, registered in ``RegistryConfig.ready``):
possible duplicates to review in the user's area, and the user's imports that failed lately."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.core.models import Job
from jaring.core.tasks import NORMAL, Task
from jaring.registry.import_selectors import import_jobs
from jaring.registry.selectors import duplicate_queue

# A failed import stays in the inbox this long (it is not acknowledged; the next import replaces it).
FAILED_IMPORT_DAYS = 14


def registry_tasks(actor: User) -> list[Task]:
    tasks = []
    if can(actor, "duplicates.merge"):
        tasks.append(Task("registry.duplicates", _("Kemungkinan data ganda perlu diperiksa"),
                          duplicate_queue(actor=actor).order_by().count(), reverse("registry:duplicate_list"), NORMAL))
    if can(actor, "registry.import"):
        since = timezone.now() - dt.timedelta(days=FAILED_IMPORT_DAYS)
        failed = import_jobs(actor=actor).filter(status=Job.Status.FAILED, created_at__gte=since).order_by().count()
        tasks.append(Task("registry.imports_failed", _("Impor data gagal (14 hari terakhir)"), failed,
                          reverse("registry:import_start"), NORMAL))
    return tasks
