"""API v1 for field work: record a visit (idempotent: the offline outbox sends its own UUID as the
``Idempotency-Key`` and may send it as ``client_id`` too), read the worklist, record and list
outreach events. Here in the API app, beside ``api/claims.py``: it uses the API's idempotency
and pagination, which the fieldwork floor may not import."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.drf import PersonalDataMixin
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedRequest
from jaring.api.idempotency import idempotent
from jaring.api.pagination import PAGE_PARAMETERS, CursorPagination, paged
from jaring.api.people import person_from
from jaring.core import params as p
from jaring.core.errors import ValidationFailed
from jaring.fieldwork.models import NOTE_MAX, OutreachEvent, Visit
from jaring.fieldwork.selectors import (
    READ,
    WRITE,
    WorkFilter,
    event_as_dict,
    event_list,
    event_rows,
    facilitator_choices,
    visit_as_dict,
    worklist,
)
from jaring.fieldwork.services import MAX_ATTENDEES, event_attendee_add, event_create, visit_record

WORKLIST_PAGE = 25
MAX_API_ATTENDEES = 500


class VisitSerializer(serializers.Serializer):
    person = serializers.IntegerField(required=False, min_value=1, max_value=p.DB_INT_MAX)
    nik = serializers.CharField(required=False, max_length=40)
    visited_on = serializers.DateField()
    outcome = serializers.ChoiceField(choices=Visit.Outcome.choices)
    channel = serializers.ChoiceField(choices=Visit.Channel.choices, default=Visit.Channel.VISIT)
    promised_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX,
                                 trim_whitespace=True)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class VisitCreate(APIView):
    capability = WRITE

    @extend_schema(request=VisitSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = VisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        visit = visit_record(actor=request.user, person=person_from(request, v), visited_on=v["visited_on"],
                             outcome=v["outcome"], channel=v["channel"], note=v["note"],
                             promised_on=v.get("promised_on"), client_id=v.get("client_id"))
        return Response(visit_as_dict(visit), status=status.HTTP_201_CREATED)


class Worklist(PersonalDataMixin, APIView):
    capability = READ
    audit_action = "fieldwork.worklist"
    audit_object_type = "registry.person"

    @extend_schema(parameters=[
        OpenApiParameter("tab", str, enum=["todo", "visited"], description="default: todo"),
        OpenApiParameter("region", str, description="a kelurahan or distrik code of your area"),
        OpenApiParameter("months", int, description="months behind (1-12)"),
        OpenApiParameter("payer", str, enum=["self", "collective", "all"], description="default: self"),
        OpenApiParameter("this_week", bool, description="only those who lapse within seven days"),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="at most 100; default 25"),
    ], responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        region = p.code_param(request, "region", pattern=p.REGION_CODE_RE)
        if region and not scope_for(request.user).contains_code(region):
            region = "-"  # outside the area: nothing, never a way to see it
        group = p.choice_param(request, "payer", ("self", "collective", "all"), default="self")
        this_week = p.choice_param(request, "this_week", ("true", "false", "1", "0"), default="false")
        work = worklist(actor=request.user, where=WorkFilter(
            region_code=region, months=p.int_param(request, "months", low=1, high=12),
            payer_group="" if group == "all" else group, this_week=this_week in ("true", "1"),
            tab=p.choice_param(request, "tab", ("todo", "visited"), default="todo")))
        size = p.int_param(request, "page_size", default=WORKLIST_PAGE, low=1, high=100, clamp=True)
        pages = max(1, -(-len(work.rows) // size))
        number = p.int_param(request, "page", default=1, low=1, high=p.DB_INT_MAX, clamp=True)
        number = min(number, pages)
        rows = work.fill_last_visits(work.rows[(number - 1) * size:number * size])

        def link(n: int) -> str | None:
            if not 1 <= n <= pages or n == number:
                return None
            query = request.query_params.copy()
            query["page"] = str(n)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return Response({"count": len(work.rows), "todo": work.todo, "visited": work.visited,
                         "lapsing_this_week": work.lapsing_this_week, "page": number, "pages": pages,
                         "next": link(number + 1), "previous": link(number - 1),
                         "results": [r.as_dict() for r in rows]})


class AttendeeSerializer(serializers.Serializer):
    person = serializers.IntegerField(required=False, min_value=1, max_value=p.DB_INT_MAX)
    nik = serializers.CharField(required=False, max_length=40)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)


class EventSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    kelurahan_code = serializers.RegexField(p.REGION_CODE_RE, max_length=20)
    facilitators = serializers.ListField(child=serializers.CharField(max_length=150), required=False,
                                         max_length=10, default=list)
    partners = serializers.ListField(child=serializers.ChoiceField(choices=OutreachEvent.Partner.choices),
                                     required=False, max_length=10, default=list)
    partner_names = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    attendees_count = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_ATTENDEES)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    client_id = serializers.UUIDField(required=False, allow_null=True)
    # DRF passes max_length to the list (ListSerializer); its stubs do not know the argument.
    attendees = AttendeeSerializer(many=True, required=False, default=list, max_length=MAX_API_ATTENDEES)  # type: ignore[call-arg]


def _facilitators(actor: User, usernames: list[str]) -> list[User] | None:
    if not usernames:
        return None
    known = {u.username: u for u in facilitator_choices(actor=actor)}
    unknown = [name for name in usernames if name not in known]
    if unknown:
        raise ValidationFailed("unknown facilitators", fields={"facilitators": unknown})
    return [known[name] for name in usernames]


class OutreachEvents(PersonalDataMixin, APIView):
    capability = {"GET": READ, "POST": WRITE}
    audit_action = "outreach.list"
    audit_object_type = "fieldwork.outreachevent"

    @extend_schema(parameters=[OpenApiParameter("region", str, description="a kelurahan or distrik code"),
                               OpenApiParameter("from", str, description="YYYY-MM-DD"),
                               OpenApiParameter("to", str, description="YYYY-MM-DD"), *PAGE_PARAMETERS],
                   responses=paged("OutreachEventPage"))
    def get(self, request: AuthenticatedRequest) -> Response:
        events = event_list(actor=request.user, region_code=p.code_param(request, "region", pattern=p.REGION_CODE_RE),
                            start=p.date_param(request, "from"), end=p.date_param(request, "to"))

        paginator = CursorPagination()
        paginator.ordering = ("-held_on", "-id")  # type: ignore[assignment]
        page: list[OutreachEvent] = paginator.paginate_queryset(events, request, view=self) or []
        rows = event_rows(events=page)  # the page's figures in a fixed number of queries
        return paginator.get_paginated_response([
            event_as_dict(r.event, named=r.named, registered=r.registered, enrolled=r.enrolled) for r in rows])

    @extend_schema(request=EventSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        data = EventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with transaction.atomic():
            event = event_create(actor=request.user, held_on=v["held_on"], place=v["place"],
                                 kelurahan_code=v["kelurahan_code"],
                                 facilitators=_facilitators(request.user, v["facilitators"]), partners=v["partners"],
                                 partner_names=v["partner_names"], attendees_count=v["attendees_count"],
                                 note=v["note"], client_id=v.get("client_id"))
            for index, attendee in enumerate(v["attendees"]):
                if not (attendee.get("person") or attendee.get("nik") or attendee.get("name")):
                    raise ValidationFailed("person, nik or name is required",
                                           fields={f"attendees.{index}": ["required"]})
                person = person_from(request, attendee) if attendee.get("person") or attendee.get("nik") else None
                event_attendee_add(actor=request.user, event=event, person=person, name=attendee.get("name", ""))
        event.refresh_from_db()
        return Response(event_as_dict(event, named=event.attendees.count()), status=status.HTTP_201_CREATED)
