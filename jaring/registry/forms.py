from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.forms import IsoDateField
from jaring.regions.selectors import kelurahan_choices
from jaring.registry.identity import nik_findings
from jaring.registry.models import DataSource, Occupation, Person

# Service field names → form field names.
SERVICE_FIELDS = {"kelurahan_code": "kelurahan"}


def kelurahan_field_choices(user: User) -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for k in kelurahan_choices(within_codes=scope_for(user).codes):
        groups.setdefault(k.parent.name if k.parent else "", []).append((k.code, k.name))
    choices: list[tuple[str, Any]] = [("", "—")]
    if len(groups) == 1:
        return choices + next(iter(groups.values()))
    return choices + [(_("Distrik %(name)s") % {"name": name}, items) for name, items in groups.items()]


def occupation_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(o.code, o.name) for o in Occupation.objects.all()]


def _add_service_errors(form: forms.Form, fields: dict[str, list[Any]]) -> None:
    """A service's field errors onto the form's fields (a field the form lacks: a form error)."""
    for name, messages in fields.items():
        target = SERVICE_FIELDS.get(name, name)
        for message in messages or [""]:
            form.add_error(target if target in form.fields else None, str(message))


class ServiceForm(forms.Form):
    """A form whose data goes to a service: the service's field errors land on the form's fields."""

    def add_service_errors(self, fields: dict[str, list[Any]]) -> None:
        _add_service_errors(self, fields)

    def add_refusal(self, exc: Any) -> None:
        """A service's refusal (ValidationFailed, Conflict) on the form: its field errors, or its
        message above the form when it names no field."""
        self.add_service_errors(exc.fields)
        if not exc.fields:
            self.add_error(None, str(exc.message))


def _clean_nik(nik: str) -> str:
    """The NIK's own rules first, so they show even when other fields are missing."""
    errors = [f.message for f in nik_findings(nik) if f.is_error]
    if errors:
        raise forms.ValidationError(errors)
    return nik


class PersonForm(ServiceForm):
    nik = forms.CharField(label=_("NIK"), max_length=40, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "16 digit"}))
    # autocomplete="off" on a person's own data: the browser would offer the clerk's name and number.
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    sex = forms.ChoiceField(label=_("Jenis kelamin"), choices=[("M", _("Laki-laki (L)")), ("F", _("Perempuan (P)"))],
                            widget=forms.RadioSelect)
    birth_place = forms.CharField(label=_("Tempat lahir"), max_length=80, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}))
    birth_date = IsoDateField(label=_("Tanggal lahir"))
    kelurahan = forms.ChoiceField(label=_("Kelurahan"))
    kk_number = forms.CharField(label=_("Nomor KK"), max_length=40, required=False,
                                help_text=_("Bila diisi, orang ini masuk ke keluarga dengan KK tersebut."),
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    relationship = forms.ChoiceField(label=_("Hubungan dalam keluarga"), required=False,
                                     choices=[("", "—"), *Person.Relationship.choices])
    phone = forms.CharField(label=_("Nomor HP"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    occupation = forms.ChoiceField(label=_("Pekerjaan"), required=False)
    declared_income_idr = forms.IntegerField(label=_("Penghasilan yang dilaporkan (Rp)"), required=False,
                                             min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    disability = forms.ChoiceField(label=_("Disabilitas"), choices=Person.Disability.choices, initial="none")
    consent_basis = forms.ChoiceField(label=_("Dasar pemrosesan data (UU 27/2022)"), required=False,
                                      choices=[("", "—"), *Person.ConsentBasis.choices])
    consent_date = IsoDateField(label=_("Tanggal persetujuan"), required=False)
    confirm_warnings = forms.BooleanField(label=_("Saya sudah memeriksa dan data ini benar"), required=False)

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kelurahan, occupation = self.fields["kelurahan"], self.fields["occupation"]
        assert isinstance(kelurahan, forms.ChoiceField) and isinstance(occupation, forms.ChoiceField)
        kelurahan.choices = kelurahan_field_choices(user)
        occupation.choices = occupation_choices()
        if editing:
            # The NIK is shown masked on the edit page; changing it is its own audited action
            # (NikChangeForm, registry.services.person_change_nik), never a field among others.
            self.fields.pop("nik")
            self.fields.pop("kk_number")

    def clean_nik(self) -> str:
        return _clean_nik(self.cleaned_data["nik"])

    def to_service(self, *, only_changed: bool = False) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_warnings", None)
        data["kelurahan"] = data.pop("kelurahan")
        data["data_source"] = DataSource.WEB_FORM
        if only_changed:
            changed = set(self.changed_data) - {"confirm_warnings"}
            data = {k: v for k, v in data.items() if k in changed}
        return data


class NikChangeForm(ServiceForm):
    """A person's NIK replaced by another (a typing error, a new KTP): its own page and audit event."""

    nik = forms.CharField(label=_("NIK baru"), max_length=40, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "16 digit"}))
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=200,
                             help_text=_("Misalnya: salah ketik saat pendaftaran, KTP baru."),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    confirm_warnings = forms.BooleanField(label=_("Saya sudah memeriksa dan data ini benar"), required=False)

    def clean_nik(self) -> str:
        return _clean_nik(self.cleaned_data["nik"])


class KkChangeForm(ServiceForm):
    """A household's KK number replaced by another: its own page and audit event."""

    kk_number = forms.CharField(label=_("Nomor KK baru"), max_length=40, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "16 digit"}))
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=200,
                             help_text=_("Misalnya: salah ketik saat pendaftaran, KK baru."),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))


class HouseholdForm(ServiceForm):
    kk_number = forms.CharField(label=_("Nomor KK"), max_length=40, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    address = forms.CharField(label=_("Alamat"), max_length=255, required=False)
    kelurahan = forms.ChoiceField(label=_("Kelurahan"))
    welfare_decile = forms.IntegerField(label=_("Desil kesejahteraan (1–10)"), required=False, min_value=1,
                                        max_value=10)
    decile_source = forms.ChoiceField(label=_("Sumber data desil"), required=False,
                                      choices=[("", "—"), ("P3KE", "P3KE"), ("DTKS", "DTKS"), ("DTSEN", "DTSEN"),
                                               ("field_survey", _("Pendataan lapangan"))])
    decile_date = IsoDateField(label=_("Tanggal data desil"), required=False)
    pkh_beneficiary = forms.BooleanField(label=_("Keluarga penerima PKH"), required=False)

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields.pop("kk_number")  # shown masked; the KK is not retyped on every edit
        kelurahan = self.fields["kelurahan"]
        assert isinstance(kelurahan, forms.ChoiceField)
        kelurahan.choices = kelurahan_field_choices(user)
        if not user.sees_poverty_data:
            for name in ("welfare_decile", "decile_source", "decile_date", "pkh_beneficiary"):
                self.fields.pop(name)

    def to_service(self, *, only_changed: bool = False) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if only_changed:
            data = {k: v for k, v in data.items() if k in set(self.changed_data)}
        return data
