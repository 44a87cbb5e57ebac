"""The audit trail viewer (``/jejak/``) and its XLSX export, for the auditor and admins.

Reads go through ``jaring.core.trail`` with the user's area: a tenant-wide user sees every event, a
region-scoped admin only the events of the regions they hold. The page shows what staff may see
(``before``/``after`` are stored masked) and an auditor's visit is itself recorded
(``personal_data``); every export is recorded, whoever makes it.
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import capability_required
from jaring.accounts.models import User
from jaring.accounts.reads import personal_data
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core import params as qp
from jaring.core.audit import audit_log
from jaring.core.tables import safe_cell
from jaring.core.trail import CHANNELS, TrailFilters, changes, trail_iter, trail_page

EXPORT_LIMIT = 100_000
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _codes(user: User) -> list[str] | None:
    """The user's area as region codes, or ``None`` for the whole tenant (every event)."""
    codes = scope_for(user).codes
    if user.is_superuser or settings.JARING_TENANT_REGION in codes:
        return None
    return codes


def filters_from(request: Any) -> TrailFilters:
    """The filters of the GET form; a malformed value is a 400 (``BadParameter``), never a crash."""
    return TrailFilters(
        actor=qp.code_param(request, "actor", pattern=_NAME),
        action=qp.code_param(request, "action", pattern=qp.CODE_RE),
        object_type=qp.code_param(request, "object_type", pattern=qp.CODE_RE),
        object_id=qp.code_param(request, "object_id", pattern=_OBJECT_ID),
        area=qp.code_param(request, "area", pattern=qp.REGION_CODE_RE),
        date_from=qp.date_param(request, "date_from"),
        date_to=qp.date_param(request, "date_to"),
        channel=qp.choice_param(request, "channel", CHANNELS),
    )


@capability_required("audit.read")
@personal_data("audit.view")
def trail_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = filters_from(request)
    page = trail_page(filters, codes=_codes(request.user), cursor=qp.text_param(request, "cursor", max_length=64))
    query = urlencode(filters.as_dict())
    rows = [{"event": e, "changes": changes(e)} for e in page.events]
    more = urlencode({**filters.as_dict(), "cursor": page.next_cursor}) if page.next_cursor else ""
    return render(request, "reports/trail.html", {
        "filters": filters.as_dict(), "rows": rows, "query": query, "more": more,
        "paged": bool(request.GET.get("cursor")), "channels": CHANNELS,
    })


@transaction.atomic
def trail_export(*, actor: User, filters: TrailFilters) -> tuple[bytes, str, int]:
    """The filtered trail (newest first, at most ``EXPORT_LIMIT`` events) as XLSX. Audited."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Jejak audit")[:31])
    sheet.append([_("Waktu"), _("Pelaku"), _("Tindakan"), _("Jenis objek"), _("ID objek"), _("Wilayah"),
                  _("Saluran"), _("ID permintaan"), _("Sebelum"), _("Sesudah")])
    count = 0
    for event in trail_iter(filters, codes=_codes(actor), limit=EXPORT_LIMIT):
        diff = changes(event)
        sheet.append([timezone.localtime(event.at).replace(tzinfo=None), safe_cell(event.actor_label),
                      safe_cell(event.action), safe_cell(event.object_type), safe_cell(event.object_id),
                      safe_cell(event.region_code), safe_cell(event.channel), safe_cell(event.request_id),
                      safe_cell("\n".join(f"{k}: {b}" for k, b, _a, _c in diff if b)),
                      safe_cell("\n".join(f"{k}: {a}" for k, _b, a, _c in diff if a))])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    audit_log(actor=actor, action="audit.export", object_type="core.auditevent",
              after={**filters.as_dict(), "format": "xlsx", "rows": count})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return buffer.getvalue(), f"jejak-audit-{stamp}.xlsx", count


@capability_required("audit.read")
def trail_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    content, filename, _count = trail_export(actor=request.user, filters=filters_from(request))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
