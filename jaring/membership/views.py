"""Membership screens: the person page's membership panel (history and coverage strip),
payers, payment entry and the facilitator's at-risk list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.selectors import scope_for
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.contributions.models import Invoice, Payment
from jaring.contributions.selectors import (
    AtRiskFilter,
    InvoicePaymentPlan,
    at_risk,
    coverage_strip,
    dues_after_end,
    invoice_payment_plan,
    payer_invoices,
    payer_summary,
    payer_uninvoiced_months,
    protection,
)
from jaring.contributions.services import (
    INVOICE_BLOCKS,
    InvoicePaymentResult,
    invoice_issue,
    invoice_payment_record,
    payment_preview,
    payment_record,
)
from jaring.core.confirm import Confirmation, Figure, is_confirmed, posted_comment
from jaring.core.errors import Conflict, ValidationFailed
from jaring.core.forms import IsoDateField, show_refusal
from jaring.core.money import add_months, format_idr, month_start, parse_month
from jaring.core.parameters import current_parameters
from jaring.core.params import choice_param, code_param, int_param
from jaring.core.trail import history_for
from jaring.membership.models import Membership, Payer
from jaring.membership.selectors import (
    membership_current,
    membership_history,
    membership_queryset,
    payers_managed,
    payers_visible,
)
from jaring.membership.services import membership_end, membership_enrol
from jaring.regions.selectors import ancestor_codes, kelurahan_choices
from jaring.registry.panels import Panel
from jaring.registry.views import person_or_404


def membership_panel(request: AuthenticatedHttpRequest, person: Any) -> Panel:
    history = membership_history(actor=request.user, person=person)
    strip = coverage_strip(person=person, months=24)
    current = next((m for m in history if m.status in ("draft", "submitted", "active")), None)
    return Panel("membership/_person_panel.html", {
        "history": history, "strip": strip, "current": current,
        "protection": protection(person=person),
        "can_pay": current is not None and current.status == "active" and current.payer.is_self
        and can(request.user, "payment.record"),
        # The events of every membership of the person, newest first (a membership has no page of its
        # own); the audit trail link is for the current one, else the newest.
        "changes": history_for(request, "membership.membership",
                               [m.pk for m in ([current] if current else []) + list(history)],
                               allowed=can(request.user, "history.read")),
    })



@capability_required("money.read")
def payer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    rows = [(payer, payer_summary(payer=payer, year=year))
            for payer in payers_managed(actor=request.user).order_by("kind", "name")]
    return render(request, "membership/payer_list.html", {"nav": "payers", "rows": rows, "year": year})






def _payer_or_404(request: AuthenticatedHttpRequest, code: str) -> Payer:
    payer = payers_managed(actor=request.user).filter(code=code).first()
    if payer is None:
        raise Http404
    return payer


BLOCK_LABELS = {1: gettext_lazy("1 bulan"), 3: gettext_lazy("Triwulan (3 bulan)"),
                6: gettext_lazy("Semester (6 bulan)"), 12: gettext_lazy("Tahun (12 bulan)")}


class InvoiceIssueForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Mulai bulan"), max_length=7, widget=forms.TextInput(
        attrs={"type": "month", "placeholder": "2027-01", "inputmode": "numeric"}),
        help_text=gettext_lazy("Tahun-bulan, mis. 2027-01. Triwulan, semester dan tahun dimulai pada awal "
                               "triwulan, semester atau tahun."))
    months = forms.TypedChoiceField(label=gettext_lazy("Blok tagihan"), coerce=int, initial=1,
                                    choices=[(n, BLOCK_LABELS[n]) for n in INVOICE_BLOCKS])

    def clean_period(self) -> dt.date:
        try:
            return parse_month(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError(_("Tulis bulan sebagai tahun-bulan, mis. 2027-01.")) from None


class InvoicePaymentForm(forms.Form):
    paid_on = IsoDateField(label=gettext_lazy("Tanggal bayar"))
    reference = forms.CharField(label=gettext_lazy("Nomor SP2D"), max_length=100)
    amount_idr = forms.IntegerField(
        label=gettext_lazy("Jumlah (Rp)"), required=False, min_value=1,
        error_messages={"min_value": gettext_lazy("Jumlah pembayaran harus lebih dari nol.")},
        help_text=gettext_lazy("Kosongkan untuk membayar seluruh sisa tagihan."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    pay_form: InvoicePaymentForm | None  # for users who may record payments, on an invoice not yet paid


def _invoice_payment_form(invoice: Invoice, data: Any = None) -> InvoicePaymentForm:
    # One form per invoice on the page: the prefix keeps their field ids apart.
    return InvoicePaymentForm(data, prefix=f"t{invoice.pk}", initial={"paid_on": timezone.localdate()})


def _payer_page(request: AuthenticatedHttpRequest, payer: Payer, *, issue_form: InvoiceIssueForm | None = None,
                pay_form: tuple[int, InvoicePaymentForm] | None = None) -> HttpResponse:
    """The payer page; after a refused invoice or payment, with that form, its errors and its values."""
    year = int_param(request, "year", default=timezone.localdate().year, low=2000, high=2100)
    cohort = (membership_queryset(actor=request.user).filter(payer=payer)
              .select_related("person__kelurahan").order_by("status", "person__name_key"))
    page = Paginator(cohort, 50).get_page(request.GET.get("page"))
    invoices = list(payer_invoices(payer=payer).prefetch_related("payments")[:24])
    uninvoiced = [] if payer.is_self else payer_uninvoiced_months(payer=payer)
    can_write = can(request.user, "money.write") and not payer.is_self
    rows = []
    for invoice in invoices:
        bound = pay_form is not None and pay_form[0] == invoice.pk
        form = pay_form[1] if pay_form is not None and bound else None
        if can_write and (bound or invoice.status != Invoice.Status.PAID):
            form = form or _invoice_payment_form(invoice)
        rows.append(InvoiceRow(invoice, form))
    if can_write and issue_form is None:
        start = uninvoiced[0].period if uninvoiced else add_months(month_start(timezone.localdate()), 1)
        issue_form = InvoiceIssueForm(initial={"period": f"{start:%Y-%m}"})
    return render(request, "membership/payer_detail.html", {
        "nav": "payers", "payer": payer, "year": year, "summary": payer_summary(payer=payer, year=year),
        "invoices": rows, "uninvoiced": uninvoiced, "page": page, "can_write": can_write,
        "issue_form": issue_form if can_write else None,
        "budget_lines": payer.budget_lines.filter(fiscal_year=year)})


@capability_required("money.read")
@personal_data("payer.view", object_type="membership.payer", id_kwarg="code")
def payer_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    return _payer_page(request, _payer_or_404(request, code))


@capability_required("money.write")
@personal_data("payer.view", object_type="membership.payer", id_kwarg="code")
def payer_invoice_issue(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Issue (or top up) the payer's invoice for a month or a block of months."""
    payer = _payer_or_404(request, code)
    if request.method != "POST":
        return redirect("membership:payer_detail", code=payer.code)
    form = InvoiceIssueForm(request.POST)
    if form.is_valid():
        try:
            invoice = invoice_issue(actor=request.user, payer=payer, period=form.cleaned_data["period"],
                                    months=form.cleaned_data["months"])
        except (ValidationFailed, Conflict) as exc:
            if payer.is_self:  # no invoice forms on a self-payer's page: say it above the page
                messages.error(request, str(exc.message))
                return redirect("membership:payer_detail", code=payer.code)
            show_refusal(form, exc)
        else:
            messages.success(request, _("Tagihan %(invoice)s: %(members)s peserta, total %(total)s, sisa %(left)s.") % {
                "invoice": _invoice_label(invoice), "members": invoice.member_count,
                "total": format_idr(invoice.total_idr), "left": format_idr(invoice.outstanding_idr)})
            return redirect(f"{_payer_url(payer)}#tagihan-{invoice.pk}")
    return _payer_page(request, payer, issue_form=form)


@capability_required("money.write")
@personal_data("payer.view", object_type="membership.payer", id_kwarg="code")
def payer_invoice_pay(request: AuthenticatedHttpRequest, code: str, invoice_id: int) -> HttpResponse:
    """Record a transfer (SP2D) against one invoice, whole or in part."""
    payer = _payer_or_404(request, code)
    invoice = Invoice.objects.filter(pk=invoice_id, payer=payer).first()
    if invoice is None:
        raise Http404
    if request.method != "POST":
        return redirect("membership:payer_detail", code=payer.code)
    form = _invoice_payment_form(invoice, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if not is_confirmed(request):
            plan = invoice_payment_plan(invoice=invoice, amount_idr=data["amount_idr"])
            if plan.too_much:
                form.add_error("amount_idr", _("Jumlah %(amount)s melebihi sisa tagihan %(left)s.") % {
                    "amount": format_idr(plan.amount_idr), "left": format_idr(plan.outstanding_idr)})
            elif data["paid_on"] > timezone.localdate():
                form.add_error("paid_on", _("Tanggal bayar tidak boleh di masa depan."))
            else:  # the payer page's button: what the transfer will pay, nothing written yet
                return render(request, "confirm/confirm_page.html", {
                    "nav": "payers", "confirm": _invoice_payment_confirmation(request, payer, invoice, form, plan)})
            return _payer_page(request, payer, pay_form=(invoice.pk, form))
        try:
            result = invoice_payment_record(actor=request.user, invoice=invoice, paid_on=data["paid_on"],
                                            reference=data["reference"], amount_idr=data["amount_idr"],
                                            comment=posted_comment(request))
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _invoice_payment_message(result))
            return redirect(f"{_payer_url(payer)}#tagihan-{invoice.pk}")
    return _payer_page(request, payer, pay_form=(invoice.pk, form))


def _invoice_payment_confirmation(request: AuthenticatedHttpRequest, payer: Payer, invoice: Invoice,
                                  form: InvoicePaymentForm, plan: InvoicePaymentPlan) -> Confirmation:
    data = form.cleaned_data

    def count(n: int) -> str:
        return number_format(n, force_grouping=True)

    figures = [
        Figure(_("Tagihan"), f"{payer.name} · {_invoice_label(invoice)}"),
        Figure(_("Jumlah dibayar"), format_idr(plan.amount_idr), strong=True),
        Figure(_("Tanggal bayar"), date_format(data["paid_on"], "j F Y")),
        Figure(_("Nomor SP2D"), data["reference"]),
        Figure(_("Iuran yang akan lunas"), _("%(dues)s dari %(open)s iuran terbuka (%(persons)s peserta)") % {
            "dues": count(plan.dues_paid), "open": count(plan.dues_open), "persons": count(plan.persons)},
            strong=True),
    ]
    if plan.first_period is not None and plan.last_period is not None:
        figures.append(Figure(_("Bulan yang dibayar"), date_format(plan.first_period, "F Y")
                              if plan.first_period == plan.last_period else
                              f"{date_format(plan.first_period, 'F Y')} – {date_format(plan.last_period, 'F Y')}"))
    figures.append(Figure(_("Sisa tagihan sekarang"), format_idr(plan.outstanding_idr)))
    figures.append(Figure(_("Sisa tagihan setelahnya"), format_idr(plan.outstanding_after_idr)))
    if plan.unapplied_idr:
        figures.append(Figure(_("Belum dipakai (kurang dari satu iuran)"), format_idr(plan.unapplied_idr),
                              warning=True))
    prefix = form.prefix or ""
    hidden = [(f"{prefix}-paid_on", data["paid_on"].isoformat()), (f"{prefix}-reference", data["reference"]),
              (f"{prefix}-amount_idr", str(data["amount_idr"]) if data["amount_idr"] is not None else "")]
    return Confirmation(
        title=_("Catat pembayaran tagihan %(invoice)s?") % {"invoice": _invoice_label(invoice)},
        action_url=reverse("membership:invoice_pay", kwargs={"code": payer.code, "invoice_id": invoice.pk}),
        submit_label=_("Ya, catat pembayaran"), cancel_url=f"{_payer_url(payer)}#tagihan-{invoice.pk}",
        figures=figures, hidden=hidden, comment=posted_comment(request),
        blockers=[] if plan.dues_open else [_("Tagihan ini sudah lunas.")])


def _payer_url(payer: Payer) -> str:
    return reverse("membership:payer_detail", kwargs={"code": payer.code})


def _invoice_label(invoice: Invoice) -> str:
    if invoice.months == 1:
        return date_format(invoice.period, "F Y")
    return f"{date_format(invoice.period, 'F Y')} – {date_format(invoice.period_to, 'F Y')}"


def _invoice_payment_message(result: InvoicePaymentResult) -> str:
    payment, invoice = result.payment, result.invoice
    if result.already_recorded:
        return _("Pembayaran dengan referensi %(ref)s sudah dicatat sebelumnya (%(amount)s, %(date)s); "
                 "tidak ada yang berubah.") % {"ref": payment.reference, "amount": format_idr(payment.amount_idr),
                                                "date": date_format(payment.paid_on, "j F Y")}
    text = _("Pembayaran %(amount)s dicatat untuk tagihan %(invoice)s: %(dues)s iuran lunas.") % {
        "amount": format_idr(payment.amount_idr), "invoice": _invoice_label(invoice),
        "dues": number_format(payment.dues_paid, force_grouping=True)}
    if payment.unapplied_idr:
        text += " " + _("Sisa %(rest)s kurang dari satu iuran; dicatat sebagai belum dipakai.") % {
            "rest": format_idr(payment.unapplied_idr)}
    text += " " + (_("Tagihan lunas.") if invoice.status == Invoice.Status.PAID else
                   _("Sisa tagihan: %(left)s.") % {"left": format_idr(invoice.outstanding_idr)})
    return text


ENROL_FIELDS = {"programs": "jht", "programmes": "jht"}  # the service's names → the form's


class PayerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class EnrolForm(forms.Form):
    payer = PayerChoiceField(label=gettext_lazy("Pembayar (wadah)"), queryset=Payer.objects.none(),
                             to_field_name="code", empty_label="—")
    jht = forms.BooleanField(label=gettext_lazy("Ikut juga JHT (Jaminan Hari Tua)"), required=False)
    declared_income_idr = forms.TypedChoiceField(
        label=gettext_lazy("Penghasilan yang dilaporkan"), coerce=int, empty_value=None,
        help_text=gettext_lazy("Nominal penghasilan dari tabel BPJS Ketenagakerjaan; iuran dihitung darinya."))
    start_date = IsoDateField(label=gettext_lazy("Mulai perlindungan"))
    kpj = forms.CharField(
        label=gettext_lazy("Nomor KPJ (bila sudah ada)"), required=False, max_length=20,
        help_text=gettext_lazy("Isi bila BPJS Ketenagakerjaan sudah mencatat kepesertaan ini: kepesertaan langsung "
                               "aktif. Tanpa KPJ, perlindungan tidak berlaku surut dan mulai paling cepat hari ini."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args: Any, payers: Any, brackets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer, income = self.fields["payer"], self.fields["declared_income_idr"]
        assert isinstance(payer, forms.ModelChoiceField) and isinstance(income, forms.TypedChoiceField)
        payer.queryset = payers
        income.choices = [("", "—"), *((b, format_idr(b)) for b in brackets)]


@capability_required("membership.enrol")
@personal_data("membership.enrol_form", object_type="registry.person", id_kwarg="person_id")
def person_enrol(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Enrol a person from their page. Facilitators are offered self-payers only (the service
    refuses them any other payer); every refusal of the service shows on the form."""
    person = person_or_404(request, person_id)
    today = timezone.localdate()
    payers = (payers_visible(actor=request.user).filter(is_active=True)
              # only the payers that may pay for this person (membership.services.payer_covers)
              .filter(Q(region__code__in=[*ancestor_codes(person.kelurahan.code), person.kelurahan.code])
                      | Q(region__isnull=True))
              .order_by("kind", "name"))
    if not can(request.user, "membership.enrol_collective"):
        payers = payers.filter(kind=Payer.Kind.SELF)
    brackets = current_parameters().on(today, field="start").value("income_brackets", "brackets_idr")
    offered = list(payers)
    initial: dict[str, Any] = {"start_date": today}
    if len(offered) == 1:
        initial["payer"] = offered[0].code
    posted = request.method == "POST"
    form = EnrolForm(request.POST if posted else None, payers=payers, brackets=brackets, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_enrol(
                actor=request.user, person=person, payer=data["payer"],
                programs=["JKK", "JKM", *(["JHT"] if data["jht"] else [])],
                declared_income_idr=data["declared_income_idr"], start_date=data["start_date"],
                kpj=data["kpj"].strip() or None)
        except (ValidationFailed, Conflict) as exc:
            show_refusal(form, exc, ENROL_FIELDS)
        else:
            messages.success(request, _("%(name)s didaftarkan melalui %(payer)s; status kepesertaan: %(status)s.") % {
                "name": person.full_name, "payer": membership.payer.name, "status": membership.get_status_display()})
            return redirect(person.get_absolute_url())
    current = next((m for m in membership_history(actor=request.user, person=person)
                    if m.status in Membership.OPEN_STATUSES), None)
    return render(request, "membership/enrol_form.html", {
        "nav": "persons", "person": person, "form": form, "current": current, "no_payers": not offered})


class PaymentForm(forms.Form):
    amount_idr = forms.IntegerField(
        label=gettext_lazy("Jumlah (Rp)"), min_value=1,
        error_messages={"min_value": gettext_lazy("Jumlah pembayaran harus lebih dari nol.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    paid_on = IsoDateField(label=gettext_lazy("Tanggal bayar"))
    channel = forms.ChoiceField(label=gettext_lazy("Saluran"), choices=Payment.Channel.choices)
    reference = forms.CharField(label=gettext_lazy("Nomor referensi/bukti"), required=False, max_length=100)


@capability_required("payment.record")
@personal_data("payment.form", object_type="registry.person", id_kwarg="person_id")
def payment_create(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Two steps: "Periksa" shows what the payment will pay (``payment_preview``, nothing written);
    "Catat pembayaran" posts the same values with ``confirm=1`` and records them."""
    person = person_or_404(request, person_id)
    membership = membership_current(actor=request.user, person=person)
    posted = request.method == "POST"
    form = PaymentForm(request.POST if posted else None,
                       initial={"paid_on": timezone.localdate(), "channel": "retail"})
    preview = None
    if posted and form.is_valid():
        if membership is None:
            form.add_error(None, _("Orang ini belum terdaftar sebagai peserta."))
        else:
            try:
                if request.POST.get("confirm") == "1":
                    result = payment_record(actor=request.user, membership=membership, **form.cleaned_data)
                    months = ", ".join(date_format(p, "F Y") for p in result.paid_periods) or "—"
                    messages.success(request, _("Pembayaran dicatat. Bulan yang lunas: %(months)s. Sisa kredit: "
                                                "%(credit)s.") % {"months": months,
                                                                  "credit": format_idr(result.credit_idr)})
                    return redirect(person.get_absolute_url())
                preview = payment_preview(actor=request.user, membership=membership, **form.cleaned_data)
            except (ValidationFailed, Conflict) as exc:
                if exc.code == "duplicate_reference":
                    form.add_error("reference", str(exc.message))
                else:
                    show_refusal(form, exc)
    confirm_values = []
    if preview is not None and not preview.already_recorded:
        data = form.cleaned_data
        confirm_values = [("amount_idr", str(data["amount_idr"])), ("paid_on", data["paid_on"].isoformat()),
                          ("channel", data["channel"]), ("reference", data["reference"]), ("confirm", "1")]
    return render(request, "membership/payment_form.html", {
        "nav": "persons", "person": person, "membership": membership, "form": form, "preview": preview,
        "confirm_values": confirm_values})


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Alasan berakhir"),
                               choices=[("", "—"), *Membership.EndReason.choices])
    ended_on = IsoDateField(label=gettext_lazy("Tanggal berakhir"))


def _end_confirmation(request: AuthenticatedHttpRequest, person: Any, membership: Membership,
                      data: dict[str, Any]) -> Confirmation:
    """What ending the membership will do (``contributions.selectors.dues_after_end``)."""
    reason, ended_on = data["reason"], data["ended_on"]
    after = dues_after_end(membership=membership, ended_on=ended_on)
    refunding = reason in Membership.REFUNDING_END_REASONS

    def count(n: int) -> str:
        return number_format(n, force_grouping=True)

    figures = [
        Figure(_("Peserta"), f"{person.full_name} · {membership.payer.name}"),
        Figure(_("Status sekarang"), str(membership.get_status_display())),
        Figure(_("Berakhir pada"), date_format(ended_on, "j F Y"), strong=True),
        Figure(_("Alasan"), str(Membership.EndReason(reason).label)),
        Figure(_("Iuran terbuka sesudah bulan itu yang dibatalkan"), _("%(n)s iuran, %(idr)s") % {
            "n": count(after.open_count), "idr": format_idr(after.open_idr)}, strong=True),
    ]
    if refunding:
        figures.append(Figure(_("Iuran sudah dibayar sesudah bulan itu yang dikembalikan"), _("%(n)s iuran, %(idr)s")
                              % {"n": count(after.paid_count), "idr": format_idr(after.paid_idr)},
                              warning=bool(after.paid_count)))
    elif after.paid_count:
        figures.append(Figure(_("Iuran sudah dibayar sesudah bulan itu (tetap tercatat)"), _("%(n)s iuran, %(idr)s")
                              % {"n": count(after.paid_count), "idr": format_idr(after.paid_idr)}))
    url = reverse("membership:membership_end", kwargs={"person_id": person.pk})
    return Confirmation(
        title=_("Akhiri kepesertaan %(name)s?") % {"name": person.full_name}, action_url=url,
        submit_label=_("Ya, akhiri kepesertaan"), cancel_url=person.get_absolute_url(), figures=figures,
        hidden=[("reason", reason), ("ended_on", ended_on.isoformat())], comment=posted_comment(request),
        notes=[_("Perlindungan berhenti pada tanggal itu. Untuk melindungi orang ini lagi, daftarkan kembali.")])


@capability_required("money.write")
@personal_data("membership.end_form", object_type="registry.person", id_kwarg="person_id")
def membership_end_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """End a person's open membership: the form (reason, date), then what will change with figures
    (``core.confirm``), then the confirmed POST calls ``membership_end`` with the comment."""
    person = person_or_404(request, person_id)
    membership = membership_current(actor=request.user, person=person)
    posted = request.method == "POST"
    form = EndForm(request.POST if posted else None, initial={"ended_on": timezone.localdate()})
    if posted and membership is not None and form.is_valid():
        data = form.cleaned_data
        if data["ended_on"] > timezone.localdate():
            form.add_error("ended_on", _("Tanggal berakhir tidak boleh di masa depan."))
        elif data["ended_on"] < membership.start_date:
            form.add_error("ended_on", _("Tanggal berakhir tidak boleh sebelum kepesertaan mulai (%(day)s).") % {
                "day": date_format(membership.start_date, "j F Y")})
        elif not is_confirmed(request):
            return render(request, "confirm/confirm_page.html", {
                "nav": "persons", "confirm": _end_confirmation(request, person, membership, data)})
        else:
            try:
                ended = membership_end(actor=request.user, membership=membership, reason=data["reason"],
                                       ended_on=data["ended_on"], comment=posted_comment(request))
            except (ValidationFailed, Conflict) as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, _("Kepesertaan %(name)s melalui %(payer)s berakhir pada %(day)s.") % {
                    "name": person.full_name, "payer": ended.payer.name,
                    "day": date_format(data["ended_on"], "j F Y")})
                return redirect(person.get_absolute_url())
    return render(request, "membership/end_form.html", {
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
