"""API v1 for payers, memberships, dues, payments, invoices and coverage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.types import AuthenticatedRequest
from jaring.api.idempotency import idempotent
from jaring.api.pagination import PAGE_PARAMETERS, paged, paginate
from jaring.api.people import person_from
from jaring.contributions.models import Due, Invoice, Payment
from jaring.contributions.selectors import coverage_strip, invoice_as_dict, membership_months, protection
from jaring.contributions.services import INVOICE_BLOCKS, invoice_issue, invoice_pay, payment_record
from jaring.core import params as p
from jaring.core.context import rules_lang
from jaring.core.errors import NotFound
from jaring.core.money import format_month
from jaring.membership.models import FundingSource, Membership, Payer
from jaring.membership.selectors import membership_queryset, payer_for, payers_visible
from jaring.membership.services import membership_enrol, payer_create
from jaring.registry.selectors import person_get


class PayerSerializer(serializers.Serializer):
    code = serializers.RegexField(p.PAYER_CODE_RE.pattern, max_length=32)
    name = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=Payer.Kind.choices)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, required=False, allow_null=True,
                                             help_text="Whose money; default: the kind's usual one.")
    wadah_code = serializers.CharField(required=False, allow_blank=True, default="")
    region_code = serializers.CharField(required=False, allow_blank=True, allow_null=True)


def _payer(p: Payer) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "kind": p.kind, "funding_source": p.funding_source,
            "wadah_code": p.wadah_code,
            "region_code": p.region.code if p.region else None}


def _membership(m: Membership, *, months: bool = False) -> dict[str, Any]:
    data = {"id": m.pk, "person": m.person_id, "payer": m.payer.code, "programs": [p.upper() for p in m.programmes],
            "declared_income_idr": m.declared_income_idr, "sector": m.sector, "kpj": m.kpj, "status": m.status,
            "start_date": m.start_date.isoformat(), "end_reason": m.end_reason or None,
            "ended_on": m.ended_on.isoformat() if m.ended_on else None}
    if months:
        data["months"] = membership_months(membership=m)
    return data


class PayerList(APIView):
    capability = {"GET": "money.read", "POST": "payers.manage"}
    @extend_schema(responses=PayerSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        payers = payers_visible(actor=request.user).select_related("region").order_by("code")
        return Response([_payer(p) for p in payers])

    @extend_schema(request=PayerSerializer, responses={201: PayerSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PayerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        payer = payer_create(actor=request.user, code=v["code"], name=v["name"], kind=v["kind"],
                             wadah_code=v.get("wadah_code", ""), region_code=v.get("region_code"),
                             funding_source=v.get("funding_source"))
        return Response(_payer(payer), status=status.HTTP_201_CREATED)


class EnrolSerializer(serializers.Serializer):
    person = serializers.IntegerField(required=False)
    nik = serializers.CharField(required=False)
    payer = serializers.CharField()
    programs = serializers.ListField(child=serializers.CharField(), default=["JKK", "JKM"])
    declared_income_idr = serializers.IntegerField(min_value=1)
    start_date = serializers.DateField()
    kpj = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                help_text="KPJ, 11 digits: BPJSTK already holds this membership (active at once).")


class MembershipList(PersonalDataMixin, APIView):
    capability = {"GET": "coverage.read", "POST": "membership.enrol"}
    audit_action = "membership.list"
    audit_object_type = "membership.membership"
    @extend_schema(parameters=[OpenApiParameter("payer", str),
                               OpenApiParameter("status", str, enum=Membership.Status.values),
                               OpenApiParameter("person", int), *PAGE_PARAMETERS],
                   responses=paged("MembershipPage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        qs = membership_queryset(actor=request.user).select_related("payer", "person")  # kpj is the person's
        payer = p.code_param(request, "payer")
        if payer:
            qs = qs.filter(payer__code=payer)
        status_ = p.choice_param(request, "status", Membership.Status.values)
        if status_:
            qs = qs.filter(status=status_)
        person = p.int_param(request, "person", low=1)
        if person is not None:
            qs = qs.filter(person_id=person)
        return paginate(request, self, qs, _membership)

    @extend_schema(request=EnrolSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = EnrolSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        person = person_from(request, v)
        payer = payer_for(actor=request.user, code=v["payer"])
        membership = membership_enrol(actor=request.user, person=person, payer=payer,
                                      programs=v["programs"], declared_income_idr=v["declared_income_idr"],
                                      start_date=v["start_date"], kpj=v.get("kpj") or None)
        return Response(_membership(membership), status=status.HTTP_201_CREATED)


class MembershipDetail(PersonalDataMixin, APIView):
    capability = "coverage.read"
    audit_action = "membership.view"
    audit_object_type = "membership.membership"
    audit_id_kwarg = "membership_id"
    def get(self, request: AuthenticatedRequest, membership_id: int) -> Response:
        membership = (membership_queryset(actor=request.user).select_related("payer", "person")
                      .filter(pk=membership_id).first())
        if membership is None:
            raise NotFound("Kepesertaan tidak ditemukan.")
        return Response(_membership(membership, months=True))


class PaymentSerializer(serializers.Serializer):
    membership = serializers.IntegerField()
    amount_idr = serializers.IntegerField()
    paid_on = serializers.DateField()
    channel = serializers.ChoiceField(choices=Payment.Channel.choices, default=Payment.Channel.OTHER)
    reference = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentCreate(APIView):
    capability = "payment.record"
    @extend_schema(request=PaymentSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        membership = membership_queryset(actor=request.user).filter(pk=v["membership"]).first()
        if membership is None:
            raise NotFound("Kepesertaan tidak ditemukan.")
        result = payment_record(actor=request.user, membership=membership, amount_idr=v["amount_idr"],
                                paid_on=v["paid_on"], channel=v["channel"], reference=v["reference"])
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class DueList(PersonalDataMixin, APIView):
    capability = "coverage.read"
    audit_action = "due.list"
    audit_object_type = "contributions.due"
    @extend_schema(parameters=[OpenApiParameter("membership", int), OpenApiParameter("period", str),
                               *PAGE_PARAMETERS], responses=paged("DuePage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        qs = Due.objects.filter(membership__in=membership_queryset(actor=request.user))
        membership = p.int_param(request, "membership", low=1)
        if membership is not None:
            qs = qs.filter(membership_id=membership)
        period = p.month_param(request, "period")
        if period is not None:
            qs = qs.filter(period=period)
        return paginate(request, self, qs, _due, ordering=("period", "id"))


def _due(d: Due) -> dict[str, Any]:
    return {"id": d.pk, "membership": d.membership_id, "period": format_month(d.period),
            "amount_idr": d.amount_idr, "base_amount_idr": d.base_amount_idr,
            "discount": d.discount_code or None, "due_date": d.due_date.isoformat(), "status": d.status,
            "paid_on": d.paid_on.isoformat() if d.paid_on else None}


def _month(text: str) -> dt.date:
    return p.check_month(text, field="period")


class InvoicePaySerializer(serializers.Serializer):
    payer = serializers.CharField()
    period = serializers.CharField(help_text="YYYY-MM: the invoice's first month")
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, help_text="The SP2D or transfer reference")
    amount_idr = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          help_text="Rupiah paid; omitted: all that is outstanding. Whole dues "
                                                    "are paid, oldest month first.")


class InvoiceIssueSerializer(serializers.Serializer):
    payer = serializers.CharField()
    period = serializers.CharField(help_text="YYYY-MM: the first month")
    months = serializers.ChoiceField(choices=list(INVOICE_BLOCKS), default=1,
                                     help_text="1, or a block: 3 (quarter), 6 (semester), 12 (year)")


def _invoice(i: Invoice) -> dict[str, Any]:
    return {**invoice_as_dict(i), "member_count": i.member_count}


class InvoiceList(APIView):
    capability = "money.read"
    @extend_schema(parameters=[OpenApiParameter("payer", str), *PAGE_PARAMETERS], responses=paged("InvoicePage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        qs = Invoice.objects.select_related("payer")
        payer = p.code_param(request, "payer")
        if payer:
            qs = qs.filter(payer__code=payer)
        return paginate(request, self, qs, _invoice, ordering=("-period", "-id"))


class InvoiceIssue(APIView):
    capability = "money.write"

    @extend_schema(request=InvoiceIssueSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = InvoiceIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        payer = payer_for(actor=request.user, code=v["payer"], manage=True)
        invoice = invoice_issue(actor=request.user, payer=payer, period=_month(v["period"]),
                                months=int(v["months"]))
        return Response(_invoice(invoice), status=status.HTTP_201_CREATED)


class InvoicePay(APIView):
    capability = "money.write"

    @extend_schema(request=InvoicePaySerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = InvoicePaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        payer = payer_for(actor=request.user, code=v["payer"], manage=True)
        invoice = invoice_pay(actor=request.user, payer=payer, period=_month(v["period"]),
                              paid_on=v["paid_on"], reference=v["reference"], amount_idr=v.get("amount_idr"))
        return Response(_invoice(invoice))


class PersonCoverage(PersonalDataMixin, APIView):
    capability = "coverage.read"
    audit_action = "person.coverage"
    audit_object_type = "registry.person"
    audit_id_kwarg = "person_id"
    @extend_schema(parameters=[OpenApiParameter("months", int)])
    def get(self, request: AuthenticatedRequest, person_id: int) -> Response:
        person = person_get(actor=request.user, person_id=person_id)
        months = p.int_param(request, "months", default=24, low=1, high=60, clamp=True)
        return Response([{"period": m.label, "status": m.status, "amount_idr": m.amount_idr,
                          "discounted": m.discounted, "payer": m.payer,
                          "paid_on": m.paid_on.isoformat() if m.paid_on else None}
                         for m in coverage_strip(person=person, months=months)])


class PersonProtection(PersonalDataMixin, APIView):
    """Is the person protected on a day (``as_of``, today by default)? The one definition of
    ``rules.protection``, as the person page, the dashboard and ``jaring membership show`` read it."""

    capability = "coverage.read"
    audit_action = "person.protection"
    audit_object_type = "registry.person"
    audit_id_kwarg = "person_id"

    @extend_schema(parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD")])
    def get(self, request: AuthenticatedRequest, person_id: int) -> Response:
        person = person_get(actor=request.user, person_id=person_id)
        return Response(protection(person=person, day=p.date_param(request, "as_of")).to_dict(rules_lang()))
