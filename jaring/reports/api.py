"""API v1: the dashboard's figures as JSON (``GET /api/v1/dashboard/``) and the claims report
(``GET /api/v1/reports/claims/``), scoped like the pages."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.services import auditor_read_log
from jaring.accounts.types import AuthenticatedRequest
from jaring.claims.figures import GROUP_BY, claims_summary
from jaring.core import params as p
from jaring.core.money import format_month, month_start
from jaring.reports.selectors import dashboard


class DashboardFigures(APIView):
    capability = "reports.read"
    @extend_schema(parameters=[OpenApiParameter("period", str, description="YYYY-MM; default: this month"),
                               OpenApiParameter("area", str, description="a region code inside the user's "
                                                "area (a city, a distrik): its figures, rows one level down")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        period = p.month_param(request, "period")
        area = p.code_param(request, "area")
        figures = dashboard(actor=request.user, period=period, area=area)
        auditor_read_log(actor=request.user, action="dashboard.view", object_type="reports.dashboard",
                     object_id=format_month(figures.period),
                     after={"channel": "api", **({"area": area} if area else {})})
        return Response(figures.as_dict())


class ClaimsFigures(APIView):
    """The claims report for one grouping (``claims.figures``): counts for ``claims.read``, benefits and
    contributions too for ``money.read``."""

    capability = "claims.read"

    @extend_schema(parameters=[
        OpenApiParameter("group_by", str, enum=list(GROUP_BY), description="default: month"),
        OpenApiParameter("from", str, description="YYYY-MM; default: January of this year"),
        OpenApiParameter("to", str, description="YYYY-MM; default: this month"),
        OpenApiParameter("distrik", str, description="a distrik code in your area, e.g. 96.71.01"),
        OpenApiParameter("type", str, description="jkk, jkm or scholarship"),
        OpenApiParameter("payer", str, description="a payer code, or 'none' for claims without a membership"),
    ], responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        this_month = month_start(timezone.localdate())
        group_by = p.choice_param(request, "group_by", GROUP_BY, default="month")
        date_from = p.month_param(request, "from", default=this_month.replace(month=1))
        date_to = p.month_param(request, "to", default=this_month)
        assert date_from is not None and date_to is not None
        summary = claims_summary(actor=request.user, group_by=group_by, date_from=date_from, date_to=date_to,
                                 distrik=p.code_param(request, "distrik"), type=p.code_param(request, "type"),
                                 payer=p.code_param(request, "payer"))
        auditor_read_log(actor=request.user, action="claims_report.view", object_type="reports.claims",
                         object_id=f"{format_month(date_from)}..{format_month(date_to)}",
                         after={**summary.filters.as_dict(), "group_by": group_by, "channel": "api"})
        return Response(summary.as_dict())


# Mounted under /api/v1/reports/ by jaring/api/urls.py.
urlpatterns = [
    path("claims/", ClaimsFigures.as_view(), name="api-reports-claims"),
]
