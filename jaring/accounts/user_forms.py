"""Forms of the user administration pages (``user_views``): the list's filters, a new user, a user's
details. The choices come from ``user_admin`` (what this admin may grant); the service still decides,
and its refusals land on the fields they name (``core.forms.show_refusal``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import Role, User
from jaring.accounts.user_admin import grantable_regions, grantable_roles
from jaring.core.forms import show_refusal

# The service's field names → the form's (``services.user_create`` says "area", the rest "areas").
SERVICE_FIELDS = {"area": "areas", "method": "credentials"}
CREDENTIAL_CHOICES = [
    ("temporary", _("Kata sandi sementara (diganti saat pertama masuk)")),
    ("link", _("Tautan sekali pakai untuk membuat kata sandi sendiri")),
]
ACTIVE_CHOICES = [("", _("Semua")), ("1", _("Aktif")), ("0", _("Nonaktif"))]


class UserFilterForm(forms.Form):
    """The list's filters (GET). A value that is not one of the choices is the field's error and the
    filter is left out, never a crash."""

    q = forms.CharField(label=_("Cari nama pengguna atau nama"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Peran"), required=False, choices=[("", _("Semua")), *Role.choices])
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def filters(self) -> dict[str, Any]:
        """The keyword arguments for ``users_for``: only the fields that passed."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        active = data.get("active", "")
        return {"query": data.get("q", ""), "role": data.get("role", ""),
                "active": None if active == "" else active == "1"}


@dataclass
class AreaGroup:
    """One district (or the whole city) with its boxes, for the area picker."""

    label: str
    widgets: list[Any] = field(default_factory=list)
    selected: int = 0


def _area_choices(regions: list[Any]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(code, label) for each region the admin may grant, and each code's group (its district, or
    itself for the city and the districts)."""
    choices, group_of = [], {}
    for region in regions:
        if region.level == region.Level.KELURAHAN:
            choices.append((region.code, region.name))
            group_of[region.code] = region.code.rsplit(".", 1)[0]
        else:
            label = (_("Seluruh Distrik %(name)s") if region.level == region.Level.DISTRICT
                     else _("Seluruh %(name)s")) % {"name": region.name}
            choices.append((region.code, str(label)))
            group_of[region.code] = region.code
    return choices, group_of


class UserForm(forms.Form):
    """A user's details, role and areas, limited to what ``actor`` may grant."""

    name = forms.CharField(label=_("Nama"), max_length=150, required=False,
                           help_text=_("Bila kosong, nama pengguna dipakai."),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Peran"))
    areas = forms.MultipleChoiceField(
        label=_("Wilayah tugas"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Centang distrik atau kelurahan. Pendamping wajib punya wilayah; peran lain tanpa wilayah "
                    "melihat seluruh kota."))
    phone = forms.CharField(label=_("Nomor HP"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    email = forms.EmailField(label=_("Surel"), max_length=254, required=False,
                             help_text=_("Untuk tautan atur ulang kata sandi yang diminta sendiri."),
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, actor: User, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role, areas = self.fields["role"], self.fields["areas"]
        assert isinstance(role, forms.ChoiceField) and isinstance(areas, forms.MultipleChoiceField)
        role.choices = [("", "—"), *((r, Role(r).label) for r in grantable_roles(actor))]
        regions = grantable_regions(actor)
        if user is not None:
            # The user's own areas are choices even if the admin could not grant them: an unchanged
            # form must not be refused (the service judges a change).
            known = {r.code for r in regions}
            regions += [a.region for a in user.areas.select_related("region") if a.region.code not in known]
        choices, self._group_of = _area_choices(regions)
        self._names = {r.code: r.name for r in regions}
        areas.choices = choices
        self.own_account = user is not None and user.pk == actor.pk
        if self.own_account:
            # Not one's own role or areas (user_admin._not_self): another admin changes them.
            del self.fields["role"], self.fields["areas"]

    def area_groups(self) -> list[AreaGroup]:
        """The area boxes grouped by district (city first), for a picker that stays short on a phone."""
        groups: dict[str, AreaGroup] = {}
        chosen = {str(v) for v in (self["areas"].value() or [])}
        for widget in self["areas"].subwidgets:
            code = str(widget.data["value"])
            key = self._group_of.get(code, code)
            group = groups.get(key)
            if group is None:
                name = self._names.get(key, key)
                label = _("Distrik %(name)s") % {"name": name} if key.count(".") == 2 else name
                group = groups[key] = AreaGroup(label=str(label))
            group.widgets.append(widget)
            group.selected += code in chosen
        return list(groups.values())

    def add_refusal(self, exc: Any) -> None:
        """A service's refusal on the fields it names, or above the form."""
        show_refusal(self, exc, SERVICE_FIELDS)


class UserCreateForm(UserForm):
    username = forms.CharField(
        label=_("Nama pengguna"), max_length=150,
        help_text=_("Untuk masuk: huruf, angka dan . _ - @ saja, tanpa spasi."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}))
    credentials = forms.ChoiceField(label=_("Cara memberi akses"), choices=CREDENTIAL_CHOICES, initial="temporary",
                                    widget=forms.RadioSelect)

    field_order = ["username", "name", "role", "areas", "phone", "email", "credentials"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.order_fields(self.field_order)

    def add_refusal(self, exc: Any) -> None:
        from jaring.core.errors import Conflict

        if isinstance(exc, Conflict):  # the only conflict of a new user: the username is taken
            self.add_error("username", str(exc.message))
            return
        super().add_refusal(exc)
