"""The coverage dashboard (``/dasbor/``), its XLSX export and the target form; the claims report
(``/laporan/klaim/``) and its XLSX export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.services import auditor_read_log
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.claims import figures as claim_figures
from jaring.claims.models import Claim
from jaring.core import params as qp
from jaring.core.errors import NotFound, ValidationFailed
from jaring.core.money import format_month, month_start
from jaring.reports import charts
from jaring.reports.selectors import Dashboard, dashboard
from jaring.reports.services import claims_export, coverage_target_set, dashboard_export, snapshot_refresh_if_stale


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

    area_title = {"kelurahan": _("Terlindungi per kelurahan"), "district": _("Terlindungi per distrik"),
                  "city": _("Terlindungi per kabupaten/kota"),
                  "province": _("Terlindungi per provinsi")}[figures.area_level]
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
    area = qp.code_param(request, "wilayah")  # the roll-up: a city, a distrik inside the user's area
    if period is None:
        snapshot_refresh_if_stale(viewer=request.user)
    try:
        figures = dashboard(actor=request.user, period=period, area=area)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None
    auditor_read_log(actor=request.user, action="dashboard.view", object_type="reports.dashboard",
                 object_id=format_month(figures.period), after={"area": area} if area else None)
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


# --- The claims report (issue 11, point 8) ---------------------------------------------------------

CLAIM_CHART_ROWS = 24  # a longer month table has no chart: the table alone reads better on a phone


class ClaimsFilterForm(forms.Form):
    """The report's filters, rendered unbound with the checked values (``claims.figures`` checks them)."""

    dari = forms.CharField(label=gettext_lazy("Dari bulan"), required=False,
                           widget=forms.TextInput(attrs={"type": "month", "placeholder": "TTTT-BB"}))
    sampai = forms.CharField(label=gettext_lazy("Sampai bulan"), required=False,
                             widget=forms.TextInput(attrs={"type": "month", "placeholder": "TTTT-BB"}))
    distrik = forms.ChoiceField(label=gettext_lazy("Distrik"), required=False)
    jenis = forms.ChoiceField(label=gettext_lazy("Jenis klaim"), required=False)
    pembayar = forms.ChoiceField(label=gettext_lazy("Pembayar"), required=False)

    def __init__(self, *args: Any, distriks: list[tuple[str, str]], payers: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", _("Semua"))
        for name, choices in (("distrik", distriks), ("jenis", Claim.Type.choices), ("pembayar", payers)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [everything, *choices]


def claims_params(request: HttpRequest) -> dict[str, Any]:
    """The page's and the export's query (``dari``, ``sampai`` as YYYY-MM, or ``tahun``; ``distrik``,
    ``jenis``, ``pembayar``) as ``claims_report`` arguments. Default: January of this year to this month."""
    this_month = month_start(timezone.localdate())
    year = qp.int_param(request, "tahun", low=qp.YEAR_MIN, high=qp.YEAR_MAX)
    first = this_month.replace(month=1) if year is None else dt.date(year, 1, 1)
    last = this_month if year is None else dt.date(year, 12, 1)
    return {"date_from": qp.month_param(request, "dari", default=first),
            "date_to": qp.month_param(request, "sampai", default=last),
            "distrik": qp.code_param(request, "distrik"), "type": qp.code_param(request, "jenis"),
            "payer": qp.code_param(request, "pembayar")}


def _claim_charts(report: claim_figures.ClaimsReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, summary in report.groups.items():
        if len(summary.rows) > CLAIM_CHART_ROWS:
            continue
        # Claims reported per row (the tables beside say what became of them).
        out[name] = charts.bar_chart(title=str(claim_figures.GROUP_LABELS[name]), chart_id=f"chart-claims-{name}",
                                     rows=[(str(r.label), r.reported, r.reported) for r in summary.rows])
    return out


@capability_required("claims.read")
def claims_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    distriks = claim_figures.distrik_choices(actor=request.user)
    payers = claim_figures.payer_choices()
    context: dict[str, Any] = {"nav": "claims_report", "report": None, "error": None,
                               "query": request.GET.urlencode(),
                               "filtered": any(request.GET.get(k) for k in ("distrik", "jenis", "pembayar"))}
    status = 200
    params: dict[str, Any] = {}
    try:
        params = claims_params(request)
        report = claim_figures.claims_report(actor=request.user, **params)
    except ValidationFailed as exc:
        context["error"] = exc.message
        status = 400
    else:
        context.update(report=report, charts=_claim_charts(report),
                       legend=charts.legend([(_("Klaim dilaporkan"), charts.GREEN)]))
        auditor_read_log(actor=request.user, action="claims_report.view", object_type="reports.claims",
                         object_id=f"{format_month(report.filters.date_from)}..{format_month(report.filters.date_to)}",
                         after=report.filters.as_dict())
    initial = {"dari": format_month(params["date_from"]) if params else request.GET.get("dari", "")[:7],
               "sampai": format_month(params["date_to"]) if params else request.GET.get("sampai", "")[:7],
               "distrik": params.get("distrik", ""), "jenis": params.get("type", ""),
               "pembayar": params.get("payer", "")}
    context["form"] = ClaimsFilterForm(initial=initial, distriks=distriks, payers=payers)
    return render(request, "reports/claims.html", context, status=status)


@capability_required("claims.read")
def claims_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        export = claims_export(actor=request.user, **claims_params(request))
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return redirect("reports:claims")
    response = HttpResponse(export.content,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
