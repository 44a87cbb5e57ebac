"""Contributions' tasks on the home page (``core.tasks``, registered in ``ContributionsConfig.ready``),
for the office that handles money (``money.write``) and BPJSTK's files (``bpjstk.exchange``):

- months of a collective payer with dues billed but not yet invoiced (an invoice to issue);
- invoices not paid in full (a payment to record when the payer's transfer arrives);
- members whose membership lapses within a week for their arrears (``at_risk``);
- rows of BPJSTK's files not applied, waiting for the office to follow up.

The pages are the membership app's (payers, at-risk list, BPJSTK review), named by URL only."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.accounts.models import User
from jaring.contributions.ledger import review_rows
from jaring.contributions.models import Due, Invoice
from jaring.contributions.selectors import AtRiskFilter, at_risk
from jaring.core.tasks import NORMAL, URGENT, Task
from jaring.membership.models import Payer

LAPSING_DAYS = 7


def contributions_tasks(actor: User) -> list[Task]:
    tasks = []
    if can(actor, "money.write"):
        payers = reverse("membership:payer_list")
        to_issue = (Due.objects.filter(status=Due.Status.OPEN, invoice__isnull=True)
                    .exclude(payer__kind=Payer.Kind.SELF).values("payer_id", "period").distinct().count())
        tasks.append(Task("contributions.invoices_to_issue", _("Bulan iuran wadah yang belum ditagihkan"),
                          to_issue, payers, NORMAL))
        unpaid = Invoice.objects.filter(status__in=[Invoice.Status.OPEN, Invoice.Status.PARTIAL]).count()
        tasks.append(Task("contributions.invoices_unpaid", _("Tagihan wadah belum lunas: catat pembayarannya"),
                          unpaid, payers, NORMAL))
        today = timezone.localdate()
        lapsing = at_risk(actor=actor, today=today,
                          where=AtRiskFilter(lapsing_by=today + dt.timedelta(days=LAPSING_DAYS)))
        tasks.append(Task("contributions.lapsing_this_week", _("Kepesertaan akan berakhir minggu ini karena tunggakan"),
                          len(lapsing), reverse("membership:at_risk") + "?minggu_ini=1", URGENT))
    if can(actor, "bpjstk.exchange"):
        tasks.append(Task("contributions.bpjstk_review", _("Baris berkas BPJSTK perlu diperiksa"),
                          review_rows(actor=actor).order_by().count(), reverse("membership:bpjstk_review"), NORMAL))
    return tasks
