"""API v1 views: parse, call a service or selector, render. Nothing else."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedRequest
from jaring.api import serializers as s
from jaring.api.idempotency import idempotent
from jaring.core import params as p
from jaring.core.errors import NotFound
from jaring.regions.models import Region
from jaring.regions.selectors import region_by_code
from jaring.registry.models import Household, Person
from jaring.registry.selectors import (
    AGE_BANDS,
    PersonFilters,
    PersonResults,
    household_get,
    household_list,
    person_get,
    person_list,
    person_search,
)
from jaring.registry.services import (
    HouseholdInput,
    PersonInput,
    household_create,
    household_update,
    person_register,
    person_update,
)
from jaring.simulator import simulate

_PERSON_FILTERS = [
    OpenApiParameter("q", str, description="Awalan nama atau NIK lengkap"),
    OpenApiParameter("district", str), OpenApiParameter("kelurahan", str),
    OpenApiParameter("occupation", str), OpenApiParameter("sex", str, enum=["M", "F"]),
    OpenApiParameter("age_band", str, enum=["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]),
    OpenApiParameter("decile", int),
    OpenApiParameter("offset", int, description="Dengan q: lewati sekian hasil"),
]


class PersonListCreate(PersonalDataMixin, generics.GenericAPIView):
    capability = {"GET": "registry.read", "POST": "registry.write"}
    audit_action = "person.list"
    audit_object_type = "registry.person"
    serializer_class = s.PersonOutputSerializer
    request: AuthenticatedRequest  # as in the handlers: get_queryset runs after HasCapability

    def _filters(self) -> PersonFilters:
        request = self.request
        return PersonFilters(
            q=p.text_param(request, "q"),
            district=p.code_param(request, "district", pattern=p.REGION_CODE_RE),
            kelurahan=p.code_param(request, "kelurahan", pattern=p.REGION_CODE_RE),
            occupation=p.code_param(request, "occupation"),
            sex=p.choice_param(request, "sex", ["M", "F"]),
            age_band=p.choice_param(request, "age_band", AGE_BANDS),
            decile=p.int_param(request, "decile", low=1, high=10))

    def get_queryset(self) -> QuerySet[Person]:
        return person_list(actor=self.request.user, filters=self._filters())

    @extend_schema(parameters=_PERSON_FILTERS, responses=s.PersonOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        if p.text_param(request, "q"):
            return self._search(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.PersonOutputSerializer(page, many=True).data)

    def _search(self, request: AuthenticatedRequest) -> Response:
        """A name or NIK search pages by offset over the ranked results (``offset``, ``page_size``)."""
        results = person_search(actor=request.user, filters=self._filters())
        offset = p.int_param(request, "offset", default=0, high=PersonResults.COUNT_CAP, clamp=True)
        size = p.int_param(request, "page_size", default=50, low=1, high=200, clamp=True)
        rows = results[offset: offset + size]
        total = results.count()
        def link(new_offset: int) -> str:
            params = request.query_params.copy()
            params["offset"] = str(new_offset)
            params["page_size"] = str(size)
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({
            "next": link(offset + size) if offset + size < total else None,
            "previous": link(max(0, offset - size)) if offset > 0 else None,
            "count": total, "count_is_capped": results.capped,
            "results": s.PersonOutputSerializer(rows, many=True).data,
        })

    @extend_schema(request=s.PersonInputSerializer, responses={201: s.PersonOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = s.PersonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = person_register(actor=request.user, data=PersonInput.of(**data.to_person_fields()),
                                 confirm_warnings=data.validated_data.get("confirm_warnings", False))
        person = person_get(actor=request.user, person_id=person.pk)
        return Response(s.PersonOutputSerializer(person).data, status=status.HTTP_201_CREATED)


class PersonDetail(PersonalDataMixin, APIView):
    capability = {"GET": "registry.read", "PATCH": "registry.write"}
    audit_action = "person.view"
    audit_object_type = "registry.person"
    audit_id_kwarg = "person_id"
    @extend_schema(responses={200: s.PersonOutputSerializer, 302: s.MergedIntoSerializer})
    def get(self, request: AuthenticatedRequest, person_id: int) -> Response:
        try:
            person = person_get(actor=request.user, person_id=person_id)
        except NotFound:
            # A merged record: 302 to the record in use (302, not 301: a merge can be undone), if the
            # caller may see it; else the 404 stands (decision 0042). A PATCH is never redirected.
            from jaring.registry.review_selectors import merged_survivor

            survivor = merged_survivor(actor=request.user, person_id=person_id)
            if survivor is None:
                raise
            return Response({"merged_into": survivor.pk}, status=status.HTTP_302_FOUND,
                            headers={"Location": reverse("api-person", args=[survivor.pk])})
        return Response(s.PersonOutputSerializer(person).data)

    @extend_schema(request=s.PersonPatchSerializer, responses=s.PersonOutputSerializer)
    def patch(self, request: AuthenticatedRequest, person_id: int) -> Response:
        person = person_get(actor=request.user, person_id=person_id)
        data = s.PersonPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person_update(actor=request.user, person=person, data=PersonInput.of(**data.to_person_fields()),
                      confirm_warnings=data.validated_data.get("confirm_warnings", False))
        return Response(s.PersonOutputSerializer(person_get(actor=request.user, person_id=person_id)).data)


class HouseholdListCreate(PersonalDataMixin, generics.GenericAPIView):
    capability = {"GET": "registry.read", "POST": "registry.write"}
    audit_action = "household.list"
    audit_object_type = "registry.household"
    serializer_class = s.HouseholdOutputSerializer
    request: AuthenticatedRequest  # as in the handlers: get_queryset runs after HasCapability

    def get_queryset(self) -> QuerySet[Household]:
        return household_list(actor=self.request.user,
                              kelurahan=p.code_param(self.request, "kelurahan", pattern=p.REGION_CODE_RE))

    @extend_schema(parameters=[OpenApiParameter("kelurahan", str)],
                   responses=s.HouseholdOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            s.HouseholdOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=s.HouseholdInputSerializer, responses={201: s.HouseholdOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = s.HouseholdInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        household = household_create(actor=request.user,
                                     data=HouseholdInput.of(**data.to_household_fields()))
        return Response(s.HouseholdOutputSerializer(household, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class HouseholdDetail(PersonalDataMixin, APIView):
    capability = {"GET": "registry.read", "PATCH": "registry.write"}
    audit_action = "household.view"
    audit_object_type = "registry.household"
    audit_id_kwarg = "household_id"
    @extend_schema(responses=s.HouseholdOutputSerializer)
    def get(self, request: AuthenticatedRequest, household_id: int) -> Response:
        household = household_get(actor=request.user, household_id=household_id)
        return Response(s.HouseholdOutputSerializer(household, context={"request": request}).data)

    @extend_schema(request=s.HouseholdInputSerializer, responses=s.HouseholdOutputSerializer)
    def patch(self, request: AuthenticatedRequest, household_id: int) -> Response:
        household = household_get(actor=request.user, household_id=household_id)
        data = s.HouseholdInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        household = household_update(actor=request.user, household=household,
                                     data=HouseholdInput.of(**data.to_household_fields()))
        return Response(s.HouseholdOutputSerializer(household, context={"request": request}).data)


class RegionList(generics.GenericAPIView):
    capability = "session"
    serializer_class = s.RegionSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("level", str, enum=["province", "city", "district", "kelurahan"]),
                               OpenApiParameter("parent", str)],
                   responses=s.RegionSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        qs = Region.objects.all().order_by("code")
        level = p.choice_param(request, "level", Region.Level.values)
        if level:
            qs = qs.filter(level=level)
        parent = p.code_param(request, "parent", pattern=p.REGION_CODE_RE)
        if parent:
            region = region_by_code(parent)
            qs = qs.filter(parent=region) if region else qs.none()
        return Response(s.RegionSerializer(qs, many=True).data)


class RegionDetail(APIView):
    capability = "session"
    @extend_schema(responses=s.RegionSerializer)
    def get(self, request: AuthenticatedRequest, code: str) -> Response:
        region = region_by_code(p.check_code(code, field="code", pattern=p.REGION_CODE_RE))
        if region is None:
            from jaring.core.errors import NotFound

            raise NotFound("Wilayah tidak ditemukan.")
        return Response(s.RegionSerializer(region).data)


class Me(APIView):
    capability = "session"
    @extend_schema(responses=s.MeSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        regions = {r.code: r for r in Region.objects.filter(code__in=scope_for(user).codes)}
        areas = [{"code": c, "name": regions[c].name if c in regions else c, "level":
                  regions[c].level if c in regions else ""} for c in scope_for(user).codes]
        return Response({"username": user.username, "name": user.name, "role": user.role, "areas": areas})


_CONTRIBUTION_EXAMPLE = {"declared_income_idr": 1000000, "programs": ["JKK", "JKM"], "period": "2026-04",
                         "months": 3, "payer": "self", "sector": "other"}


class ContributionSimulation(APIView):
    """A contribution quote (see ``jaring simulate contribution``). Invalid input → 400 naming the field."""
    capability = "session"


    @extend_schema(request=s.ContributionSimulationSerializer, responses=s.SimulationResultSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        result = simulate.contribution(
            income=data.get("declared_income_idr"), programs=data.get("programs", ["JKK", "JKM"]),
            period=data.get("period"), months=data.get("months", 1), payer=data.get("payer"),
            sector=data.get("sector", "other"))
        return Response(result.to_dict(_lang(request)))


class BenefitSimulation(APIView):
    """A benefit estimate for a case (see ``jaring simulate benefit``)."""
    capability = "session"


    @extend_schema(request=s.BenefitCaseSerializer, responses=s.SimulationResultSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        return Response(simulate.benefit(request.data, as_of=p.date_param(request, "as_of"))
                        .to_dict(_lang(request)))


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" or request.LANGUAGE_CODE == "en" else "id"
