"""Claims' tasks on the home page (``core.tasks``, registered in ``ClaimsConfig.ready``): the open
claims of the user's area whose next deadline has passed or comes within two weeks, for the people
who act on claims (``claims.write``). One query (``claim_deadlines_list``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.claims.selectors import claim_deadlines_list
from jaring.core.tasks import NORMAL, URGENT, Task

SOON_DAYS = 14


def claims_tasks(actor: User) -> list[Task]:
    if not can(actor, "claims.write"):
        return []
    today = timezone.localdate()
    rows = claim_deadlines_list(actor=actor, today=today)
    soon = today + dt.timedelta(days=SOON_DAYS)
    url = reverse("claims:claim_list")
    return [
        Task("claims.overdue", _("Klaim melewati tenggat"), sum(1 for r in rows if r.overdue), url, URGENT),
        Task("claims.due_soon", _("Klaim dengan tenggat dalam 14 hari"),
             sum(1 for r in rows if not r.overdue and r.date <= soon), url, NORMAL),
    ]
