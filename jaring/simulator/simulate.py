"""Glue between the pure rules engine and Jaring's interfaces (CLI, API, web page)."""

from __future__ import annotations

from typing import Any

from jaring.core.errors import ValidationFailed
from jaring.core.money import format_idr
from jaring.core.parameters import current_parameters
from jaring.rules import Result, RulesInputError, calculate_benefits, calculate_contribution

# The engine's names for the contribution inputs → the names the CLI and API use.
_FIELD_NAMES = {"programmes": "programs", "first_period": "period"}


def _invalid(exc: RulesInputError, *, lang: str = "id") -> ValidationFailed:
    message = exc.message_en if lang == "en" else exc.message
    head, _dot, rest = exc.field.partition(".")
    field = _FIELD_NAMES.get(head, head) + (f".{rest}" if rest else "")
    return ValidationFailed(message, fields={field: [message]},
                            extra={"field": field, "message_en": exc.message_en})


def _as_int(value: Any, field: str) -> Any:
    if isinstance(value, str):
        text = value.strip().replace(".", "").replace("_", "")
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def contribution(*, income: Any, programs: Any, period: Any, months: Any, payer: Any,
                 sector: Any = "other") -> Result:
    if isinstance(programs, str):
        programs = [p.strip() for p in programs.split(",") if p.strip()]
    try:
        return calculate_contribution(
            declared_income_idr=_as_int(income, "declared_income_idr"),
            programmes=[str(p).lower() for p in programs or []], first_period=period,
            months=_as_int(months, "months"), payer=payer, sector=sector,
            params=current_parameters())
    except RulesInputError as exc:
        raise _invalid(exc) from None


def benefit(case: Any, *, as_of: Any = None) -> Result:
    try:
        return calculate_benefits(case, as_of=as_of, params=current_parameters())
    except RulesInputError as exc:
        raise _invalid(exc) from None


def print_result(stream: Any, result: Result, *, lang: str, title: str) -> None:
    """A readable table for a terminal (Indonesian by default)."""
    from rich.console import Console
    from rich.table import Table

    english = lang == "en"
    table = Table(title=title if not english else None, show_lines=False)
    table.add_column("Item" if english else "Rincian")
    table.add_column("Amount" if english else "Jumlah", justify="right")
    table.add_column("Basis" if english else "Dasar perhitungan")
    data = result.to_dict(lang)
    for item in data["items"]:
        amount = format_idr(item["amount_idr"]) if item["amount_idr"] is not None else (
            "as needed" if english else "sesuai kebutuhan")
        table.add_row(item["label"], amount, f"{item['basis']}\n[dim]{item['citation']}[/dim]")
    table.add_row("[bold]Total[/bold]" if english else "[bold]Jumlah[/bold]",
                  f"[bold]{format_idr(data['total_idr'])}[/bold]", "")
    console = Console(file=stream, width=120, color_system=None, highlight=False)
    console.print(table)
    if not data["eligible"]:
        console.print("Not eligible:" if english else "Tidak memenuhi syarat:")
    for reason in data["reasons"]:
        console.print(f"  • {reason}")
    for note in data["notes"]:
        console.print(f"  ℹ {note}")
