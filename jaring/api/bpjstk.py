"""API v1 for BPJSTK's files mirrored (decision 0035): the review list of rows not applied, and the
reactivation of a collective payer's memberships ended for arrears when its funding came late."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.types import AuthenticatedRequest
from jaring.api.pagination import PAGE_PARAMETERS, paged, paginate
from jaring.contributions.ledger import review_row_as_dict, review_rows
from jaring.contributions.models import StatementImport, StatementReviewRow
from jaring.core import params as p
from jaring.core.errors import NotFound
from jaring.membership.selectors import payer_for
from jaring.membership.services import memberships_reactivate


class ReviewList(PersonalDataMixin, APIView):
    """Rows of BPJSTK's files (payment statement, status, rejections) that were not applied."""

    capability = "bpjstk.exchange"
    audit_action = "bpjstk.review.list"
    audit_object_type = "contributions.statementreviewrow"

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=[*StatementReviewRow.Status.values, "all"],
                                                description="open (default), resolved or all"),
                               OpenApiParameter("kind", str, enum=StatementImport.Kind.values), *PAGE_PARAMETERS],
                   responses=paged("BpjstkReviewPage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        status_ = p.choice_param(request, "status", [*StatementReviewRow.Status.values, "all"])
        kind = p.choice_param(request, "kind", StatementImport.Kind.values)
        rows = review_rows(actor=request.user, status=None if status_ == "all" else status_ or "open",
                           kind=kind or None)
        return paginate(request, self, rows.select_related("statement"), review_row_as_dict,
                        ordering=("-created_at", "-id"))


class ReactivateSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=200, help_text="The document: the SP2D number, the funder's letter")
    ended_from = serializers.DateField(required=False, allow_null=True,
                                       help_text="Only memberships ended on or after this day")
    memberships = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=p.DB_INT_MAX),
                                        required=False, allow_null=True, max_length=100_000,
                                        help_text="Only these memberships")


class PayerReactivate(APIView):
    """Reactivate the payer's memberships ended for arrears (its funding came late): their voided
    dues are open again; then issue and pay the invoices for those months."""

    capability = "money.write"

    @extend_schema(request=ReactivateSerializer)
    def post(self, request: AuthenticatedRequest, code: str) -> Response:
        if p.has_control_chars(code):
            raise NotFound(_("Pembayar tidak ditemukan."))
        payer = payer_for(actor=request.user, code=code, manage=True)
        data = ReactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = memberships_reactivate(actor=request.user, payer=payer, document_reference=v["reference"],
                                        ended_on_from=v.get("ended_from"), membership_ids=v.get("memberships"))
        return Response(result.as_dict())
