"""The coverage dashboard (``/dasbor/``), its XLSX export and the target form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.services import auditor_read_log
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core import params as qp
from jaring.core.errors import ValidationFailed
from jaring.core.money import format_month, month_start
from jaring.reports import charts
from jaring.reports.selectors import Dashboard, dashboard
from jaring.reports.services import coverage_target_set, dashboard_export, snapshot_refresh_if_stale


class TargetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Tahun"), min_value=2000, max_value=2100)
    workers = forms.IntegerField(label=gettext_lazy("Target pekerja terlindungi"), min_value=1)
    source = forms.CharField(label=gettext_lazy("Sumber (dokumen)"), max_length=200)


def _period(request: HttpRequest) -> Any:
    month = qp.month_param(request, "bulan")
    return min(month, month_start(timezone.localdate())) if month else None


def _charts(figures: Dashboard) -> dict[str, Any]:
    def bars(rows: list[Any], chart_id: str, title: str) -> Any:
        return charts.bar_chart(title=title, chart_id=chart_id,
                                rows=[(str(r.label), r.protected, r.members) for r in rows])

    area_title = (_("Terlindungi per kelurahan") if figures.area_level == "kelurahan"
                  else _("Terlindungi per distrik"))
    labels = [t.period.strftime("%m/%y") for t in figures.trend]
    protected = [t.protected if t.present else None for t in figures.trend]
    at_risk = [t.at_risk if t.present else None for t in figures.trend]
    return {
        "area": bars(figures.by_area, "chart-area", area_title),
        "payer": bars(figures.by_payer, "chart-payer", _("Terlindungi per pembayar")),
        "occupation": bars(figures.by_occupation[:12], "chart-occupation", _("Terlindungi per pekerjaan")),
        "sex": bars(figures.by_sex, "chart-sex", _("Terlindungi per jenis kelamin")),
        "trend": charts.line_chart(
            title=_("Pekerja terlindungi dan berisiko, 24 bulan"), chart_id="chart-trend", labels=labels,
            series=[(_("Terlindungi"), charts.GREEN, protected), (_("Berisiko"), charts.AMBER, at_risk)],
            target=figures.target.workers if figures.target else None),
        "trend_legend": charts.legend([(_("Terlindungi"), charts.GREEN), (_("Berisiko"), charts.AMBER)]
                                      + ([(_("Target"), charts.GREY)] if figures.target else [])),
        "bar_legend": charts.legend([(_("Terlindungi"), charts.GREEN), (_("Peserta ditagih"), charts.PALE)]),
    }


@capability_required("reports.read")
def dashboard_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    period = _period(request)
    if period is None:
        snapshot_refresh_if_stale(viewer=request.user)
    figures = dashboard(actor=request.user, period=period)
    auditor_read_log(actor=request.user, action="dashboard.view", object_type="reports.dashboard",
                 object_id=format_month(figures.period))
    context = {"nav": "dashboard", "d": figures, "charts": _charts(figures),
               "can_set_target": can(request.user, "reports.target"),
               "target_form": TargetForm(initial={"year": figures.period.year})}
    return render(request, "reports/dashboard.html", context)


@capability_required("reports.read")
def dashboard_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    export = dashboard_export(actor=request.user, period=_period(request))
    response = HttpResponse(export.content,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@capability_required("reports.target")
@require_POST
def target_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            coverage_target_set(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Target cakupan disimpan."))
        except ValidationFailed as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Target tidak dapat disimpan: periksa isian."))
    return redirect("reports:dashboard")
