"""Filters for the shared form partials (``forms/_error_summary.html``, ``registry/_field.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class FieldError:
    label: str
    anchor: str  # the id of the element a link should reach ("" when the field is not on the page)
    messages: list[str]


@register.filter
def field_errors(form: forms.BaseForm | None) -> list[FieldError]:
    """The form's refused fields in display order. A radio group or a list of boxes has no element with
    the field's id; the link goes to its first choice (``id_sex_0``), which is what a click on its label does."""
    if form is None or not form.errors:
        return []
    refused = []
    for bound in form:
        if not bound.errors:
            continue
        anchor = "" if bound.is_hidden else (bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else ""))
        refused.append(FieldError(label=str(bound.label), anchor=anchor, messages=[str(m) for m in bound.errors]))
    return refused


@register.filter
def has_errors(form: Any) -> bool:
    return bool(form is not None and getattr(form, "errors", None))


@register.filter
def phone_widget(bound: forms.BoundField) -> str:
    """The field's input, with a number keypad on phones for any number field that did not ask for one."""
    widget = bound.field.widget
    if bound.field.show_hidden_initial or not isinstance(widget, forms.NumberInput) or "inputmode" in widget.attrs:
        return str(bound)
    return bound.as_widget(attrs={"inputmode": "numeric"})
