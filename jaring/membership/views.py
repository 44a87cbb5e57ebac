"""Membership screens: the person page's membership panel (history and coverage strip),
payers, payment entry and the facilitator's at-risk list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.contributions.models import Payment
from jaring.contributions.selectors import (
    AtRiskFilter,
    at_risk,
    coverage_strip,
    payer_invoices,
    payer_summary,
    protection,
)
from jaring.contributions.services import payment_record
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.forms import IsoDateField
from jaring.core.params import choice_param, code_param, int_param
from jaring.membership.models import Payer
from jaring.membership.selectors import membership_current, membership_history, membership_queryset
from jaring.regions.selectors import kelurahan_choices
from jaring.registry.panels import Panel
from jaring.registry.selectors import person_get


def membership_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel:
    history = membership_history(actor=request.user, person=person)
    strip = coverage_strip(person=person, months=24)
    current = next((m for m in history if m.status in ("draft", "submitted", "active")), None)
    return Panel("membership/_person_panel.html", {
        "history": history, "strip": strip, "current": current,
        "protection": protection(person=person),
        "can_pay": current is not None and current.status == "active" and current.payer.is_self
        and can(request.user, "payment.record"),
    })



@capability_required("money.read")
def payer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    rows = [(payer, payer_summary(payer=payer, year=year)) for payer in Payer.objects.order_by("kind", "name")]
    return render(request, "membership/payer_list.html", {"nav": "payers", "rows": rows, "year": year})


@capability_required("money.read")
@personal_data("payer.view", object_type="membership.payer", id_kwarg="code")
def payer_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    payer = Payer.objects.filter(code=code).first()
    if payer is None:
        raise Http404
    year = int_param(request, "year", default=timezone.localdate().year, low=2000, high=2100)
    cohort = (membership_queryset(actor=request.user).filter(payer=payer)
              .select_related("person__kelurahan").order_by("status", "person__name_key"))
    page = Paginator(cohort, 50).get_page(request.GET.get("page"))
    return render(request, "membership/payer_detail.html", {
        "nav": "payers", "payer": payer, "year": year, "summary": payer_summary(payer=payer, year=year),
        "invoices": payer_invoices(payer=payer)[:24], "page": page,
        "budget_lines": payer.budget_lines.filter(fiscal_year=year)})


class PaymentForm(forms.Form):
    amount_idr = forms.IntegerField(label=gettext_lazy("Jumlah (Rp)"), widget=forms.NumberInput(
        attrs={"inputmode": "numeric"}))
    paid_on = IsoDateField(label=gettext_lazy("Tanggal bayar"))
    channel = forms.ChoiceField(label=gettext_lazy("Saluran"), choices=Payment.Channel.choices)
    reference = forms.CharField(label=gettext_lazy("Nomor referensi/bukti"), required=False, max_length=100)


@capability_required("payment.record")
@personal_data("payment.form", object_type="registry.person", id_kwarg="person_id")
def payment_create(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    try:
        person = person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None
    membership = membership_current(actor=request.user, person=person)
    form = PaymentForm(request.POST or None, initial={"paid_on": timezone.localdate(), "channel": "retail"})
    if request.method == "POST" and form.is_valid():
        if membership is None:
            form.add_error(None, _("Orang ini belum terdaftar sebagai peserta."))
        else:
            try:
                result = payment_record(actor=request.user, membership=membership, **form.cleaned_data)
                months = ", ".join(p.strftime("%m/%Y") for p in result.paid_periods) or "—"
                text = _("Pembayaran dicatat. Bulan yang lunas: %(months)s. Sisa kredit: Rp%(credit)s.")
                messages.success(request, text % {"months": months, "credit": result.credit_idr})
                return redirect(person.get_absolute_url())
            except (ValidationFailed, Conflict) as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error) or str(exc.message))
                if not exc.fields:
                    form.add_error(None, str(exc.message))
    return render(request, "membership/payment_form.html", {
        "nav": "persons", "person": person, "membership": membership, "form": form})


AT_RISK_PAGE = 50


@capability_required("coverage.read")
@personal_data("at_risk.list", object_type="membership.membership")
def at_risk_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The members about to lose protection, first to lapse first: self-payers (whom a facilitator
    can visit) apart from members whose arrears are a government's or donor's (the office follows
    those up with the funder). Paged and filtered by area, months behind and "lapses this week"."""
    today = timezone.localdate()
    week_end = today + dt.timedelta(days=7)
    codes = scope_for(request.user).codes
    kelurahan_list = list(kelurahan_choices(within_codes=codes))
    region = code_param(request, "kelurahan")
    if region and region not in {k.code for k in kelurahan_list}:
        region = ""
    months = int_param(request, "bulan", low=1, high=12)
    group = choice_param(request, "kelompok", ("self", "collective"), default="self")
    this_week = bool(request.GET.get("minggu_ini"))
    where = AtRiskFilter(region_code=region, months=months, lapsing_by=week_end if this_week else None)
    everyone = at_risk(actor=request.user, today=today, where=where)
    counts = {"self": sum(r.payer_is_self for r in everyone), "collective": sum(not r.payer_is_self for r in everyone)}
    rows = [r for r in everyone if r.payer_is_self == (group == "self")]
    page = Paginator(rows, AT_RISK_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "membership/at_risk.html", {
        "nav": "risk", "rows": page.object_list, "page": page, "total": len(rows), "today": today,
        "week_end": week_end, "lapsing_this_week": sum(1 for r in rows if r.lapses_on and r.lapses_on <= week_end),
        "group": group, "counts": counts, "kelurahan_list": kelurahan_list, "region": region, "months": months,
        "this_week": this_week, "query": query.urlencode(),
        "filtered": bool(region or months or this_week)})
