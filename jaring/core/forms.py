"""Form pieces every app uses, so a rule about how a value travels through a form lives once."""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """``<input type="date">`` whose value is always ISO 8601.

    Browsers read and send a date input's value as ``YYYY-MM-DD`` whatever the page's language.
    Django's DateInput renders in the active locale's format (``15-09-1990`` in Indonesian), which
    the browser shows as an empty field, so an unchanged form would wipe the date on save.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


class IsoDateField(forms.DateField):
    """A date field for ``<input type="date">``: ISO first, day-first forms typed by hand after."""

    widget = IsoDateInput
    input_formats = [ISO_DATE, "%d/%m/%Y", "%d-%m-%Y"]


def show_refusal(form: forms.Form, exc: Any, aliases: dict[str, str] | None = None) -> None:
    """A service's refusal (a ``JaringError``) on the form: its message on each field it names that the
    form has (``aliases``: the service's name → the form's), otherwise above the form. The service's
    ``fields`` lists may hold the refused values rather than messages, so the message is the text."""
    aliases = aliases or {}
    message = str(exc.message)
    on_form = sorted({aliases.get(name, name) for name in exc.fields} & set(form.fields))
    for name in on_form:
        form.add_error(name, message)
    if not on_form:
        form.add_error(None, message)


def clean_upload(upload: Any, suffixes: tuple[str, ...]) -> Any:
    """An uploaded data file checked before any job reads it: a known suffix, not empty, within the
    import sandbox's size limit (``core.sandbox.Limits``). Refusals are the field's errors."""
    from pathlib import Path

    from django.utils.translation import gettext as _

    from jaring.core.sandbox import Limits

    if Path(upload.name).suffix.lower() not in suffixes:
        raise forms.ValidationError(_("Jenis berkas tidak didukung. Gunakan: %(s)s") % {"s": ", ".join(suffixes)})
    if upload.size == 0:
        raise forms.ValidationError(_("Berkas kosong."))
    limit = Limits.from_settings().max_bytes
    if upload.size > limit:
        raise forms.ValidationError(_("Berkas terlalu besar (%(mb)s MB; batas %(max)s MB).") % {
            "mb": upload.size // 2**20, "max": limit // 2**20})
    return upload
