"""Simulasi: what a worker pays and what it buys, side by side, in plain Indonesian.
And the regulation parameters in force on any date, read-only, with their citations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.accounts.capabilities import can, capability_required
from jaring.accounts.types import AuthenticatedHttpRequest
from jaring.core.context import rules_lang
from jaring.core.errors import ValidationFailed
from jaring.core.glossary import TERMS
from jaring.core.money import add_months, format_month, month_start
from jaring.core.parameters import current_parameters
from jaring.rules import RulesInputError
from jaring.simulator import simulate
from jaring.simulator.parameter_labels import people_rows

# Whose money pays (the rules engine's funding classes): the PP 50/2025 discount follows it.
PAYERS = [("self", gettext_lazy("Bayar sendiri (mandiri)")),
          ("apbd", gettext_lazy("APBD kota/provinsi, dana kelurahan atau dana Otsus")),
          ("apbn", gettext_lazy("APBN")),
          ("apbdes", gettext_lazy("Dana desa (APBDes)")),
          ("non_state", gettext_lazy("Pihak lain: CSR, bank, zakat, gereja"))]


def _lang() -> str:
    return rules_lang()


def _for_families(result: Any) -> dict[str, Any]:
    """The result without notes meant for the office (values awaiting verification)."""
    data: dict[str, Any] = result.to_dict(_lang())
    data["notes"] = [n.text(_lang()) for n in result.notes if not n.code.startswith("unverified_")]
    return data


def _protection_cases(income: int, event_date: dt.date) -> list[dict[str, Any]]:
    """The protection a month's contribution buys, as the four situations families ask about."""
    base = {"event_date": event_date.isoformat(), "declared_income_idr": income}
    child = [{"birth_date": (event_date - dt.timedelta(days=365 * 9)).isoformat(), "level": "SD"}]
    cases = [
        (_("Kecelakaan kerja, dirawat lalu sembuh"), {**base, "event": "work_accident", "contribution_months": 1,
         "work_accident": {"outcome": "recovered", "stmb_months": 1, "transport_idr": {"land": 500_000}}}),
        (_("Kecelakaan kerja, cacat total tetap"), {**base, "event": "work_accident", "contribution_months": 1,
         "work_accident": {"outcome": "total_disability"}, "children": child}),
        (_("Meninggal karena kecelakaan kerja"), {**base, "event": "work_accident", "contribution_months": 1,
         "work_accident": {"outcome": "death"}, "children": child}),
        (_("Meninggal bukan karena kerja (iuran < 3 tahun)"), {**base, "event": "death",
                                                               "contribution_months": 12}),
        (_("Meninggal bukan karena kerja (iuran ≥ 3 tahun, 1 anak SD)"), {**base, "event": "death",
                                                                           "contribution_months": 36,
                                                                           "children": child}),
    ]
    out = []
    for title, case in cases:
        try:
            result = _for_families(simulate.benefit(case))
        except ValidationFailed:
            continue
        out.append({"title": title, "result": result})
    return out


@capability_required("session")
def simulation(request: AuthenticatedHttpRequest) -> HttpResponse:
    params = current_parameters()
    today = timezone.localdate()
    snapshot = params.on(today, field="today")
    brackets = list(snapshot.value("income_brackets", "brackets_idr"))
    advance = list(snapshot.value("membership", "advance_months"))
    get = request.GET
    form: dict[str, Any] = {  # strings from the query, except "jht" (a bool)
        "income": get.get("income", str(brackets[0])), "jht": get.get("jht") == "on",
        "payer": get.get("payer", "self"), "sector": get.get("sector", "other"),
        "months": get.get("months", "1"), "period": get.get("period", format_month(month_start(today))),
    }
    error = None
    contribution = None
    monthly: list[dict[str, Any]] = []
    try:
        programs = ["JKK", "JKM"] + (["JHT"] if form["jht"] else [])
        result = simulate.contribution(income=form["income"], programs=programs,
                                       period=form["period"], months=form["months"], payer=form["payer"],
                                       sector=form["sector"])
        contribution = _for_families(result)
        by_month: dict[str, dict[str, Any]] = {}
        for item in contribution["items"]:
            row = by_month.setdefault(item["period"], {"period": item["period"], "items": [], "total": 0})
            row["items"].append(item)
            row["total"] += item["amount_idr"] or 0
        monthly = list(by_month.values())
    except ValidationFailed as exc:
        error = exc.message
    raw_income = str(form["income"])
    income = int(raw_income) if raw_income.isascii() and raw_income.isdigit() and len(raw_income) <= 12 else brackets[0]
    protection = _protection_cases(income, today)
    months_choices = [(str(m), m) for m in advance]
    period_choices = [format_month(add_months(month_start(today), i)) for i in range(-2, 13)]
    if form["period"] not in period_choices:
        period_choices.insert(0, form["period"])
    return render(request, "simulator/simulation.html", {
        "nav": "simulation", "form": form, "brackets": brackets, "payers": PAYERS, "months_choices": months_choices,
        "period_choices": period_choices, "contribution": contribution, "monthly": monthly, "error": error,
        "protection": protection,
    })


@capability_required("session")
def parameters(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The parameters in force on a day, written for people (labels, rupiah, dates, a plain "belum
    dipastikan"); admins may switch to the technical view (the files' keys and notes) with ``?teknis=1``."""
    today = timezone.localdate()
    text = request.GET.get("on", today.isoformat())
    error = None
    rows: list[dict[str, Any]] = []
    try:
        on = dt.date.fromisoformat(text)
        rows = current_parameters().on(on, field="on").rows()
    except ValueError:
        on, error = today, _("Tanggal tidak sah; gunakan format TTTT-BB-HH.")
    except RulesInputError as exc:
        on, error = today, exc.message
    can_technical = can(request.user, "parameters.technical")
    technical = can_technical and request.GET.get("teknis") == "1"
    families: dict[str, list[dict[str, Any]]] = {}
    if technical:
        for row in rows:
            families.setdefault(row["family"], []).append(row)
    return render(request, "simulator/parameters.html", {
        "nav": "parameters", "on": on, "error": error, "technical": technical, "can_technical": can_technical,
        "families": families, "groups": [] if technical else people_rows(rows)})


@capability_required("session")
def glossary(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The words of social security explained (core.glossary); the periods that are regulation
    parameters are filled from the ones in force today."""
    snapshot = current_parameters().on(timezone.localdate(), field="today")
    values = {"max_arrears": snapshot.value("membership", "max_arrears_months")}
    terms = [{"key": t.key, "word": t.word, "name": t.name, "text": str(t.text) % values if "%(" in str(t.text)
              else t.text} for t in TERMS]
    return render(request, "simulator/glossary.html", {"nav": "glossary", "terms": terms})
