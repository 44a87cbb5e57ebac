"""Field-work screens (issue 12), mobile first: the facilitator's worklist (``/kerja/``) with a quick
visit form per person, the visit form and log on a person's page, outreach events
(``/sosialisasi/``) with their attendees and what they brought in, the report per facilitator and
distrik, and the facilitator's home card. Every write is a ``fieldwork.services`` call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.home import HomeCard
from jaring.accounts.reads import personal_data
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.forms import show_refusal
from jaring.core.params import choice_param, code_param, date_param, int_param
from jaring.fieldwork.forms import AttendeeForm, EventForm, VisitForm
from jaring.fieldwork.models import OutreachAttendee, OutreachEvent, Visit
from jaring.fieldwork.selectors import (
    READ,
    WRITE,
    WorkFilter,
    attribution_days,
    conversions,
    event_attendees,
    event_get,
    event_list,
    event_rows,
    facilitator_choices,
    field_summary,
    outreach_report,
    own_person,
    person_visits,
    worklist,
)
from jaring.fieldwork.services import event_attendee_add, event_attendee_remove, event_create, visit_record
from jaring.membership.selectors import person_by_nik_or_404
from jaring.regions.selectors import district_choices, kelurahan_choices
from jaring.registry.models import Person
from jaring.registry.panels import Panel
from jaring.registry.views import person_or_404

WORKLIST_PAGE = 25
EVENTS_PAGE = 25
GROUPS = ("self", "collective", "all")


def _next_url(request: AuthenticatedHttpRequest, default: str) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()) and target.startswith("/"):
        return target
    return default


def _regions(request: AuthenticatedHttpRequest) -> tuple[list[Any], list[Any]]:
    codes = scope_for(request.user).codes
    return list(district_choices(within_codes=codes)), list(kelurahan_choices(within_codes=codes))


# --- Person page panel and home card -------------------------------------------------------------

def visits_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel | None:
    if not can(request.user, READ):
        return None
    return Panel("fieldwork/_person_panel.html", {
        "visits": person_visits(actor=request.user, person=person, limit=5),
        "can_write": can(request.user, WRITE)})


def fieldwork_home_card(request: AuthenticatedHttpRequest) -> HomeCard | None:
    """For those who work in the field: their own coverage, the workers they brought in and kept,
    and this week's to-do. Field workers are the writers with an area smaller than the region, or
    anyone linked to their own person record; the office (the whole city, thousands in arrears,
    imports counted as "registered") has the worklist and the report instead."""
    if not can(request.user, WRITE):
        return None
    if scope_for(request.user).covers_every_kelurahan and own_person(user=request.user) is None:
        return None
    summary = field_summary(user=request.user)
    return HomeCard("fieldwork/_home_card.html", {"summary": summary})


# --- The worklist ---------------------------------------------------------------------------------

@capability_required(READ)
@personal_data("fieldwork.worklist", object_type="registry.person")
def worklist_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The facilitator's week: who lapses first, to do or visited, paged and filtered."""
    today = timezone.localdate()
    districts, kelurahan_list = _regions(request)
    region = code_param(request, "wilayah")
    if region and region not in {r.code for r in [*districts, *kelurahan_list]}:
        region = ""  # outside the area: ignored, never a way to see it
    months = int_param(request, "bulan", low=1, high=12)
    group = choice_param(request, "kelompok", GROUPS, default="self")
    this_week = bool(request.GET.get("minggu_ini"))
    tab = choice_param(request, "tab", ("todo", "visited"), default="todo")
    work = worklist(actor=request.user, today=today, where=WorkFilter(
        region_code=region, months=months, payer_group="" if group == "all" else group, this_week=this_week, tab=tab))
    page = Paginator(work.rows, WORKLIST_PAGE).get_page(request.GET.get("page"))
    rows = work.fill_last_visits(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    tabless = query.copy()
    tabless.pop("tab", None)
    return render(request, "fieldwork/worklist.html", {
        "nav": "work", "rows": rows, "page": page, "work": work, "today": today,
        "week_end": today + dt.timedelta(days=7), "tab": tab, "group": group, "region": region, "months": months,
        "this_week": this_week, "districts": districts,
        "kelurahan_list": kelurahan_list, "query": query.urlencode(), "tabless": tabless.urlencode(),
        "here": request.get_full_path(), "can_write": can(request.user, WRITE),
        "outcomes": Visit.Outcome.choices, "channels": Visit.Channel.choices,
        "filtered": bool(region or months or this_week or group != "self")})


# --- A visit --------------------------------------------------------------------------------------

@capability_required(WRITE)
@personal_data("fieldwork.visit_form", object_type="registry.person", id_kwarg="person_id")
def visit_record_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Record a visit, call or message (from the worklist's quick form or the person's page)."""
    person = person_or_404(request, person_id)
    back = _next_url(request, reverse("registry:person_detail", args=[person.pk]))
    posted = request.method == "POST"
    form = VisitForm(request.POST if posted else None,
                     initial={"visited_on": timezone.localdate(), "channel": Visit.Channel.VISIT})
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            visit_record(actor=request.user, person=person, visited_on=data["visited_on"], outcome=data["outcome"],
                         channel=data["channel"], note=data["note"], promised_on=data["promised_on"])
        except NotFound:
            raise Http404 from None
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Kunjungan ke %(name)s dicatat.") % {"name": person.full_name})
            return redirect(back)
    return render(request, "fieldwork/visit_form.html", {
        "nav": "work", "person": person, "form": form, "next": back,
        "visits": person_visits(actor=request.user, person=person, limit=10)})


# --- Outreach events ------------------------------------------------------------------------------

@capability_required(READ)
@personal_data("outreach.list", object_type="fieldwork.outreachevent")
def event_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    districts, kelurahan_list = _regions(request)
    region = code_param(request, "wilayah")
    if region and region not in {r.code for r in [*districts, *kelurahan_list]}:
        region = ""
    events = event_list(actor=request.user, region_code=region)
    page = Paginator(events, EVENTS_PAGE).get_page(request.GET.get("page"))
    rows = event_rows(events=list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "fieldwork/event_list.html", {
        "nav": "work", "rows": rows, "page": page, "region": region, "districts": districts,
        "kelurahan_list": kelurahan_list, "query": query.urlencode(), "days": attribution_days(),
        "can_write": can(request.user, WRITE)})


@capability_required(WRITE)
def event_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    _districts, kelurahan_list = _regions(request)
    team = facilitator_choices(actor=request.user)
    places = [(k.code, f"{k.name} ({k.parent.name})" if k.parent else k.name) for k in kelurahan_list]
    form = EventForm(request.POST if request.method == "POST" else None, kelurahan=places,
                     facilitators=[(u.username, u.name or u.username) for u in team],
                     initial={"held_on": timezone.localdate(), "attendees_count": 0,
                              "kelurahan": kelurahan_list[0].code if len(kelurahan_list) == 1 else "",
                              "facilitators": [request.user.username]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = set(data.get("facilitators") or [])
        try:
            event = event_create(actor=request.user, held_on=data["held_on"], place=data["place"],
                                 kelurahan_code=data["kelurahan"],
                                 facilitators=[u for u in team if u.username in chosen] or None,
                                 partners=data["partners"], partner_names=data["partner_names"],
                                 attendees_count=data["attendees_count"], note=data["note"])
        except NotFound:
            raise Http404 from None
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc, {"kelurahan_code": "kelurahan", "held_on": "held_on"})
        else:
            messages.success(request, _("Sosialisasi dicatat. Tambahkan yang hadir."))
            return redirect("fieldwork:event_detail", event_id=event.pk)
    return render(request, "fieldwork/event_form.html", {"nav": "work", "form": form})


def _event_or_404(request: AuthenticatedHttpRequest, event_id: int) -> OutreachEvent:
    try:
        return event_get(actor=request.user, event_id=event_id)
    except NotFound:
        raise Http404 from None


def _event_page(request: AuthenticatedHttpRequest, event: OutreachEvent, form: AttendeeForm | None = None,
                status: int = 200) -> HttpResponse:
    days = attribution_days()
    found = conversions(events=[event.pk], days=days).get(event.pk)
    attendees = event_attendees(actor=request.user, event=event)
    converted = found.persons if found else set()
    people = {p.pk: p for p in Person.objects.filter(pk__in=converted).select_related("kelurahan")}
    return render(request, "fieldwork/event_detail.html", {
        "nav": "work", "event": event, "attendees": attendees, "days": days,
        "window_end": event.held_on + dt.timedelta(days=days), "today": timezone.localdate(),
        "registered": [people[i] for i in sorted(found.registered) if i in people] if found else [],
        "enrolled": [people[i] for i in sorted(found.enrolled) if i in people] if found else [],
        "form": form or (AttendeeForm() if can(request.user, WRITE) else None),
        "can_write": can(request.user, WRITE)}, status=status)


@capability_required(READ)
@personal_data("outreach.view", object_type="fieldwork.outreachevent", id_kwarg="event_id")
def event_detail_view(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    return _event_page(request, _event_or_404(request, event_id))


@capability_required(WRITE)
@personal_data("outreach.view", object_type="fieldwork.outreachevent", id_kwarg="event_id")
def event_attendee_view(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    """Add someone who came (by NIK, or a name) or take one back (``remove``: the attendee's id)."""
    event = _event_or_404(request, event_id)
    if request.method != "POST":
        return redirect("fieldwork:event_detail", event_id=event.pk)
    remove = str(request.POST.get("remove", ""))
    if remove:
        attendee = (OutreachAttendee.objects.filter(event=event, pk=int(remove)).first()
                    if remove.isdigit() and len(remove) < 12 else None)
        if attendee is None:
            raise Http404
        event_attendee_remove(actor=request.user, attendee=attendee)
        messages.success(request, _("Peserta dihapus dari daftar hadir."))
        return redirect("fieldwork:event_detail", event_id=event.pk)
    form = AttendeeForm(request.POST)
    if form.is_valid():
        nik, name = form.cleaned_data["nik"].strip(), form.cleaned_data["name"]
        try:
            person = person_by_nik_or_404(actor=request.user, nik=nik) if nik else None
            event_attendee_add(actor=request.user, event=event, person=person, name=name)
        except NotFound as exc:
            form.add_error("nik", str(exc.message))
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Peserta ditambahkan."))
            return redirect("fieldwork:event_detail", event_id=event.pk)
    return _event_page(request, event, form)


@capability_required(READ)
def event_report_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Events and what they brought in, per facilitator and per distrik (counts only)."""
    start = date_param(request, "dari")
    end = date_param(request, "sampai")
    try:
        report = outreach_report(actor=request.user, start=start, end=end)
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        report = outreach_report(actor=request.user, end=end)
    return render(request, "fieldwork/event_report.html", {"nav": "work", "report": report})
