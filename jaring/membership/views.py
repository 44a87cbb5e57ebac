"""Membership screens: the person page's membership panel (history and coverage strip),
payers, payment entry and the facilitator's at-risk list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.models import Role
from jaring.contributions.models import Payment
from jaring.contributions.selectors import at_risk, coverage_strip, payer_invoices, payer_summary
from jaring.contributions.services import payment_record
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.forms import IsoDateField
from jaring.membership.models import Payer
from jaring.membership.selectors import membership_current, membership_history, membership_queryset
from jaring.registry.panels import Panel
from jaring.registry.selectors import person_get


def membership_panel(request: HttpRequest, person: Any) -> Panel:
    history = membership_history(actor=request.user, person=person)
    strip = coverage_strip(person=person, months=24)
    current = next((m for m in history if m.status in ("draft", "submitted", "active")), None)
    return Panel("membership/_person_panel.html", {
        "history": history, "strip": strip, "current": current,
        "protected_now": bool(strip) and strip[-1].status in ("paid_on_time", "paid_late"),
        "can_pay": current is not None and current.status == "active" and current.payer.is_self
        and request.user.can_write_registry,
    })



OFFICE_ROLES = (Role.ADMIN, Role.OPERATOR, Role.LIAISON, Role.AUDITOR)


@login_required
def payer_list(request: HttpRequest) -> HttpResponse:
    if request.user.role not in OFFICE_ROLES:
        raise DjangoPermissionDenied
    year = timezone.localdate().year
    rows = [(payer, payer_summary(payer=payer, year=year)) for payer in Payer.objects.order_by("kind", "name")]
    return render(request, "membership/payer_list.html", {"nav": "payers", "rows": rows, "year": year})


@login_required
def payer_detail(request: HttpRequest, code: str) -> HttpResponse:
    if request.user.role not in OFFICE_ROLES:
        raise DjangoPermissionDenied
    payer = Payer.objects.filter(code=code).first()
    if payer is None:
        raise Http404
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else timezone.localdate().year
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


@login_required
def payment_create(request: HttpRequest, person_id: int) -> HttpResponse:
    if not request.user.can_write_registry:
        raise DjangoPermissionDenied
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


@login_required
def at_risk_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = at_risk(actor=request.user, today=today)
    week_end = today + dt.timedelta(days=7)
    return render(request, "membership/at_risk.html", {
        "nav": "risk", "rows": rows, "today": today, "week_end": week_end,
        "this_week": [r for r in rows if r.lapses_on and r.lapses_on <= week_end]})
