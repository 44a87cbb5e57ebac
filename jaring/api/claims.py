"""API v1 for claims: open (idempotent), read, documents and their scans, outcome, heirs and
scholarship children (idempotent), reports made, submit, settle, reject, deadlines."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.types import AuthenticatedRequest
from jaring.api.idempotency import idempotent
from jaring.api.pagination import PAGE_PARAMETERS, paged, paginate
from jaring.api.people import person_from
from jaring.claims.models import Claim, ClaimChild, ClaimHeir
from jaring.claims.scan_http import FIELD, bound_upload, scan_as_dict, scan_response, scans_of, upload_bytes
from jaring.claims.selectors import claim_as_dict, claim_deadlines_list, claim_get, claim_queryset
from jaring.claims.services import (
    claim_child_add,
    claim_child_update,
    claim_document_received,
    claim_heir_add,
    claim_open,
    claim_outcome,
    claim_reject,
    claim_report_made,
    claim_scan_add,
    claim_scan_open,
    claim_settle,
    claim_submit,
)
from jaring.core import params as p
from jaring.core.context import rules_lang
from jaring.core.errors import NotFound

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
        claim = claim_get(actor=request.user, claim_id=claim_id)
        return Response({**_claim(claim, full=True), "scans": [scan_as_dict(s) for s in scans_of(claim)]})


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


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Claim.Outcome.choices)
    outcome_date = serializers.DateField(required=False, allow_null=True)


class ClaimOutcome(APIView):
    """A work accident's outcome (JKK only) and its day: the stage-II deadline and the estimate follow."""

    capability = "claims.write"

    @extend_schema(request=OutcomeSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_outcome(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                              outcome=v["outcome"], outcome_date=v.get("outcome_date"))
        return Response(_claim(claim))


class HeirSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    relationship = serializers.ChoiceField(choices=ClaimHeir.Relationship.choices)
    nik = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)


class ClaimHeirs(APIView):
    """Add an heir, ranked by the regulation's order; idempotent with ``Idempotency-Key``."""

    capability = "claims.write"

    @extend_schema(request=HeirSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = HeirSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        heir = claim_heir_add(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                              name=v["name"], relationship=v["relationship"], nik=v["nik"], phone=v["phone"])
        return Response({"id": heir.pk, "claim": heir.claim_id, "name": heir.name, "relationship": heir.relationship,
                         "priority": heir.priority, "nik_recorded": bool(heir.nik_index), "phone": heir.phone},
                        status=status.HTTP_201_CREATED)


class ReportSerializer(serializers.Serializer):
    stage = serializers.IntegerField(min_value=1, max_value=2)
    reported_on = serializers.DateField()


class ClaimReports(APIView):
    """The stage-I or stage-II report was made to BPJSTK on ``reported_on``: no longer due."""

    capability = "claims.write"

    @extend_schema(request=ReportSerializer)
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_report_made(actor=request.user, claim=claim_get(actor=request.user, claim_id=claim_id),
                                  stage=v["stage"], reported_on=v["reported_on"])
        return Response(_claim(claim))


class ScanUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG or PDF (by content), at most JARING_CLAIM_SCAN_MAX_BYTES.")


class ScanSerializer(serializers.Serializer):
    """What the API says of a scan (never its bytes: ``url`` serves them)."""

    id = serializers.IntegerField()
    claim = serializers.IntegerField()
    code = serializers.CharField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(allow_null=True)
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField()


class ClaimDocumentScans(APIView):
    """A scan or photo of the checklist item ``code`` (multipart, field ``file``). The same file twice
    is one scan (the first is answered again). The file is held in memory, bounded, never on disk."""

    capability = "claims.write"
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":
            bound_upload(request)  # before authentication, which may read the body for its CSRF check
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ScanUploadSerializer}, responses={201: ScanSerializer})
    def post(self, request: AuthenticatedRequest, claim_id: int, code: str) -> Response:
        claim = claim_get(actor=request.user, claim_id=claim_id)
        data = ScanUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data[FIELD]
        scan = claim_scan_add(actor=request.user, claim=claim, code=code[:40], filename=str(upload.name or ""),
                              data=upload_bytes(upload))
        return Response(scan_as_dict(scan), status=status.HTTP_201_CREATED)


class ClaimScanFile(APIView):
    """A scan's bytes (JPEG, PNG or PDF, inline); every opening is an audited event."""

    capability = "claims.read"

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY, (200, "image/png"): OpenApiTypes.BINARY,
                              (200, "application/pdf"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="Not found, or outside the user's area")})
    def get(self, request: AuthenticatedRequest, scan_id: int) -> HttpResponse:
        scan, data = claim_scan_open(actor=request.user, scan_id=scan_id)
        return scan_response(scan, data)


class ChildSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    level = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                  help_text="TK, SD, SMP, SMA, PT; empty, belum_sekolah or PAUD: not in school yet")
    chosen = serializers.BooleanField(required=False, default=False)


class ChildUpdateSerializer(serializers.Serializer):
    level = serializers.CharField(required=False, allow_blank=True, max_length=20)
    chosen = serializers.BooleanField(required=False)
    ended_on = serializers.DateField(required=False)
    end_reason = serializers.ChoiceField(choices=ClaimChild.EndReason.choices, required=False)


def _child(claim: Claim, child_id: int) -> dict[str, Any]:
    """The child as the claim's detail gives it (in the scholarship's order, with ``taken``), and the
    scholarship's decision."""
    data = _claim(claim, full=True)
    row = next((c for c in data.get("children", []) if c["id"] == child_id), {"id": child_id})
    return {**row, "claim": claim.pk, "scholarship": data.get("scholarship")}


class ClaimChildren(APIView):
    """Name a child for the scholarship of a JKM death or a JKK death or total disability;
    idempotent with ``Idempotency-Key`` (and the same name and birth date again is the same child)."""

    capability = "claims.write"

    @extend_schema(request=ChildSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: AuthenticatedRequest, claim_id: int) -> Response:
        data = ChildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_get(actor=request.user, claim_id=claim_id)
        child = claim_child_add(actor=request.user, claim=claim, name=v["name"], birth_date=v["birth_date"],
                                level=v["level"], chosen=v["chosen"])
        return Response(_child(claim, child.pk), status=status.HTTP_201_CREATED)


class ClaimChildDetail(APIView):
    """Change a scholarship child: its school level, the family's choice, or the end of its
    scholarship (``end_reason`` with ``ended_on``)."""

    capability = "claims.write"

    @extend_schema(request=ChildUpdateSerializer, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request: AuthenticatedRequest, claim_id: int, child_id: int) -> Response:
        data = ChildUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        claim = claim_get(actor=request.user, claim_id=claim_id)
        child = claim.children.filter(pk=child_id).first()
        if child is None:
            raise NotFound(_("Anak tidak ditemukan."))
        claim_child_update(actor=request.user, child=child, level=v.get("level"), chosen=v.get("chosen"),
                           ended_on=v.get("ended_on"), end_reason=v.get("end_reason") or "")
        return Response(_child(claim, child.pk))
