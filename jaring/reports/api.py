"""API v1: the dashboard's figures as JSON (``GET /api/v1/dashboard/``), scoped like the page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.services import auditor_read_log
from jaring.accounts.types import AuthenticatedRequest
from jaring.core import params as p
from jaring.core.money import format_month
from jaring.reports.selectors import dashboard


class DashboardFigures(APIView):
    capability = "reports.read"
    @extend_schema(parameters=[OpenApiParameter("period", str, description="YYYY-MM; default: this month")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        period = p.month_param(request, "period")
        figures = dashboard(actor=request.user, period=period)
        auditor_read_log(actor=request.user, action="dashboard.view", object_type="reports.dashboard",
                     object_id=format_month(figures.period), after={"channel": "api"})
        return Response(figures.as_dict())
