"""Forms of the household screens: the members step and moving a person between households."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import User
from jaring.registry.forms import PersonForm, ServiceForm
from jaring.registry.identity import kk_findings
from jaring.registry.models import Person

RELATIONSHIP_CHOICES = [("", "—"), *Person.Relationship.choices]


def relationship_field(**kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Hubungan dalam keluarga"), choices=RELATIONSHIP_CHOICES, **kwargs)


class NewMemberForm(PersonForm):
    """A new person registered straight into the household: the household gives the kelurahan and
    the KK, so the form asks for neither; the relationship is asked first and is required."""

    field_order = ["relationship", "nik", "full_name", "sex", "birth_date"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, user=user, **kwargs)
        self.fields.pop("kelurahan")
        self.fields.pop("kk_number")
        self.fields["relationship"].required = True
        self.order_fields(self.field_order)

    def to_service(self, *, only_changed: bool = False) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_warnings", None)
        data.pop("relationship", None)  # passed to the service on its own
        data["data_source"] = "web_form"
        return data


class MemberAddForm(forms.Form):
    """A registered person (found by the search) added to the household with a relationship."""

    person = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    relationship = relationship_field(required=True)


class MemberRelationshipForm(forms.Form):
    """A member's relationship in the household, corrected."""

    person = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    relationship = relationship_field(required=False)


class MoveForm(ServiceForm):
    """A person moved to (or added to) the household holding a KK number."""

    kk_number = forms.CharField(label=_("Nomor KK keluarga tujuan"), max_length=40,
                                help_text=_("Ketik nomor KK dari kartu keluarga tujuan (16 digit)."),
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                              "placeholder": "16 digit"}))
    relationship = relationship_field(required=True)
    reason = forms.CharField(label=_("Alasan"), max_length=200, required=False,
                             help_text=_("Misalnya: menikah, pisah KK, salah input."),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_kk_number(self) -> str:
        value: str = self.cleaned_data["kk_number"]
        errors = [f.message for f in kk_findings(value) if f.is_error]
        if errors:
            raise forms.ValidationError(errors)
        return value
