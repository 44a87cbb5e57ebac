"""Membership's tasks on the home page (``core.tasks``, registered in ``MembershipConfig.ready``):
registrations BPJSTK rejected (back to draft with its reason, to correct and send again with the
next collective file) in the user's area, and BPJSTK file uploads that failed lately."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.core.models import Job
from jaring.core.tasks import NORMAL, URGENT, Task
from jaring.membership.models import Membership
from jaring.membership.selectors import membership_queryset
from jaring.membership.views_bpjstk import upload_jobs

FAILED_UPLOAD_DAYS = 14


def membership_tasks(actor: User) -> list[Task]:
    if not can(actor, "bpjstk.exchange") or not can(actor, "membership.enrol"):
        return []  # the office corrects and resends; the liaison is BPJSTK's own side
    url = reverse("membership:bpjstk_exchange")
    waiting = membership_queryset(actor=actor).filter(status=Membership.Status.DRAFT).exclude(rejection_reason="")
    # One: straight to the person (the membership panel shows BPJSTK's reason); more: the BPJSTK page,
    # where the corrected registrations go out with the next collective file.
    first = list(waiting.order_by("rejected_at", "id").values_list("person_id", flat=True)[:2])
    rejected = len(first) if len(first) < 2 else waiting.count()
    rejected_url = reverse("registry:person_detail", args=[first[0]]) if len(first) == 1 else url
    since = timezone.now() - dt.timedelta(days=FAILED_UPLOAD_DAYS)
    failed = upload_jobs(actor=actor).filter(status=Job.Status.FAILED, created_at__gte=since).order_by().count()
    return [
        Task("membership.rejected", _("Pendaftaran ditolak BPJSTK: perbaiki dan kirim ulang"), rejected, rejected_url,
             URGENT),
        Task("membership.uploads_failed", _("Unggahan berkas BPJSTK gagal (14 hari terakhir)"), failed, url, NORMAL),
    ]
