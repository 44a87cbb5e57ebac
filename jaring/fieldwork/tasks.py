"""Field work's tasks on the home page (``core.tasks``, registered in ``FieldworkConfig.ready``):
the self-paying members in arrears of a field worker's area still to visit, and those of them whose
membership lapses within a week. For field workers only, as their home card: the office (the whole
city) has the worklist and the at-risk list instead. A fixed number of queries (``worklist``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.tasks import NORMAL, URGENT, Task
from jaring.fieldwork.selectors import READ, WRITE, WorkFilter, worklist


def fieldwork_tasks(actor: User) -> list[Task]:
    if not (can(actor, WRITE) and can(actor, READ)) or scope_for(actor).covers_every_kelurahan:
        return []
    work = worklist(actor=actor, where=WorkFilter())
    url = reverse("fieldwork:worklist")
    return [
        Task("fieldwork.lapsing_this_week", _("Peserta menunggak yang kepesertaannya berakhir minggu ini"),
             work.lapsing_this_week, url + "?minggu_ini=1", URGENT),
        Task("fieldwork.visits_due", _("Peserta menunggak perlu dikunjungi"), work.todo, url, NORMAL),
    ]
