"""Registry screens: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core import params as qp
from jaring.core.errors import Conflict, NeedsConfirmation, NotFound, PermissionDenied, ValidationFailed
from jaring.core.money import age_on
from jaring.core.trail import ObjectHistory, history_for
from jaring.regions.selectors import district_choices, kelurahan_choices
from jaring.registry.forms import HouseholdForm, KkChangeForm, NikChangeForm, PersonForm, occupation_choices
from jaring.registry.household_selectors import household_history
from jaring.registry.models import Person
from jaring.registry.panels import panels_for
from jaring.registry.selectors import (
    AGE_BANDS,
    PersonFilters,
    household_get,
    household_members,
    person_get,
    person_search,
)
from jaring.registry.services import (
    HouseholdInput,
    PersonInput,
    household_update,
    person_register,
    person_update,
)
from jaring.registry.services import (
    household_change_kk as household_change_kk_service,
)
from jaring.registry.services import (
    household_create as household_create_service,
)
from jaring.registry.services import (
    household_reveal_kk as household_reveal_kk_service,
)
from jaring.registry.services import (
    person_change_nik as person_change_nik_service,
)
from jaring.registry.services import (
    person_reveal_nik as person_reveal_nik_service,
)

PAGE_SIZE = 25


def person_or_404(request: AuthenticatedHttpRequest, person_id: int) -> Any:
    """The person of the user's area, or 404 (a page never tells what lies outside the area)."""
    try:
        return person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None


def _household_or_404(request: AuthenticatedHttpRequest, household_id: int) -> Any:
    try:
        return household_get(actor=request.user, household_id=household_id)
    except NotFound:
        raise Http404 from None



@capability_required("registry.read")
@personal_data("person.list", object_type="registry.person")
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    params = request.GET
    filters = PersonFilters(
        q=qp.text_param(request, "q"),
        district=qp.code_param(request, "district", pattern=qp.REGION_CODE_RE),
        kelurahan=qp.code_param(request, "kelurahan", pattern=qp.REGION_CODE_RE),
        occupation=qp.code_param(request, "occupation"), sex=qp.choice_param(request, "sex", ["M", "F"]),
        age_band=qp.choice_param(request, "age_band", AGE_BANDS),
        decile=qp.int_param(request, "decile", low=1, high=10))
    results = person_search(actor=request.user, filters=filters)
    # Stub gap: django-stubs wants the list iterable and int-indexable, but Paginator only counts
    # and slices it, which is all PersonResults offers.
    paginator: Paginator[Person] = Paginator(results, PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(params.get("page"))
    today = timezone.localdate()
    rows = [(p, age_on(p.birth_date, today)) for p in page.object_list]
    codes = scope_for(request.user).codes
    query = params.copy()
    query.pop("page", None)
    context = {
        "nav": "persons", "filters": filters, "page": page, "rows": rows, "total": results.count(),
        "capped": results.capped, "approximate": results.approximate, "query": query.urlencode(),
        "districts": district_choices(within_codes=codes),
        "kelurahan_list": kelurahan_choices(within_codes=codes),
        "occupations": occupation_choices()[1:], "age_bands": [(k, v[2]) for k, v in AGE_BANDS.items()],
        "deciles": range(1, 11), "filtered": any([filters.district, filters.kelurahan, filters.occupation,
                                                  filters.sex, filters.age_band, filters.decile]),
    }
    template = "registry/_person_rows.html" if request.headers.get("HX-Request") else "registry/person_list.html"
    return render(request, template, context)


@capability_required("registry.read")
@personal_data("person.view", object_type="registry.person", id_kwarg="person_id")
def person_detail(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    try:
        person = person_get(actor=request.user, person_id=person_id)
    except NotFound:
        # A merged record's old address leads to the record in use, if the user may see it (decision 0042).
        from jaring.registry.review_selectors import merged_survivor

        survivor = merged_survivor(actor=request.user, person_id=person_id)
        if survivor is None:
            raise Http404 from None
        messages.info(request, _("Data ini sudah digabung ke %(name)s.") % {"name": survivor.full_name})
        return redirect(survivor)
    members = household_members(actor=request.user, household=person.household) if person.household else []
    return render(request, "registry/person_detail.html", {
        "nav": "persons", "person": person, "members": members,
        "age": age_on(person.birth_date, timezone.localdate()), "panels": panels_for(request, person),
        "history": _person_history(request, person),
    })


def _person_history(request: AuthenticatedHttpRequest, person: Person) -> ObjectHistory | None:
    """The person's own events (registry.person) for a user holding ``history.read``; their memberships'
    events are in the membership panel, a claim's on the claim's page."""
    return history_for(request, "registry.person", [person.pk], allowed=can(request.user, "history.read"))


@capability_required("nik.reveal")
@require_POST
def person_reveal_nik(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    nik = person_reveal_nik_service(actor=request.user, person=person, reason=request.POST.get("reason", ""))
    if request.headers.get("HX-Request"):
        return render(request, "registry/_nik_revealed.html", {"nik": nik})
    members = household_members(actor=request.user, household=person.household) if person.household else []
    return render(request, "registry/person_detail.html", {
        "nav": "persons", "person": person, "members": members, "revealed_nik": nik,
        "age": age_on(person.birth_date, timezone.localdate()), "panels": panels_for(request, person),
        "history": _person_history(request, person),
    })


def _person_form_view(request: AuthenticatedHttpRequest, *, person: Any = None) -> HttpResponse:
    editing = person is not None
    initial = {}
    if editing:
        initial = {
            "full_name": person.full_name, "sex": person.sex, "birth_place": person.birth_place,
            "birth_date": person.birth_date, "kelurahan": person.kelurahan.code, "relationship": person.relationship,
            "phone": person.phone, "occupation": person.occupation.code if person.occupation_id else "",
            "declared_income_idr": person.declared_income_idr, "disability": person.disability,
            "consent_basis": person.consent_basis, "consent_date": person.consent_date,
        }
    form = PersonForm(request.POST or None, initial=initial, user=request.user, editing=editing)
    warnings: list[str] = []
    existing_url = None
    if request.method == "POST" and form.is_valid():
        confirm = form.cleaned_data.get("confirm_warnings", False)
        try:
            if editing:
                saved = person_update(actor=request.user, person=person, confirm_warnings=confirm,
                                      data=PersonInput.of(**form.to_service(only_changed=True)))
                messages.success(request, _("Perubahan data %(name)s disimpan.") % {"name": saved.full_name})
            else:
                saved = person_register(actor=request.user, confirm_warnings=confirm,
                                        data=PersonInput.of(**form.to_service()))
                messages.success(request, _("%(name)s terdaftar.") % {"name": saved.full_name})
            return redirect(saved.get_absolute_url())
        except NeedsConfirmation as exc:
            warnings = [w["message"] for w in exc.extra.get("warnings", [])]
        except ValidationFailed as exc:
            form.add_refusal(exc)
        except Conflict as exc:
            existing_url = exc.extra.get("existing_url")
            form.add_error("nik" if exc.code == "duplicate_nik" else None, str(exc.message))
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
    return render(request, "registry/person_form.html", {
        "nav": "register" if not editing else "persons", "form": form, "person": person, "editing": editing,
        "warnings": warnings, "existing_url": existing_url,
    })


@capability_required("registry.write")
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _person_form_view(request)


@capability_required("registry.write")
@personal_data("person.edit_form", object_type="registry.person", id_kwarg="person_id")
def person_edit(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    return _person_form_view(request, person=person_or_404(request, person_id))


@capability_required("registry.write")
@personal_data("person.change_nik_form", object_type="registry.person", id_kwarg="person_id")
def person_change_nik(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Change a person's NIK: the old one shown only through the audited reveal (a button on this page,
    also without JavaScript), the new one checked as at registration and recorded masked."""
    person = person_or_404(request, person_id)
    form = NikChangeForm(request.POST if request.method == "POST" and "reveal" not in request.POST else None)
    revealed_nik = None
    warnings: list[str] = []
    existing_url = None
    if request.method == "POST" and "reveal" in request.POST:
        revealed_nik = person_reveal_nik_service(actor=request.user, person=person, reason=_("Ubah NIK"))
    elif request.method == "POST" and form.is_valid():
        try:
            saved = person_change_nik_service(
                actor=request.user, person=person, nik=form.cleaned_data["nik"],
                reason=form.cleaned_data["reason"], confirm_warnings=form.cleaned_data["confirm_warnings"])
            messages.success(request, _("NIK %(name)s diubah; NIK baru belum diverifikasi Dukcapil.")
                             % {"name": saved.full_name})
            return redirect(saved.get_absolute_url())
        except NeedsConfirmation as exc:
            warnings = [w["message"] for w in exc.extra.get("warnings", [])]
        except ValidationFailed as exc:
            form.add_refusal(exc)
        except Conflict as exc:
            existing_url = exc.extra.get("existing_url")
            form.add_error("nik", str(exc.message))
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
    return render(request, "registry/person_nik_form.html", {
        "nav": "persons", "form": form, "person": person, "revealed_nik": revealed_nik,
        "warnings": warnings, "existing_url": existing_url})


@capability_required("registry.read")
@personal_data("household.view", object_type="registry.household", id_kwarg="household_id")
def household_detail(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    household = _household_or_404(request, household_id)
    today = timezone.localdate()
    members = [(p, age_on(p.birth_date, today)) for p in household_members(actor=request.user, household=household)]
    return render(request, "registry/household_detail.html", {
        "nav": "persons", "household": household, "members": members,
        "history": household_history(actor=request.user, household=household),
        "changes": history_for(request, "registry.household", [household.pk],
                               allowed=can(request.user, "history.read"))})


def _household_form_view(request: AuthenticatedHttpRequest, *, household: Any = None) -> HttpResponse:
    editing = household is not None
    initial = {}
    if editing:
        initial = {"address": household.address,
                   "kelurahan": household.kelurahan.code, "welfare_decile": household.welfare_decile,
                   "decile_source": household.decile_source, "decile_date": household.decile_date,
                   "pkh_beneficiary": household.pkh_beneficiary}
    form = HouseholdForm(request.POST or None, initial=initial, user=request.user, editing=editing)
    if request.method == "POST" and form.is_valid():
        try:
            if editing:
                saved = household_update(actor=request.user, household=household,
                                         data=HouseholdInput.of(**form.to_service(only_changed=True)))
            else:
                saved = household_create_service(actor=request.user, data=HouseholdInput.of(**form.to_service()))
            messages.success(request, _("Data keluarga disimpan."))
            if not editing:  # step 2: its members (a person the user came from is offered first)
                url = reverse("registry:household_members", args=[saved.pk])
                wanted = qp.int_param(request, "orang")
                return redirect(f"{url}?orang={wanted}" if wanted else url)
            return redirect("registry:household_detail", household_id=saved.pk)
        except (ValidationFailed, Conflict) as exc:
            form.add_refusal(exc)
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
    return render(request, "registry/household_form.html", {
        "nav": "persons" if editing else "household_new", "form": form, "household": household, "editing": editing})


@capability_required("registry.write")
def household_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _household_form_view(request)


@capability_required("registry.write")
@personal_data("household.edit_form", object_type="registry.household", id_kwarg="household_id")
def household_edit(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    return _household_form_view(request, household=_household_or_404(request, household_id))


@capability_required("registry.write")
@personal_data("household.change_kk_form", object_type="registry.household", id_kwarg="household_id")
def household_change_kk(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """Change a household's KK number; the old one shown only through the audited reveal."""
    household = _household_or_404(request, household_id)
    form = KkChangeForm(request.POST if request.method == "POST" and "reveal" not in request.POST else None)
    revealed_kk = None
    if request.method == "POST" and "reveal" in request.POST:
        revealed_kk = household_reveal_kk_service(actor=request.user, household=household, reason=_("Ubah KK"))
    elif request.method == "POST" and form.is_valid():
        try:
            household_change_kk_service(actor=request.user, household=household,
                                        kk=form.cleaned_data["kk_number"], reason=form.cleaned_data["reason"])
            messages.success(request, _("Nomor KK diubah."))
            return redirect("registry:household_detail", household_id=household.pk)
        except (ValidationFailed, Conflict) as exc:
            form.add_refusal(exc)
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
    return render(request, "registry/household_kk_form.html", {
        "nav": "persons", "form": form, "household": household, "revealed_kk": revealed_kk})
