"""Registry screens: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaring.accounts.selectors import scope_for
from jaring.accounts.services import auditor_read_log
from jaring.core.errors import Conflict, NeedsConfirmation, NotFound, PermissionDenied, ValidationFailed
from jaring.core.money import age_on
from jaring.regions.selectors import district_choices, kelurahan_choices
from jaring.registry.forms import HouseholdForm, PersonForm, occupation_choices
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
    household_create as household_create_service,
)
from jaring.registry.services import (
    person_reveal_nik as person_reveal_nik_service,
)

PAGE_SIZE = 25


def _person_or_404(request: HttpRequest, person_id: int) -> Any:
    try:
        return person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None


def _household_or_404(request: HttpRequest, household_id: int) -> Any:
    try:
        return household_get(actor=request.user, household_id=household_id)
    except NotFound:
        raise Http404 from None


def _require_writer(request: HttpRequest) -> None:
    if not request.user.can_write_registry:
        raise DjangoPermissionDenied



@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    decile = params.get("decile", "")
    filters = PersonFilters(
        q=params.get("q", "").strip()[:100], district=params.get("district", ""),
        kelurahan=params.get("kelurahan", ""), occupation=params.get("occupation", ""),
        sex=params.get("sex", ""), age_band=params.get("age_band", ""),
        decile=int(decile) if decile.isdigit() else None)
    results = person_search(actor=request.user, filters=filters)
    page = Paginator(results, PAGE_SIZE).get_page(params.get("page"))
    today = timezone.localdate()
    rows = [(p, age_on(p.birth_date, today)) for p in page.object_list]
    auditor_read_log(actor=request.user, action="person.list", object_type="registry.person",
                      after={"query": dict(params.items())})
    codes = scope_for(request.user).codes
    query = params.copy()
    query.pop("page", None)
    context = {
        "nav": "persons", "filters": filters, "page": page, "rows": rows, "total": results.count(),
        "capped": results.capped, "query": query.urlencode(),
        "districts": district_choices(within_codes=codes),
        "kelurahan_list": kelurahan_choices(within_codes=codes),
        "occupations": occupation_choices()[1:], "age_bands": [(k, v[2]) for k, v in AGE_BANDS.items()],
        "deciles": range(1, 11), "filtered": any([filters.district, filters.kelurahan, filters.occupation,
                                                  filters.sex, filters.age_band, filters.decile]),
    }
    template = "registry/_person_rows.html" if request.headers.get("HX-Request") else "registry/person_list.html"
    return render(request, template, context)


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    auditor_read_log(actor=request.user, action="person.view", obj=person)
    members = household_members(actor=request.user, household=person.household) if person.household else []
    return render(request, "registry/person_detail.html", {
        "nav": "persons", "person": person, "members": members,
        "age": age_on(person.birth_date, timezone.localdate()), "panels": panels_for(request, person),
    })


@login_required
@require_POST
def person_reveal_nik(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    nik = person_reveal_nik_service(actor=request.user, person=person, reason=request.POST.get("reason", ""))
    if request.headers.get("HX-Request"):
        return render(request, "registry/_nik_revealed.html", {"nik": nik})
    members = household_members(actor=request.user, household=person.household) if person.household else []
    return render(request, "registry/person_detail.html", {
        "nav": "persons", "person": person, "members": members, "revealed_nik": nik,
        "age": age_on(person.birth_date, timezone.localdate()), "panels": panels_for(request, person),
    })


def _person_form_view(request: HttpRequest, *, person: Any = None) -> HttpResponse:
    _require_writer(request)
    editing = person is not None
    initial = {}
    if editing:
        initial = {
            "nik": person.nik, "full_name": person.full_name, "sex": person.sex, "birth_place": person.birth_place,
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
            form.add_service_errors(exc.fields)
            if not exc.fields:
                form.add_error(None, str(exc.message))
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


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    return _person_form_view(request)


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    return _person_form_view(request, person=_person_or_404(request, person_id))


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household_or_404(request, household_id)
    auditor_read_log(actor=request.user, action="household.view", obj=household)
    today = timezone.localdate()
    members = [(p, age_on(p.birth_date, today)) for p in household_members(actor=request.user, household=household)]
    return render(request, "registry/household_detail.html", {
        "nav": "persons", "household": household, "members": members})


def _household_form_view(request: HttpRequest, *, household: Any = None) -> HttpResponse:
    _require_writer(request)
    editing = household is not None
    initial = {}
    if editing:
        initial = {"kk_number": household.kk_number, "address": household.address,
                   "kelurahan": household.kelurahan.code, "welfare_decile": household.welfare_decile,
                   "decile_source": household.decile_source, "decile_date": household.decile_date,
                   "pkh_beneficiary": household.pkh_beneficiary}
    form = HouseholdForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if editing:
                saved = household_update(actor=request.user, household=household,
                                         data=HouseholdInput.of(**form.to_service(only_changed=True)))
            else:
                saved = household_create_service(actor=request.user, data=HouseholdInput.of(**form.to_service()))
            messages.success(request, _("Data keluarga disimpan."))
            return redirect("registry:household_detail", household_id=saved.pk)
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc.fields)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except NotFound:
            raise Http404 from None
    return render(request, "registry/household_form.html", {
        "nav": "persons", "form": form, "household": household, "editing": editing})


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    return _household_form_view(request)


@login_required
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    return _household_form_view(request, household=_household_or_404(request, household_id))
