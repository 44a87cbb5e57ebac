"""API v1 for claims: open (idempotent), read, documents, submit, settle, reject, deadlines."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.types import AuthenticatedRequest
from jaring.api.idempotency import idempotent
from jaring.api.pagination import PAGE_PARAMETERS, paged, paginate
from jaring.api.people import person_from
from jaring.claims.models import Claim
from jaring.claims.selectors import claim_as_dict, claim_deadlines_list, claim_get, claim_queryset
from jaring.claims.services import (
    claim_document_received,
    claim_open,
    claim_reject,
    claim_settle,
    claim_submit,
)
from jaring.core import params as p
from jaring.core.context import rules_lang

MAX_IDR = 10**13  # far above any benefit: a larger figure is a typing error, not a claim


def _claim(claim: Claim, *, full: bool = False) -> dict[str, Any]:
    return claim_as_dict(claim, lang=rules_lang(), full=full)


class ClaimOpenSerializer(serializers.Serializer):
    person = serializers.IntegerField(required=False, min_value=1, max_value=p.DB_INT_MAX)
    nik = serializers.CharField(required=False, max_length=40)
    type = serializers.ChoiceField(choices=Claim.Type.choices)
    event_date = serializers.DateField()
    event_place = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    chronology = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    outcome = serializers.ChoiceField(choices=Claim.Outcome.choices, required=False, allow_blank=True, default="")
    outcome_date = serializers.DateField(required=False, allow_null=True)
    reported_by = serializers.ChoiceField(choices=Claim.ReportedBy.choices, required=False, allow_null=True)


class ClaimListCreate(PersonalDataMixin, APIView):
    capability = {"GET": "claims.read", "POST": "claims.write"}
    audit_action = "claim.list"
    audit_object_type = "claims.claim"

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Claim.Status.values),
                               OpenApiParameter("type", str, enum=Claim.Type.values),
                               OpenApiParameter("person", int), *PAGE_PARAMETERS], responses=paged("ClaimPage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        qs = claim_queryset(actor=request.user).select_related("person").prefetch_related("documents")
        status_ = p.choice_param(request, "status", Claim.Status.values)
        if status_:
            qs = qs.filter(status=status_)
        type_ = p.choice_param(request, "type", Claim.Type.values)
        if type_:
            qs = qs.filter(type=type_)
        person = p.int_param(request, "person", low=1)
        if person is not None:
            qs = qs.filter(person_id=person)
        return paginate(request, self, qs, _claim, ordering=("-id",))

    @extend_schema(request=ClaimOpenSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = ClaimOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        person = person_from(request, v)
        claim = claim_open(actor=request.user, person=person, type=v["type"], event_date=v["event_date"],
                           event_place=v["event_place"], chronology=v["chronology"],
                           reported_by=v.get("reported_by") or None, outcome=v.get("outcome") or "",
                           outcome_date=v.get("outcome_date"))
        return Response(_claim(claim), status=status.HTTP_201_CREATED)


class ClaimDetail(PersonalDataMixin, APIView):
    capability = "claims.read"
    audit_action = "claim.view"
    audit_object_type = "claims.claim"
    audit_id_kwarg = "claim_id"

    def get(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        return Response(_claim(claim_get(actor=request.user, claim_id=claim_id), full=True))


class DocumentSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    received_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ClaimDocumentReceived(APIView):
    capability = "claims.write"

    @extend_schema(request=DocumentSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = DocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_document_received(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                                        code=v["code"], received_on=v["received_on"], note=v["note"])
        return Response(_claim(claim))


class SubmitSerializer(serializers.Serializer):
    bpjstk_number = serializers.CharField(max_length=40)
    submitted_on = serializers.DateField(required=False, allow_null=True)


class ClaimSubmit(APIView):
    capability = "claims.office"

    @extend_schema(request=SubmitSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_submit(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                             bpjstk_number=v["bpjstk_number"], submitted_on=v.get("submitted_on"))
        return Response(_claim(claim))


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    amount_idr = serializers.IntegerField(min_value=0, max_value=MAX_IDR)


class SettleSerializer(serializers.Serializer):
    paid_idr = serializers.IntegerField(min_value=0, max_value=MAX_IDR)
    paid_on = serializers.DateField()
    items = ItemSerializer(many=True, required=False)


class ClaimSettle(APIView):
    capability = "claims.office"

    @extend_schema(request=SettleSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = SettleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_settle(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                             paid_idr=v["paid_idr"], paid_on=v["paid_on"], items=v.get("items") or None)
        return Response(_claim(claim, full=True))


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ClaimReject(APIView):
    capability = "claims.office"

    @extend_schema(request=RejectSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = claim_reject(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                             reason=data.validated_data["reason"])
        return Response(_claim(claim))


class ClaimDeadlines(PersonalDataMixin, APIView):
    """The open claims of the user's area with their next deadline, overdue first."""

    capability = "claims.read"
    audit_action = "claim.deadlines"
    audit_object_type = "claims.claim"

    @extend_schema(parameters=[OpenApiParameter("today", str, description="YYYY-MM-DD; default: today")])
    def get(self, request: AuthenticatedRequest) -> Response:
        today = p.date_param(request, "today") or timezone.localdate()
        return Response([row.as_dict(today) for row in claim_deadlines_list(actor=request.user, today=today)])
