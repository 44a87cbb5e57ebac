"""API v1 for targeting: policies (with rule counts), allocation previews, rounds (prepare,
approve, top-up) and their frozen rankings. Included under ``/api/v1/targeting/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.services import auditor_read_log
from jaring.accounts.types import AuthenticatedRequest
from jaring.core import params as p
from jaring.core.money import add_months, format_month, month_start
from jaring.membership.selectors import payer_for
from jaring.targeting import selectors, services
from jaring.targeting.models import AllocationRound, EligibilityPolicy


def _month(text: str | None, field: str = "start") -> dt.date:
    if not text:
        return add_months(month_start(timezone.localdate()), 1)
    return p.check_month(text, field=field)


class PolicySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=150)
    basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    max_decile = serializers.IntegerField(default=4)
    min_age = serializers.IntegerField(default=18)
    max_age = serializers.IntegerField(default=64)
    occupation_codes = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    weights = serializers.DictField(child=serializers.IntegerField(), required=False)
    decile_sources = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    decile_max_age_days = serializers.IntegerField(required=False, allow_null=True, default=None)


class PolicyChangeSerializer(PolicySerializer):
    code = None  # type: ignore[assignment]  # DRF's way to drop an inherited field; the stubs do not know it
    name = serializers.CharField(max_length=150, required=False)
    max_decile = serializers.IntegerField(required=False)
    min_age = serializers.IntegerField(required=False)
    max_age = serializers.IntegerField(required=False)
    basis = serializers.CharField(max_length=200, required=False, allow_blank=True)
    occupation_codes = serializers.ListField(child=serializers.CharField(), required=False)
    decile_sources = serializers.ListField(child=serializers.CharField(), required=False)
    decile_max_age_days = serializers.IntegerField(required=False, allow_null=True)


def policy_data(p: EligibilityPolicy) -> dict[str, Any]:
    return {"id": p.pk, "code": p.code, "version": p.version, "name": p.name, "basis": p.basis,
            "max_decile": p.max_decile, "min_age": p.min_age, "max_age": p.max_age,
            "occupation_codes": p.occupation_codes, "weights": p.weights, "is_current": p.is_current,
            "decile_sources": p.decile_sources, "decile_max_age_days": p.decile_max_age_days,
            "created_at": p.created_at.isoformat()}


class PolicyList(APIView):
    capability = {"GET": "targeting.read", "POST": "targeting.decide"}
    @extend_schema(responses=PolicySerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response([policy_data(p) for p in selectors.policy_list(actor=request.user)])

    @extend_schema(request=PolicySerializer, responses={201: PolicySerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        policy = services.policy_create(actor=request.user, code=v.pop("code"), **v)
        return Response(policy_data(policy), status=status.HTTP_201_CREATED)


class PolicyDetail(APIView):
    capability = {"GET": "targeting.read", "PATCH": "targeting.decide"}
    @extend_schema(parameters=[OpenApiParameter("start", str, description="YYYY-MM for the rule counts"),
                               OpenApiParameter("payer", str)])
    def get(self, request: AuthenticatedRequest, policy_id: int) -> Response:
        policy = selectors.policy_get(actor=request.user, policy_id=policy_id)
        payer_code = p.code_param(request, "payer")
        payer = payer_for(actor=request.user, code=payer_code) if payer_code else None
        counts = selectors.policy_rule_counts(actor=request.user, policy=policy, payer=payer,
                                              start=p.month_param(request, "start") or _month(None))
        return Response({**policy_data(policy), "rule_counts": [
            {"rule": c.code, "label": c.label, "matches": c.matches, "remaining": c.remaining,
             "population": c.population, "suspicious": c.suspicious} for c in counts]})

    @extend_schema(request=PolicyChangeSerializer, responses=PolicySerializer)
    def patch(self, request: AuthenticatedRequest, policy_id: int) -> Response:
        policy = selectors.policy_get(actor=request.user, policy_id=policy_id)
        data = PolicyChangeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(policy_data(services.policy_revise(actor=request.user, policy=policy,
                                                           **data.validated_data)))


class RoundInputSerializer(serializers.Serializer):
    payer = serializers.CharField()
    policy = serializers.CharField(required=False, help_text="policy code; default: the first policy")
    budget_idr = serializers.IntegerField()
    months = serializers.IntegerField()
    start = serializers.CharField(help_text="YYYY-MM")
    quota = serializers.ChoiceField(choices=AllocationRound.QuotaMode.choices, default="none")
    quotas = serializers.DictField(child=serializers.IntegerField(), required=False, default=dict,
                                   help_text="fixed quotas: {distrik code: rupiah}")
    spill_unused = serializers.BooleanField(default=True)


def round_input(request: AuthenticatedRequest) -> selectors.RoundInput:
    data = RoundInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    policy = (selectors.policy_get(actor=request.user, code=v["policy"]) if v.get("policy")
              else selectors.policy_default(actor=request.user))
    payer = payer_for(actor=request.user, code=v["payer"], manage=True)
    return selectors.RoundInput(payer=payer, policy=policy, budget_idr=v["budget_idr"],
                                months=v["months"], start=_month(v["start"]), quota_mode=v["quota"],
                                quotas=v["quotas"], spill_unused=v["spill_unused"])


def round_data(r: AllocationRound, *, detail: bool = False) -> dict[str, Any]:
    data = {"id": r.pk, "status": r.status, "payer": r.payer.code, "policy": r.policy.code,
            "policy_version": r.policy.version, "parent": r.parent_id, "budget_idr": r.budget_idr,
            "months": r.months, "start": format_month(r.start_month), "quota": r.quota_mode, "quotas": r.quotas,
            "spill_unused": r.spill_unused, "eligible": r.eligible_count, "selected": r.selected_count,
            "waitlisted": r.waitlisted_count, "cost_idr": r.cost_idr, "enrolled": r.enrolled_count,
            "skipped": r.skipped_count, "committed_by_year": r.committed_by_year,
            "prepared_by": r.prepared_by.username, "prepared_at": r.prepared_at.isoformat(),
            "approved_by": r.approved_by.username if r.approved_by else None,
            "approved_at": r.approved_at.isoformat() if r.approved_at else None}
    if detail:
        data["by_distrik"] = {row["code"]: row for row in selectors.round_by_distrik(allocation_round=r)}
    return data


class AllocationPreview(APIView):
    capability = "targeting.read"
    @extend_schema(request=RoundInputSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        return Response(selectors.allocation_preview(actor=request.user, data=round_input(request)).as_dict())


class RoundList(generics.GenericAPIView):
    """Rounds, newest first, a cursor page at a time (the API's default pagination)."""

    capability = {"GET": "targeting.read", "POST": "targeting.prepare"}

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = self.paginator
        assert isinstance(paginator, CursorPagination)  # DEFAULT_PAGINATION_CLASS is a cursor pagination
        paginator.ordering = "-id"
        page = self.paginate_queryset(selectors.round_list(actor=request.user)) or []
        return self.get_paginated_response([round_data(r) for r in page])

    @extend_schema(request=RoundInputSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        allocation_round = services.round_prepare(actor=request.user, data=round_input(request))
        return Response(round_data(allocation_round, detail=True), status=status.HTTP_201_CREATED)


class RoundDetail(APIView):
    capability = "targeting.read"
    def get(self, request: AuthenticatedRequest, round_id: int) -> Response:
        allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
        auditor_read_log(actor=request.user, action="targeting.round_read", obj=allocation_round)
        return Response(round_data(allocation_round, detail=True))


ENTRY_STATUSES = ["selected", "waitlisted", "enrolled", "skipped"]


class RoundEntries(PersonalDataMixin, APIView):
    """The frozen ranking, paged by ``offset`` and ``limit`` (at most 500 a page) with the full ``count``."""
    capability = "targeting.read"
    audit_action = "targeting.round_entries"
    audit_object_type = "targeting.allocationround"
    audit_id_kwarg = "round_id"


    @extend_schema(parameters=[OpenApiParameter("status", str, enum=ENTRY_STATUSES),
                               OpenApiParameter("offset", int), OpenApiParameter("limit", int)])
    def get(self, request: AuthenticatedRequest, round_id: int) -> Response:
        allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
        entry_status = p.choice_param(request, "status", ENTRY_STATUSES)
        offset = p.int_param(request, "offset", default=0)
        limit = p.int_param(request, "limit", default=100, low=1, high=500, clamp=True)
        qs = selectors.round_entries(actor=request.user, allocation_round=allocation_round, status=entry_status)
        return Response({"count": qs.count(), "offset": offset, "results": [
            {"rank": e.rank, "person": e.person_id, "name": e.person.full_name, "distrik": e.distrik.code
             if e.distrik else None, "score": e.score, "points": e.points, "cost_idr": e.cost_idr,
             "status": e.status, "membership": e.membership_id} for e in qs[offset:offset + limit]]})


class RoundApprove(APIView):
    capability = "targeting.decide"
    def post(self, request: AuthenticatedRequest, round_id: int) -> Response:
        allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
        return Response(round_data(services.round_approve(actor=request.user, allocation_round=allocation_round),
                                   detail=True))


class TopUpSerializer(serializers.Serializer):
    budget_idr = serializers.IntegerField()
    months = serializers.IntegerField()
    start = serializers.CharField(help_text="YYYY-MM")


class RoundTopUp(APIView):
    capability = "targeting.prepare"
    @extend_schema(request=TopUpSerializer)
    def post(self, request: AuthenticatedRequest, round_id: int) -> Response:
        parent = selectors.round_get(actor=request.user, round_id=round_id)
        data = TopUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        allocation_round = services.round_top_up(actor=request.user, parent=parent, budget_idr=v["budget_idr"],
                                                 months=v["months"], start=_month(v["start"]))
        return Response(round_data(allocation_round, detail=True), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("policies/", PolicyList.as_view(), name="api-targeting-policies"),
    path("policies/<int:policy_id>/", PolicyDetail.as_view(), name="api-targeting-policy"),
    path("preview/", AllocationPreview.as_view(), name="api-targeting-preview"),
    path("rounds/", RoundList.as_view(), name="api-targeting-rounds"),
    path("rounds/<int:round_id>/", RoundDetail.as_view(), name="api-targeting-round"),
    path("rounds/<int:round_id>/entries/", RoundEntries.as_view(), name="api-targeting-round-entries"),
    path("rounds/<int:round_id>/approve/", RoundApprove.as_view(), name="api-targeting-round-approve"),
    path("rounds/<int:round_id>/top-up/", RoundTopUp.as_view(), name="api-targeting-round-top-up"),
]
