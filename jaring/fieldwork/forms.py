"""The field-work screens' forms: a visit, an outreach event and an attendee. The services check
everything again; these only shape what a phone sends."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.core.forms import IsoDateField
from jaring.fieldwork.models import NOTE_MAX, OutreachEvent, Visit
from jaring.fieldwork.services import MAX_ATTENDEES


class VisitForm(forms.Form):
    visited_on = IsoDateField(label=_("Tanggal"))
    channel = forms.ChoiceField(label=_("Cara"), choices=Visit.Channel.choices, initial=Visit.Channel.VISIT)
    outcome = forms.ChoiceField(label=_("Hasil"), choices=[("", "—"), *Visit.Outcome.choices])
    promised_on = IsoDateField(label=_("Janji bayar pada"), required=False,
                               help_text=_("Hanya bila hasilnya janji bayar."))
    note = forms.CharField(label=_("Catatan"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX}))


class EventForm(forms.Form):
    held_on = IsoDateField(label=_("Tanggal"))
    place = forms.CharField(label=_("Tempat"), max_length=200,
                            help_text=_("Misalnya: Gereja GKI Maranatha, Pasar Remu, Kantor Kelurahan."))
    kelurahan = forms.ChoiceField(label=_("Kelurahan"))
    facilitators = forms.MultipleChoiceField(label=_("Pendamping"), required=False,
                                             widget=forms.CheckboxSelectMultiple,
                                             help_text=_("Kosong: Anda sendiri."))
    partners = forms.MultipleChoiceField(label=_("Mitra"), required=False, choices=OutreachEvent.Partner.choices,
                                         widget=forms.CheckboxSelectMultiple)
    partner_names = forms.CharField(label=_("Nama mitra"), required=False, max_length=200)
    attendees_count = forms.IntegerField(label=_("Jumlah hadir"), min_value=0, max_value=MAX_ATTENDEES, initial=0,
                                         widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    note = forms.CharField(label=_("Catatan"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, kelurahan: list[tuple[str, str]], facilitators: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kelurahan"]).choices = [("", "—"), *kelurahan]
        cast(forms.ChoiceField, self.fields["facilitators"]).choices = facilitators
        if len(facilitators) <= 1:
            del self.fields["facilitators"]


class AttendeeForm(forms.Form):
    nik = forms.CharField(label=_("NIK (orang yang sudah terdaftar)"), required=False, max_length=40,
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    name = forms.CharField(label=_("atau nama (belum terdaftar)"), required=False, max_length=150)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("nik") or "").strip() and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Isi NIK atau nama."))
        return data
