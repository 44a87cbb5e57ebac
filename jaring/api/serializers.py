"""Input and output shapes of API v1. Inputs are parsed here; rules live in the services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jaring.registry.models import DataSource, Household, Person
from jaring.rules import PAYERS


class PersonInputSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=40, help_text=_("16 digit; disimpan terenkripsi."))
    kk_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    full_name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField(input_formats=["%Y-%m-%d"])
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    kelurahan_code = serializers.CharField(max_length=20, help_text=_("Kode sekarang atau kode lama."))
    occupation = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    birth_place = serializers.CharField(max_length=80, required=False, allow_blank=True)
    relationship = serializers.ChoiceField(choices=Person.Relationship.choices, required=False,
                                           allow_blank=True)
    transport_sector = serializers.BooleanField(required=False, allow_null=True, default=None)
    declared_income_idr = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    disability = serializers.ChoiceField(choices=Person.Disability.choices, required=False)
    consent_basis = serializers.ChoiceField(choices=Person.ConsentBasis.choices, required=False,
                                            allow_blank=True)
    consent_date = serializers.DateField(required=False, allow_null=True, input_formats=["%Y-%m-%d"])
    data_source = serializers.ChoiceField(choices=DataSource.choices, required=False)
    death_date = serializers.DateField(required=False, allow_null=True, input_formats=["%Y-%m-%d"])
    confirm_warnings = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Kirim true untuk menyimpan walau tanggal lahir/jenis kelamin tidak cocok dengan NIK."))

    def to_person_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("confirm_warnings", None)
        if "kelurahan_code" in data:
            data["kelurahan"] = data.pop("kelurahan_code")
        if self.partial is False and data.get("transport_sector") is None:
            data.pop("transport_sector", None)
        return data


class PersonPatchSerializer(PersonInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        self.fields.pop("kk_number")


class MergedIntoSerializer(serializers.Serializer):
    merged_into = serializers.IntegerField(help_text=_("Data ini sudah digabung; id orang yang dipakai sekarang "
                                                       "(juga di header Location)."))


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    nik = serializers.CharField(source="nik_masked", help_text=_("Selalu disamarkan."))
    kk_number = serializers.SerializerMethodField()
    full_name = serializers.CharField()
    birth_place = serializers.CharField()
    birth_date = serializers.DateField()
    sex = serializers.CharField()
    kelurahan_code = serializers.CharField(source="kelurahan.code")
    kelurahan_name = serializers.CharField(source="kelurahan.name")
    household = serializers.IntegerField(source="household_id", allow_null=True)
    relationship = serializers.CharField()
    occupation = serializers.SerializerMethodField()
    transport_sector = serializers.BooleanField()
    phone = serializers.CharField()
    declared_income_idr = serializers.IntegerField(allow_null=True)
    disability = serializers.CharField()
    consent_basis = serializers.CharField()
    consent_date = serializers.DateField(allow_null=True)
    data_source = serializers.CharField()
    death_date = serializers.DateField(allow_null=True)
    kpj = serializers.CharField(allow_null=True, help_text=_("Nomor KPJ BPJSTK (11 digit), milik orang ini."))
    nik_verification = serializers.CharField(help_text=_(
        "Jawaban Dukcapil atas NIK: unverified, verified, not_found atau mismatch."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_kk_number(self, person: Person) -> str | None:
        return person.household.kk_masked if person.household_id and person.household else None

    def get_occupation(self, person: Person) -> str | None:
        return person.occupation.code if person.occupation_id and person.occupation else None


class HouseholdInputSerializer(serializers.Serializer):
    kk_number = serializers.CharField(max_length=40)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    kelurahan_code = serializers.CharField(max_length=20)
    welfare_decile = serializers.IntegerField(required=False, allow_null=True)
    decile_source = serializers.ChoiceField(choices=DataSource.choices, required=False, allow_blank=True)
    decile_date = serializers.DateField(required=False, allow_null=True, input_formats=["%Y-%m-%d"])
    pkh_beneficiary = serializers.BooleanField(required=False)
    data_source = serializers.ChoiceField(choices=DataSource.choices, required=False)

    def to_household_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "kelurahan_code" in data:
            data["kelurahan"] = data.pop("kelurahan_code")
        return data


class HouseholdOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kk_number = serializers.CharField(source="kk_masked")
    address = serializers.CharField()
    kelurahan_code = serializers.CharField(source="kelurahan.code")
    kelurahan_name = serializers.CharField(source="kelurahan.name")
    welfare_decile = serializers.IntegerField(allow_null=True)
    decile_source = serializers.CharField()
    decile_date = serializers.DateField(allow_null=True)
    pkh_beneficiary = serializers.BooleanField()
    data_source = serializers.CharField()

    def to_representation(self, instance: Household) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.sees_poverty_data:
            for key in ("welfare_decile", "decile_source", "decile_date", "pkh_beneficiary"):
                data.pop(key, None)
        return data


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    legacy_code = serializers.CharField()
    level = serializers.CharField()
    name = serializers.CharField()
    parent_code = serializers.SerializerMethodField()

    def get_parent_code(self, region: Any) -> str | None:
        return region.code.rsplit(".", 1)[0] if "." in region.code else None


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    areas = serializers.ListField(child=serializers.DictField())


class ContributionSimulationSerializer(serializers.Serializer):
    declared_income_idr = serializers.IntegerField(help_text=_("Nominal penghasilan (harus nilai tabel)."))
    programs = serializers.ListField(child=serializers.CharField(), help_text="JKK, JKM, JHT")
    period = serializers.CharField(help_text="YYYY-MM")
    months = serializers.IntegerField(required=False, help_text="1, 3, 6 atau 12")
    payer = serializers.ChoiceField(choices=list(PAYERS), help_text="The rules engine's funding class.")
    sector = serializers.ChoiceField(choices=["transport", "other"], required=False)


class BenefitCaseSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=["work_accident", "death"])
    event_date = serializers.DateField()
    declared_income_idr = serializers.IntegerField()
    contribution_months = serializers.IntegerField(required=False)
    work_accident = serializers.DictField(required=False)
    children = serializers.ListField(child=serializers.DictField(), required=False)


class SimulationItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    # Stub gap: DRF's metaclass moves declared fields out of the class, so this does not shadow
    # Field.label at run time; the stubs cannot see that.
    label = serializers.CharField()  # type: ignore[assignment]
    amount_idr = serializers.IntegerField(allow_null=True)
    basis = serializers.CharField()
    citation = serializers.CharField()


class SimulationResultSerializer(serializers.Serializer):
    total_idr = serializers.IntegerField()
    items = SimulationItemSerializer(many=True)
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
