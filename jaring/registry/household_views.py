"""Household screens: the members step of building a household, and moving a person between
households (with history). Parse, call a selector or service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core import params as qp
from jaring.core.errors import Conflict, NeedsConfirmation, NotFound, ValidationFailed
from jaring.core.money import age_on
from jaring.registry.household_forms import MemberAddForm, MemberRelationshipForm, MoveForm, NewMemberForm
from jaring.registry.household_selectors import person_household_history
from jaring.registry.models import Household, Person
from jaring.registry.selectors import PersonFilters, household_get, household_members, person_get, person_search
from jaring.registry.services import PersonInput, household_move_person, household_register_member

SEARCH_RESULTS = 10


def _household_or_404(request: AuthenticatedHttpRequest, household_id: int) -> Household:
    try:
        return household_get(actor=request.user, household_id=household_id)
    except NotFound:
        raise Http404 from None


def _person_or_404(request: AuthenticatedHttpRequest, person_id: int) -> Person:
    try:
        return person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None


def _service_error(exc: ValidationFailed | Conflict) -> list[str]:
    found = [str(m) for values in (exc.fields or {}).values() for m in values if str(m)]
    return found or [str(exc.message)]


def _errors_form(errors: list[str]) -> forms.Form | None:
    """A form holding only these messages, for the shared error summary partial."""
    if not errors:
        return None
    form = forms.Form(data={})
    for message in errors:
        form.add_error(None, message)
    return form


@capability_required("registry.write")
@personal_data("household.members", object_type="registry.household", id_kwarg="household_id")
def household_members_step(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """Step 2 of building a household (and its "Tambah anggota" page): the members with their
    relationship, a search to add a registered person, a form to register a new member here."""
    household = _household_or_404(request, household_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    new_form = NewMemberForm(request.POST if action == "new" else None, user=request.user)
    warnings: list[str] = []
    add_errors: list[str] = []
    existing_url = None
    if action == "new" and new_form.is_valid():
        try:
            person = household_register_member(
                actor=request.user, household=household, relationship=new_form.cleaned_data["relationship"],
                confirm_warnings=new_form.cleaned_data.get("confirm_warnings", False),
                data=PersonInput.of(**new_form.to_service()))
            messages.success(request, _("%(name)s didaftarkan sebagai anggota keluarga ini.")
                             % {"name": person.full_name})
            return redirect("registry:household_members", household_id=household.pk)
        except NeedsConfirmation as exc:
            warnings = [w["message"] for w in exc.extra.get("warnings", [])]
        except (ValidationFailed, Conflict) as exc:
            existing_url = exc.extra.get("existing_url")
            new_form.add_service_errors(exc.fields or {"nik" if exc.code == "duplicate_nik" else "": [exc.message]})
    elif action in ("add", "relationship"):
        form: MemberAddForm | MemberRelationshipForm = (MemberAddForm if action == "add" else MemberRelationshipForm)(
            request.POST)
        if not form.is_valid():
            add_errors = [_("Pilih hubungan dalam keluarga.")]
        else:
            try:
                person = person_get(actor=request.user, person_id=form.cleaned_data["person"])
                if action == "relationship" and person.household_id != household.pk:
                    raise NotFound(_("Orang tidak ditemukan."))
                change = household_move_person(actor=request.user, person=person, household=household,
                                               relationship=form.cleaned_data["relationship"])
                if change is None:
                    messages.info(request, _("Tidak ada yang berubah."))
                elif action == "add":
                    messages.success(request, _("%(name)s ditambahkan ke keluarga ini.") % {"name": person.full_name})
                else:
                    messages.success(request, _("Hubungan %(name)s dalam keluarga diubah.")
                                     % {"name": person.full_name})
                return redirect("registry:household_members", household_id=household.pk)
            except NotFound:
                add_errors = [_("Orang tidak ditemukan di wilayah Anda.")]
            except (ValidationFailed, Conflict) as exc:
                add_errors = _service_error(exc)
    today = timezone.localdate()
    members = list(household_members(actor=request.user, household=household).select_related("kelurahan"))
    q = qp.text_param(request, "q")
    results: list[Person] = []
    if q:
        results = [p for p in person_search(actor=request.user, filters=PersonFilters(q=q))[:SEARCH_RESULTS]
                   if p.household_id != household.pk]
    preselected = None
    wanted = qp.int_param(request, "orang")
    if wanted:
        try:
            preselected = person_get(actor=request.user, person_id=wanted)
        except NotFound:
            preselected = None
        if preselected is not None and preselected.household_id == household.pk:
            preselected = None
    candidates = ([preselected] if preselected else []) + [p for p in results if p != preselected]
    return render(request, "registry/household_members.html", {
        "nav": "household_new", "household": household, "today": today,
        "members": [(p, age_on(p.birth_date, today)) for p in members],
        "relationships": Person.Relationship.choices, "q": q, "searched": bool(q),
        "candidates": [(p, age_on(p.birth_date, today)) for p in candidates],
        "new_form": new_form, "form": new_form if action == "new" else None,
        "warnings": warnings, "existing_url": existing_url, "add_errors": _errors_form(add_errors),
        "show_new": action == "new" or not members,
    })


@capability_required("registry.write")
@personal_data("person.move_form", object_type="registry.person", id_kwarg="person_id")
def person_move(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Add a person to a household, or move them to another one, by the household's KK number."""
    person = _person_or_404(request, person_id)
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = household_move_person(
                actor=request.user, person=person, kk_number=form.cleaned_data["kk_number"],
                relationship=form.cleaned_data["relationship"], reason=form.cleaned_data["reason"])
            if change is None:
                form.add_error(None, _("%(name)s sudah di keluarga itu dengan hubungan yang sama; tidak ada yang "
                                       "berubah.") % {"name": person.full_name})
            else:
                messages.success(request, _("%(name)s sekarang anggota keluarga KK %(kk)s.")
                                 % {"name": person.full_name, "kk": change.to_household.kk_masked})
                return redirect("registry:household_detail", household_id=change.to_household_id)
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc.fields or {"": [exc.message]})
    return render(request, "registry/person_move.html", {
        "nav": "persons", "form": form, "person": person,
        "history": person_household_history(actor=request.user, person=person)})
