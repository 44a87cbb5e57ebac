"""Targeting's tasks on the home page (``core.tasks``, registered in ``TargetingConfig.ready``):
allocation rounds waiting for approval — for an admin who may approve them and did not prepare them
(maker-checker) — and, for the office who prepares rounds, their own rounds still waiting."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.core.tasks import INFO, URGENT, Task
from jaring.targeting.models import AllocationRound
from jaring.targeting.selectors import round_list


def targeting_tasks(actor: User) -> list[Task]:
    decides, prepares = can(actor, "targeting.decide"), can(actor, "targeting.prepare")
    if not (decides or prepares):
        return []
    counts = round_list(actor=actor).filter(status=AllocationRound.Status.PREPARED).aggregate(
        others=Count("id", filter=~Q(prepared_by=actor)), mine=Count("id", filter=Q(prepared_by=actor)))
    url = reverse("targeting:round_list")
    tasks = []
    if decides:
        tasks.append(Task("targeting.rounds_to_approve", _("Putaran alokasi menunggu persetujuan Anda"),
                          counts["others"], url, URGENT))
    if prepares:
        tasks.append(Task("targeting.rounds_prepared",
                          _("Putaran alokasi yang Anda siapkan menunggu persetujuan admin"), counts["mine"], url, INFO))
    return tasks
