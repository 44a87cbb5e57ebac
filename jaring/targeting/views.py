"""Targeting screens: policies with their rule counts, rounds (preview, prepare, approve, top-up),
"why this person", and the scenario planner. Office roles only (see selectors.require_reader)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.reads import personal_data
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core import params as qp
from jaring.core.confirm import Confirmation, Figure, is_confirmed, last_comment, posted_comment
from jaring.core.errors import Conflict, JaringError, NotFound, PermissionDenied, ValidationFailed
from jaring.core.money import add_months, format_idr, format_month, month_start
from jaring.membership.models import Payer
from jaring.registry.models import Occupation
from jaring.targeting import engine, selectors, services
from jaring.targeting.models import AllocationEntry, AllocationRound, EligibilityPolicy

PAGE = 50


def _next_month() -> dt.date:
    return add_months(month_start(timezone.localdate()), 1)


def _form_errors(form: forms.Form, exc: JaringError) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for field, errors in exc.fields.items():
        target = field if field in form.fields else None
        form.add_error(target, str(exc.message) if target is None else (" ".join(str(e) for e in errors)
                                                                         or str(exc.message)))
    if exc.fields and all(f in form.fields for f in exc.fields):
        form.add_error(None, str(exc.message))



# --- Policies ---------------------------------------------------------------------------------

class PolicyForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Kode"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Nama"), max_length=150)
    basis = forms.CharField(label=gettext_lazy("Dasar kebijakan (SK, Perwali…)"), max_length=200, required=False)
    max_decile = forms.IntegerField(label=gettext_lazy("Desil paling tinggi"), min_value=1, max_value=10)
    min_age = forms.IntegerField(label=gettext_lazy("Umur paling rendah"), min_value=0, max_value=120)
    max_age = forms.IntegerField(label=gettext_lazy("Umur paling tinggi"), min_value=0, max_value=120)
    occupation_codes = forms.MultipleChoiceField(
        label=gettext_lazy("Pekerjaan rentan (kosong = semua pekerjaan yang tercatat)"), required=False,
        widget=forms.CheckboxSelectMultiple)
    decile_sources = forms.MultipleChoiceField(
        label=gettext_lazy("Sumber desil yang diterima (kosong = semua sumber)"), required=False,
        choices=[(s, s) for s in services.DECILE_SOURCES], widget=forms.CheckboxSelectMultiple)
    decile_max_age_days = forms.IntegerField(
        label=gettext_lazy("Umur data desil paling lama, dalam hari pada bulan mulai (kosong = tanpa batas)"),
        min_value=1, max_value=services.DECILE_MAX_AGE_DAYS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        occupation_codes = self.fields["occupation_codes"]
        assert isinstance(occupation_codes, forms.MultipleChoiceField)
        occupation_codes.choices = list(Occupation.objects.values_list("code", "name"))
        for key in engine.WEIGHT_KEYS:
            self.fields[f"w_{key}"] = forms.IntegerField(label=key, min_value=0, max_value=1000, required=False)

    def weights(self) -> dict[str, int]:
        return {k: self.cleaned_data[f"w_{k}"] for k in engine.WEIGHT_KEYS
                if self.cleaned_data.get(f"w_{k}") not in (None, "")}


def _policy_initial(policy: EligibilityPolicy | None) -> dict[str, Any]:
    from jaring.targeting.models import DEFAULT_WEIGHTS

    if policy is None:
        return {"max_decile": 4, "min_age": 18, "max_age": 64,
                **{f"w_{k}": v for k, v in {**engine.WEIGHT_DEFAULTS, **DEFAULT_WEIGHTS}.items()}}
    return {"code": policy.code, "name": policy.name, "basis": policy.basis, "max_decile": policy.max_decile,
            "min_age": policy.min_age, "max_age": policy.max_age, "occupation_codes": policy.occupation_codes,
            "decile_sources": policy.decile_sources, "decile_max_age_days": policy.decile_max_age_days,
            **{f"w_{k}": engine.weight(policy, k) for k in engine.WEIGHT_KEYS}}


@capability_required("targeting.read")
def policy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "targeting/policy_list.html", {
        "nav": "targeting", "policies": selectors.policy_list(actor=request.user),
        "can_edit": can(request.user, "targeting.decide")})


@capability_required("targeting.decide")
def policy_form(request: AuthenticatedHttpRequest, policy_id: int | None = None) -> HttpResponse:
    policy = selectors.policy_get(actor=request.user, policy_id=policy_id) if policy_id else None
    form = PolicyForm(request.POST or None, initial=_policy_initial(policy))
    if policy is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in ("name", "basis", "max_decile", "min_age", "max_age",
                                                    "occupation_codes", "decile_sources", "decile_max_age_days")}
        try:
            if policy is None:
                saved = services.policy_create(actor=request.user, code=form.cleaned_data["code"],
                                               weights=form.weights(), **values)
            else:
                saved = services.policy_revise(actor=request.user, policy=policy, weights=form.weights(), **values)
            messages.success(request, _("Kebijakan disimpan (versi %(v)s).") % {"v": saved.version})
            return redirect("targeting:policy_detail", saved.pk)
        except (ValidationFailed, Conflict) as exc:
            _form_errors(form, exc)
    return render(request, "targeting/policy_form.html", {
        "nav": "targeting", "form": form, "policy": policy,
        "weight_fields": [form[f"w_{k}"] for k in engine.WEIGHT_KEYS]})


@capability_required("targeting.read")
def policy_detail(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    policy = selectors.policy_get(actor=request.user, policy_id=policy_id)
    start = _month_param(request, "start") or _next_month()
    counts = selectors.policy_rule_counts(actor=request.user, policy=policy, start=start)
    weights = [(key, engine.weight(policy, key)) for key in engine.WEIGHT_KEYS]
    return render(request, "targeting/policy_detail.html", {
        "nav": "targeting", "policy": policy, "counts": counts, "start": start, "weights": weights,
        "versions": selectors.policy_versions(actor=request.user, policy=policy),
        "occupations": list(Occupation.objects.filter(code__in=policy.occupation_codes).values_list("name", flat=True)),
        "can_edit": can(request.user, "targeting.decide") and policy.is_current})


def _month_param(request: HttpRequest, name: str) -> dt.date | None:
    return qp.month_param(request, name)


# --- Rounds -----------------------------------------------------------------------------------

class RoundForm(forms.Form):
    payer = forms.ModelChoiceField(label=gettext_lazy("Pembayar (wadah)"), to_field_name="code",
                                   queryset=Payer.objects.exclude(kind=Payer.Kind.SELF).filter(is_active=True))
    policy = forms.ModelChoiceField(label=gettext_lazy("Kebijakan sasaran"),
                                    queryset=EligibilityPolicy.objects.filter(is_current=True))
    budget_idr = forms.IntegerField(label=gettext_lazy("Anggaran (Rp)"), widget=forms.NumberInput(
        attrs={"inputmode": "numeric"}))
    months = forms.IntegerField(label=gettext_lazy("Jumlah bulan"))
    start = forms.CharField(label=gettext_lazy("Bulan mulai (YYYY-MM)"), widget=forms.TextInput(
        attrs={"type": "month"}))
    quota = forms.ChoiceField(label=gettext_lazy("Kuota distrik"), choices=AllocationRound.QuotaMode.choices[:1]
                              + AllocationRound.QuotaMode.choices[2:])

    def clean_start(self) -> dt.date:
        try:
            return qp.check_month(self.cleaned_data["start"], field="start")
        except ValidationFailed:
            raise forms.ValidationError(_("Gunakan format YYYY-MM.")) from None

    def round_input(self) -> selectors.RoundInput:
        c = self.cleaned_data
        return selectors.RoundInput(payer=c["payer"], policy=c["policy"], budget_idr=c["budget_idr"],
                                    months=c["months"], start=c["start"], quota_mode=c["quota"])


@capability_required("targeting.read")
def round_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.round_list(actor=request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "targeting/round_list.html", {
        "nav": "targeting", "page": page, "can_prepare": can(request.user, "targeting.prepare")})


def _default_policy(request: AuthenticatedHttpRequest) -> EligibilityPolicy | None:
    """The form's first choice: the oldest current policy, or none yet."""
    try:
        return selectors.policy_default(actor=request.user)
    except NotFound:
        return None


@capability_required({"GET": "targeting.read", "*": "targeting.prepare"})
@personal_data("targeting.preview", object_type="targeting.allocationround")
def round_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Fill in a round, see the preview (GET), then prepare it for approval (POST)."""
    policy = _default_policy(request)
    initial = {"months": 12, "start": format_month(_next_month()), "quota": "none", "policy": policy}
    data = request.POST if request.method == "POST" else (request.GET if "payer" in request.GET else None)
    form = RoundForm(data, initial=initial)
    preview, rows, page = None, [], None
    if form.is_bound and form.is_valid():
        try:
            if request.method == "POST":
                allocation_round = services.round_prepare(actor=request.user, data=form.round_input())
                messages.success(request, _("Putaran #%(id)s disiapkan; menunggu persetujuan admin lain.")
                                 % {"id": allocation_round.pk})
                return redirect("targeting:round_detail", allocation_round.pk)
            preview = selectors.allocation_preview(actor=request.user, data=form.round_input())
            status = qp.choice_param(request, "status", ["selected", "waitlisted"])
            page = Paginator(range(preview.count(status)), PAGE).get_page(request.GET.get("page"))
            rows = [{**r, "name": r["person"].full_name if r["person"] else "—",
                     "status": _("Terpilih") if r["selected"] else _("Daftar tunggu")}
                    for r in preview.ranked(offset=page.start_index() - 1 if page.object_list else 0, limit=PAGE,
                                            status=status)]
        except (ValidationFailed, Conflict) as exc:
            _form_errors(form, exc)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "targeting/round_new.html", {
        "nav": "targeting", "form": form, "preview": preview, "rows": rows, "page": page,
        "query": query.urlencode(), "status": request.GET.get("status", ""),
        "distrik": preview.by_distrik() if preview else [],
        "can_prepare": can(request.user, "targeting.prepare")})


class TopUpForm(forms.Form):
    budget_idr = forms.IntegerField(label=gettext_lazy("Tambahan anggaran (Rp)"))
    months = forms.IntegerField(label=gettext_lazy("Jumlah bulan"))
    start = forms.CharField(label=gettext_lazy("Bulan mulai (YYYY-MM)"), widget=forms.TextInput(
        attrs={"type": "month"}))

    clean_start = RoundForm.clean_start


@capability_required("targeting.read")
@personal_data("targeting.round_read", object_type="targeting.allocationround", id_kwarg="round_id")
def round_detail(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
    status = request.GET.get("status", "")
    if status not in ("", "selected", "waitlisted", "enrolled", "skipped"):
        status = ""
    entries = selectors.round_entries(actor=request.user, allocation_round=allocation_round, status=status)
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    user = request.user
    can_approve = (allocation_round.status == AllocationRound.Status.PREPARED
                   and can(user, "targeting.decide") and allocation_round.prepared_by_id != user.pk)
    return render(request, "targeting/round_detail.html", {
        "nav": "targeting", "round": allocation_round, "page": page, "status": status,
        "distrik": selectors.round_by_distrik(allocation_round=allocation_round),
        "can_approve": can_approve, "same_preparer": allocation_round.prepared_by_id == user.pk,
        "can_cancel": allocation_round.status == AllocationRound.Status.PREPARED
        and (can(user, "targeting.decide") or allocation_round.prepared_by_id == user.pk),
        "can_top_up": allocation_round.status == AllocationRound.Status.APPROVED
        and can(user, "targeting.prepare") and allocation_round.waitlisted_count > 0,
        "top_up_form": TopUpForm(initial={"months": allocation_round.months,
                                          "start": format_month(max(_next_month(), allocation_round.start_month))}),
        "statuses": AllocationEntry.Status.choices,
        "approval_comment": last_comment(action="targeting.round_approve", object_type="targeting.allocationround",
                                         object_id=allocation_round.pk)
        if allocation_round.status == AllocationRound.Status.APPROVED else ""})


def _approval_confirmation(request: AuthenticatedHttpRequest, allocation_round: AllocationRound,
                           comment: str) -> Confirmation:
    """What approving the round will do, in figures (``selectors.round_approval_figures``), and what
    stops it now: the maker-checker rule, the admin's capability, the round's status, a missing
    budget line."""
    user = request.user
    figures = selectors.round_approval_figures(actor=user, allocation_round=allocation_round)
    rows = [
        Figure(_("Kepesertaan draf yang akan dibuat (paling banyak)"),
               ngettext("%(n)s kepesertaan", "%(n)s kepesertaan", figures.selected) % {
                   "n": intcomma(figures.selected)}, strong=True),
        Figure(_("Pembayar"), str(allocation_round.payer.name)),
        Figure(_("Mulai dan lama"), _("%(start)s, %(n)s bulan") % {
            "start": date_format(allocation_round.start_month, "F Y"), "n": figures.months}),
        Figure(_("Total iuran per bulan"), format_idr(figures.monthly_idr)),
        Figure(_("Biaya seluruh putaran"), format_idr(figures.cost_idr), strong=True),
        Figure(_("Tetap di daftar tunggu"), intcomma(figures.waitlisted)),
    ]
    blockers = []
    for year, cost, available, left in figures.by_year:
        rows.append(Figure(_("Biaya tahun %(year)s") % {"year": year}, format_idr(cost)))
        if available is None:
            blockers.append(_("%(payer)s belum punya pagu anggaran tahun %(year)s.") % {
                "payer": allocation_round.payer.name, "year": year})
            continue
        rows.append(Figure(_("Anggaran tersisa tahun %(year)s sekarang") % {"year": year}, format_idr(available)))
        rows.append(Figure(_("Anggaran tersisa tahun %(year)s setelahnya") % {"year": year},
                           format_idr(left), warning=left is not None and left < 0))
    if allocation_round.status != AllocationRound.Status.PREPARED:
        blockers.insert(0, _("Putaran ini tidak lagi menunggu persetujuan (status: %(s)s).") % {
            "s": allocation_round.get_status_display()})
    elif not can(user, "targeting.decide"):
        blockers.insert(0, _("Hanya admin yang dapat menyetujui putaran alokasi."))
    elif allocation_round.prepared_by_id == user.pk:
        blockers.insert(0, _("Anda menyiapkan putaran ini; persetujuan harus oleh admin lain."))
    detail = reverse("targeting:round_detail", args=[allocation_round.pk])
    return Confirmation(
        title=_("Setujui putaran #%(id)s?") % {"id": allocation_round.pk},
        action_url=reverse("targeting:round_action", args=[allocation_round.pk, "approve"]),
        submit_label=_("Ya, setujui dan buat kepesertaan draf"), cancel_url=detail, figures=rows,
        blockers=blockers, comment=comment,
        notes=[_("Orang yang tidak lagi dapat didaftarkan (meninggal, sudah punya kepesertaan, di luar umur) "
                 "dilewati saat persetujuan; anggaran diperiksa lagi.")])


@capability_required("targeting.prepare")
def round_action(request: AuthenticatedHttpRequest, round_id: int, action: str) -> HttpResponse:
    allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
    if action == "approve" and not is_confirmed(request):
        # The first POST (the round page's button) or a GET: what will happen, nothing written.
        return render(request, "confirm/confirm_page.html", {
            "nav": "targeting",
            "confirm": _approval_confirmation(request, allocation_round, posted_comment(request))})
    if request.method != "POST":
        return redirect("targeting:round_detail", round_id)
    try:
        if action == "approve":
            done = services.round_approve(actor=request.user, allocation_round=allocation_round,
                                          comment=posted_comment(request))
            messages.success(request, _("Putaran disetujui: %(n)s kepesertaan draf dibuat, %(s)s dilewati.") % {
                "n": done.enrolled_count, "s": done.skipped_count})
        elif action == "cancel":
            services.round_cancel(actor=request.user, allocation_round=allocation_round)
            messages.success(request, _("Putaran dibatalkan."))
        elif action == "top-up":
            form = TopUpForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Isi tambahan anggaran, jumlah bulan dan bulan mulai (YYYY-MM)."))
            else:
                new = services.round_top_up(actor=request.user, parent=allocation_round,
                                            budget_idr=form.cleaned_data["budget_idr"],
                                            months=form.cleaned_data["months"], start=form.cleaned_data["start"])
                messages.success(request, _("Putaran tambahan #%(id)s disiapkan dari daftar tunggu.") % {"id": new.pk})
                return redirect("targeting:round_detail", new.pk)
        else:
            raise Http404
    except (ValidationFailed, Conflict, PermissionDenied) as exc:
        messages.error(request, str(exc.message))
    return redirect("targeting:round_detail", round_id)


# --- Why this person --------------------------------------------------------------------------

@capability_required("targeting.read")
@personal_data("targeting.person_why", object_type="registry.person", id_kwarg="person_id")
def person_why(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    allocation_round = None
    round_id = qp.int_param(request, "round", low=1)
    if round_id is not None:
        allocation_round = selectors.round_get(actor=request.user, round_id=round_id)
    policy = None
    policy_id = qp.int_param(request, "policy", low=1)
    if policy_id is not None:
        policy = selectors.policy_get(actor=request.user, policy_id=policy_id)
    explanation = selectors.person_explain(actor=request.user, person_id=person_id, policy=policy,
                                           allocation_round=allocation_round, start=_month_param(request, "start"))
    return render(request, "targeting/person_why.html", {"nav": "targeting", "x": explanation,
                                                         "round": allocation_round})


# --- Scenarios --------------------------------------------------------------------------------

class ScenarioForm(forms.Form):
    payer = RoundForm.base_fields["payer"]
    policy = RoundForm.base_fields["policy"]
    budget_idr = forms.IntegerField(label=gettext_lazy("Anggaran (Rp)"), required=False)
    months = forms.IntegerField(label=gettext_lazy("Jumlah bulan"))
    start = RoundForm.base_fields["start"]
    max_decile = forms.IntegerField(label=gettext_lazy("Tanggung semua di desil 1 sampai"), min_value=1,
                                    max_value=10)
    clean_start = RoundForm.clean_start


@capability_required("targeting.read")
def scenarios(request: AuthenticatedHttpRequest) -> HttpResponse:
    policy = _default_policy(request)
    payer = Payer.objects.exclude(kind=Payer.Kind.SELF).filter(is_active=True).order_by("name").first()
    initial = {"months": 12, "start": format_month(_next_month()), "max_decile": 2, "policy": policy,
               "payer": payer.code if payer else None, "budget_idr": 2_200_000_000}
    form = ScenarioForm(request.GET if "payer" in request.GET else None, initial=initial)
    buys, cover, chart = None, None, []
    if form.is_bound and form.is_valid():
        c = form.cleaned_data
        try:
            if c.get("budget_idr"):
                buys = selectors.scenario_buys(actor=request.user, payer=c["payer"], policy=c["policy"],
                                               budget_idr=c["budget_idr"], months=c["months"], start=c["start"])
            cover = selectors.scenario_cover_all(actor=request.user, payer=c["payer"], policy=c["policy"],
                                                 max_decile=c["max_decile"], months=c["months"], start=c["start"])
            chart = _chart(buys, cover)
        except (ValidationFailed, Conflict) as exc:
            _form_errors(form, exc)
    return render(request, "targeting/scenarios.html", {"nav": "targeting", "form": form, "buys": buys,
                                                        "cover": cover, "chart": chart})


def _chart(buys: selectors.Preview | None, cover: selectors.Scenario | None) -> list[dict[str, Any]]:
    """Per distrik: eligible under the policy, people the budget buys, everyone in the deciles —
    as CSS bar widths (percent of the largest), so the page needs no chart library."""
    rows: dict[str, dict[str, Any]] = {}
    for r in buys.by_distrik() if buys else []:
        rows.setdefault(r.code, {"name": r.name})
        rows[r.code].update(eligible=r.eligible, selected=r.selected)
    for r in cover.by_distrik if cover else []:
        rows.setdefault(r.code, {"name": r.name})
        rows[r.code].update(cover=r.eligible, cover_idr=r.cost_idr)
    top = max([max(v.get("eligible", 0), v.get("cover", 0)) for v in rows.values()] + [1])
    out = []
    for code in sorted(rows):
        v = rows[code]
        out.append({"code": code, **v, **{f"{k}_pct": round(100 * v.get(k, 0) / top, 1)
                                          for k in ("eligible", "selected", "cover")}})
    return out

