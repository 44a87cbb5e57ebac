"""All writes to the registry: persons, households and who belongs to which household."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can, require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.audit import audit_log, audit_log_many, diff
from jaring.core.crypto import cipher
from jaring.core.errors import Conflict, NeedsConfirmation, NotFound, PermissionDenied, ValidationFailed
from jaring.core.touched import households_touched, persons_touched
from jaring.regions.models import Region
from jaring.regions.selectors import region_lookup
from jaring.registry.identity import (
    Finding,
    clean_digits,
    kk_findings,
    kpj_clean,
    kpj_findings,
    mask_identifier,
    nik_findings,
)
from jaring.registry.models import DataSource, Household, HouseholdDecile, Occupation, Person
from jaring.registry.name_words import name_words_refresh
from jaring.registry.names import last_word_first, person_name_key

_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
MAX_NAME = 150


@dataclass
class PersonInput:
    """What a form, the API, the CLI or an import hands to ``person_register``/``person_update``."""

    nik: str | None = None
    full_name: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    kelurahan: Region | str | None = None
    kk_number: str | None = None
    birth_place: str | None = None
    relationship: str | None = None
    phone: str | None = None
    occupation: Occupation | str | None = None
    transport_sector: bool | None = None
    declared_income_idr: int | None = None
    disability: str | None = None
    consent_basis: str | None = None
    consent_date: dt.date | None = None
    data_source: str | None = None
    death_date: dt.date | None = None
    household: Household | None = None
    provided: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, **values: Any) -> PersonInput:
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown person fields: {sorted(unknown)}")
        return cls(**values, provided=set(values))


def _require_writer(actor: User) -> None:
    require(actor, "registry.write")


def _resolve_region(value: Region | str | None, actor: User, errors: dict[str, list[str]]) -> Region | None:
    if value is None or value == "":
        errors.setdefault("kelurahan_code", []).append(_("Kelurahan wajib diisi."))
        return None
    region = value if isinstance(value, Region) else region_lookup(str(value), level=Region.Level.KELURAHAN)
    if region is None or region.level != Region.Level.KELURAHAN:
        errors.setdefault("kelurahan_code", []).append(
            _("Kode kelurahan tidak dikenal: %(code)s") % {"code": value})
        return None
    if not scope_for(actor).contains_code(region.code):
        errors.setdefault("kelurahan_code", []).append(
            _("Kelurahan %(name)s di luar wilayah tugas Anda.") % {"name": region.name})
        return None
    return region


def _resolve_occupation(value: Occupation | str | None, errors: dict[str, list[str]]) -> Occupation | None:
    if value in (None, ""):
        return None
    if isinstance(value, Occupation):
        return value
    occupation = Occupation.objects.filter(code=value).first()
    if occupation is None:
        errors.setdefault("occupation", []).append(
            _("Kode pekerjaan tidak dikenal: %(code)s") % {"code": value})
    return occupation


def _check_fields(data: PersonInput, errors: dict[str, list[str]], *, creating: bool) -> None:
    today = timezone.localdate()
    if creating or "full_name" in data.provided:
        name = (data.full_name or "").strip()
        if not name or not person_name_key(name):
            errors.setdefault("full_name", []).append(_("Nama lengkap wajib diisi."))
        elif len(name) > MAX_NAME:
            errors.setdefault("full_name", []).append(
                _("Nama terlalu panjang (maksimal %(n)s karakter).") % {"n": MAX_NAME})
    if creating or "birth_date" in data.provided:
        if data.birth_date is None:
            errors.setdefault("birth_date", []).append(_("Tanggal lahir wajib diisi."))
        elif data.birth_date > today:
            errors.setdefault("birth_date", []).append(_("Tanggal lahir tidak boleh di masa depan."))
        elif data.birth_date.year < 1900:
            errors.setdefault("birth_date", []).append(_("Tanggal lahir tidak wajar."))
    if (creating or "sex" in data.provided) and data.sex not in Person.Sex.values:
        errors.setdefault("sex", []).append(_("Jenis kelamin harus M (laki-laki) atau F (perempuan)."))
    if data.phone and not _PHONE.match(clean_digits(data.phone)):
        errors.setdefault("phone", []).append(_("Nomor HP tidak sah (8–15 angka)."))
    if data.declared_income_idr is not None and data.declared_income_idr < 0:
        errors.setdefault("declared_income_idr", []).append(_("Penghasilan tidak boleh negatif."))
    if data.relationship and data.relationship not in Person.Relationship.values:
        errors.setdefault("relationship", []).append(_("Hubungan keluarga tidak dikenal."))
    if data.disability and data.disability not in Person.Disability.values:
        errors.setdefault("disability", []).append(_("Jenis disabilitas tidak dikenal."))
    if data.consent_basis and data.consent_basis not in Person.ConsentBasis.values:
        errors.setdefault("consent_basis", []).append(_("Dasar pemrosesan data tidak dikenal."))
    if data.consent_date and data.consent_date > today:
        errors.setdefault("consent_date", []).append(_("Tanggal persetujuan tidak boleh di masa depan."))
    if data.death_date and data.death_date > today:
        errors.setdefault("death_date", []).append(_("Tanggal meninggal tidak boleh di masa depan."))
    if data.data_source and data.data_source not in DataSource.values:
        errors.setdefault("data_source", []).append(_("Sumber data tidak dikenal."))


def _raise_findings(findings: list[Finding], errors: dict[str, list[str]], confirm: bool) -> list[str]:
    for f in findings:
        if f.is_error:
            errors.setdefault(f.field, []).append(f.message)
    if errors:
        raise ValidationFailed(_("Data belum benar; periksa kolom yang ditandai."), fields=errors)
    warnings = [f for f in findings if not f.is_error]
    if warnings and not confirm:
        raise NeedsConfirmation(
            _("Ada data yang tidak cocok dengan NIK. Periksa, lalu konfirmasi bila sudah benar."),
            fields={f.field: [f.message] for f in warnings},
            extra={"warnings": [{"code": f.code, "field": f.field, "message": f.message}
                                for f in warnings]})
    return [f.code for f in warnings]


def _duplicate_nik(actor: User, existing: Person) -> Conflict:
    if scope_for(actor).contains_code(existing.kelurahan.code):
        return Conflict(_("NIK ini sudah terdaftar atas nama %(name)s.") % {"name": existing.full_name},
                        code="duplicate_nik", extra={"existing_id": existing.pk,
                                                     "existing_url": existing.get_absolute_url()})
    # Outside the caller's area: say that it exists, never where or who.
    return Conflict(_("NIK ini sudah terdaftar di wilayah lain. Hubungi Dinas Sosial."),
                    code="duplicate_nik")


def person_snapshot(person: Person) -> dict[str, Any]:
    """Fields as an audit event keeps them: the NIK masked, never in clear."""
    return {
        "nik": person.nik_masked,
        "full_name": person.full_name,
        "birth_place": person.birth_place,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "sex": person.sex,
        "kelurahan": person.kelurahan.code if person.kelurahan_id else None,
        "household": person.household_id,
        "relationship": person.relationship,
        "phone": person.phone,
        "occupation": person.occupation.code if person.occupation else None,
        "transport_sector": person.transport_sector,
        "declared_income_idr": person.declared_income_idr,
        "disability": person.disability,
        "consent_basis": person.consent_basis,
        "consent_date": person.consent_date.isoformat() if person.consent_date else None,
        "data_source": person.data_source,
        "death_date": person.death_date.isoformat() if person.death_date else None,
    }


def _household_for_kk(actor: User, kk: str, kelurahan: Region, source: str) -> Household:
    index = cipher().blind_index(kk, kind="kk")
    household = Household.objects.select_related("kelurahan").filter(kk_index=index).first()
    if household is None:
        household = Household.objects.create(
            kk_encrypted=cipher().encrypt(kk, kind="kk"), kk_index=index, kelurahan=kelurahan,
            data_source=source)
        audit_log(actor=actor, action="household.create", obj=household,
                  region_code=kelurahan.code, after={"kk": mask_identifier(kk),
                                                     "kelurahan": kelurahan.code})
        return household
    if not scope_for(actor).contains_code(household.kelurahan.code):
        raise Conflict(_("Nomor KK ini sudah terdaftar di wilayah lain. Hubungi Dinas Sosial."),
                       code="duplicate_kk", fields={"kk_number": [_("KK terdaftar di wilayah lain.")]})
    return household


@transaction.atomic
def person_register(*, actor: User, data: PersonInput, confirm_warnings: bool = False) -> Person:
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    _check_fields(data, errors, creating=True)
    region = _resolve_region(data.kelurahan, actor, errors)
    occupation = _resolve_occupation(data.occupation, errors)
    for f in kk_findings(data.kk_number or ""):
        if f.is_error:
            errors.setdefault(f.field, []).append(f.message)
    findings = nik_findings(data.nik or "", birth_date=data.birth_date, sex=data.sex)
    confirmed = _raise_findings(findings, errors, confirm_warnings)
    # _check_fields and _resolve_region reported any of these missing, and _raise_findings raised.
    assert region is not None and data.birth_date is not None and data.sex is not None
    nik = clean_digits(data.nik or "")
    index = cipher().blind_index(nik, kind="nik")
    existing = Person.objects.select_related("kelurahan").filter(nik_index=index).first()
    if existing is not None:
        raise _duplicate_nik(actor, existing)
    source = data.data_source or DataSource.WEB_FORM
    household = data.household
    if household is None and data.kk_number:
        household = _household_for_kk(actor, clean_digits(data.kk_number), region, source)
    person = Person(
        nik_encrypted=cipher().encrypt(nik, kind="nik"), nik_index=index,
        full_name=(data.full_name or "").strip(), name_key=person_name_key(data.full_name or ""),
        name_key_last=last_word_first(person_name_key(data.full_name or "")),
        birth_place=(data.birth_place or "").strip(), birth_date=data.birth_date, sex=data.sex,
        household=household, relationship=data.relationship or "", kelurahan=region,
        phone=clean_digits(data.phone or ""), occupation=occupation,
        transport_sector=(data.transport_sector if data.transport_sector is not None
                          else bool(occupation and occupation.transport_sector)),
        declared_income_idr=data.declared_income_idr, disability=data.disability or "none",
        consent_basis=data.consent_basis or "", consent_date=data.consent_date,
        consent_recorded_by=actor if data.consent_basis else None, data_source=source,
        death_date=data.death_date, confirmed_warnings=confirmed, created_by=actor,
    )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a concurrent registration of the same NIK won the race
        raise Conflict(_("NIK ini sudah terdaftar."), code="duplicate_nik") from exc
    name_words_refresh([person.pk])
    audit_log(actor=actor, action="person.register", obj=person, region_code=region.code,
              after=person_snapshot(person))
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, data: PersonInput,
                  confirm_warnings: bool = False) -> Person:
    _require_writer(actor)
    person = (Person.objects.select_for_update(of=("self",)).select_related("kelurahan", "occupation")
              .get(pk=person.pk))
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    before = person_snapshot(person)
    errors: dict[str, list[str]] = {}
    _check_fields(data, errors, creating=False)
    p = data.provided
    region = _resolve_region(data.kelurahan, actor, errors) if "kelurahan" in p else person.kelurahan
    occupation = _resolve_occupation(data.occupation, errors) if "occupation" in p else person.occupation
    birth_date = data.birth_date if "birth_date" in p else person.birth_date
    sex = data.sex if "sex" in p else person.sex
    nik = clean_digits(data.nik) if "nik" in p and data.nik else person.nik
    findings = nik_findings(nik, birth_date=birth_date, sex=sex)
    confirmed = _raise_findings(findings, errors, confirm_warnings or
                                {f.code for f in findings} <= set(person.confirmed_warnings))
    before_nik, before_verification = person.nik, person.nik_verification
    if nik != before_nik:
        index = cipher().blind_index(nik, kind="nik")
        existing = Person.objects.select_related("kelurahan").filter(nik_index=index).first()
        if existing is not None:
            raise _duplicate_nik(actor, existing)
        person.nik_encrypted = cipher().encrypt(nik, kind="nik")
        person.nik_index = index
        # Dukcapil's answer was about the old NIK (decision 0041).
        person.nik_verification, person.nik_verified_at = Person.NikVerification.UNVERIFIED, None
    if "full_name" in p:
        person.full_name = (data.full_name or "").strip()
        person.name_key = person_name_key(person.full_name)
        person.name_key_last = last_word_first(person.name_key)
    for name in ("birth_place",):
        if name in p:
            setattr(person, name, (getattr(data, name) or "").strip())
    if "phone" in p:
        person.phone = clean_digits(data.phone or "")
    for name in ("birth_date", "sex", "declared_income_idr", "consent_date", "death_date"):
        if name in p:
            setattr(person, name, getattr(data, name))
    for name in ("relationship", "consent_basis", "data_source"):
        if name in p:
            setattr(person, name, getattr(data, name) or "")
    if "disability" in p:
        person.disability = data.disability or "none"
    if "consent_basis" in p and data.consent_basis and before["consent_basis"] != data.consent_basis:
        person.consent_recorded_by = actor
    person.kelurahan = region  # type: ignore[assignment]
    person.occupation = occupation
    if "transport_sector" in p and data.transport_sector is not None:
        person.transport_sector = data.transport_sector
    elif "occupation" in p:
        person.transport_sector = bool(occupation and occupation.transport_sector)
    confirmed_changed = sorted(confirmed) != sorted(person.confirmed_warnings or [])
    person.confirmed_warnings = confirmed
    changed_before, changed_after = diff(before, person_snapshot(person))
    if nik != before_nik:
        # Two NIKs can share a mask; the event must still say the NIK changed.
        changed_before["nik"], changed_after["nik"] = before["nik"], person.nik_masked
        if before_verification != Person.NikVerification.UNVERIFIED:
            changed_before["nik_verification"] = before_verification
            changed_after["nik_verification"] = Person.NikVerification.UNVERIFIED
    if not changed_after and not confirmed_changed:
        return person  # an unchanged form saves nothing (not even updated_at)
    person.save()
    if "full_name" in changed_after:
        name_words_refresh([person.pk])
    if changed_after:
        audit_log(actor=actor, action="person.update", obj=person, region_code=person.kelurahan.code,
                  before=changed_before, after=changed_after)
    return person


@transaction.atomic
def person_reveal_nik(*, actor: User, person: Person, reason: str = "") -> str:
    """Return the whole NIK and record who saw it. Liaisons and auditors may see it too."""
    audit_log(actor=actor, action="person.reveal_nik", obj=person, region_code=person.kelurahan.code,
              after={"reason": reason[:200]})
    return person.nik


# --- Changing an identifier: its own audited action, never a field of the edit form ----------------

# The edit forms show the NIK and the KK masked; seeing the old value takes the audited reveal, and
# replacing it is this action, whose event keeps both values masked (the log never holds a NIK in clear).

@transaction.atomic
def person_change_nik(*, actor: User, person: Person, nik: str, reason: str = "",
                      confirm_warnings: bool = False) -> Person:
    """Replace a person's NIK (a typing error at registration, a corrected KTP). The new NIK passes the
    same checks as at registration, may belong to nobody else, and is unverified until Dukcapil answers."""
    _require_writer(actor)
    person = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=person.pk)
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    new_nik = clean_digits(nik or "")
    errors: dict[str, list[str]] = {}
    findings = nik_findings(nik or "", birth_date=person.birth_date, sex=person.sex)
    if new_nik and new_nik == person.nik and not any(f.is_error for f in findings):
        errors["nik"] = [_("NIK baru sama dengan NIK sekarang.")]
    confirmed = _raise_findings(findings, errors, confirm_warnings or
                                {f.code for f in findings} <= set(person.confirmed_warnings))
    index = cipher().blind_index(new_nik, kind="nik")
    existing = Person.objects.select_related("kelurahan").filter(nik_index=index).exclude(pk=person.pk).first()
    if existing is not None:
        raise _duplicate_nik(actor, existing)
    before = {"nik": person.nik_masked, "nik_verification": person.nik_verification}
    person.nik_encrypted = cipher().encrypt(new_nik, kind="nik")
    person.nik_index = index
    # Dukcapil's answer was about the old NIK (decision 0041).
    person.nik_verification, person.nik_verified_at = Person.NikVerification.UNVERIFIED, None
    person.confirmed_warnings = confirmed
    try:
        with transaction.atomic():
            person.save(update_fields=["nik_encrypted", "nik_index", "nik_verification", "nik_verified_at",
                                       "confirmed_warnings", "updated_at"])
    except IntegrityError as exc:  # a registration of the same NIK won the race
        raise Conflict(_("NIK ini sudah terdaftar."), code="duplicate_nik") from exc
    audit_log(actor=actor, action="person.change_nik", obj=person, region_code=person.kelurahan.code,
              before=before, after={"nik": person.nik_masked, "nik_verification": person.nik_verification,
                                    "reason": reason.strip()[:200]})
    return person


@transaction.atomic
def household_reveal_kk(*, actor: User, household: Household, reason: str = "") -> str:
    """Return the whole KK number and record who saw it (as ``person_reveal_nik`` does for a NIK)."""
    require(actor, "nik.reveal")
    if not scope_for(actor).contains_code(household.kelurahan.code):
        raise NotFound(_("Keluarga tidak ditemukan."))
    audit_log(actor=actor, action="household.reveal_kk", obj=household, region_code=household.kelurahan.code,
              after={"reason": reason[:200]})
    return household.kk_number


@transaction.atomic
def household_change_kk(*, actor: User, household: Household, kk: str, reason: str = "") -> Household:
    """Replace a household's KK number (a typing error, a reissued KK): checked as at creation, and
    held by no other household."""
    _require_writer(actor)
    household = (Household.objects.select_for_update(of=("self",)).select_related("kelurahan")
                 .get(pk=household.pk))
    if not scope_for(actor).contains_code(household.kelurahan.code):
        raise NotFound(_("Keluarga tidak ditemukan."))
    new_kk = clean_digits(kk or "")
    errors: dict[str, list[str]] = {}
    if not new_kk:
        errors.setdefault("kk_number", []).append(_("Nomor KK wajib diisi."))
    for f in kk_findings(kk or ""):
        if f.is_error:
            errors.setdefault("kk_number", []).append(f.message)
    if not errors and new_kk == household.kk_number:
        errors["kk_number"] = [_("Nomor KK baru sama dengan nomor sekarang.")]
    if errors:
        raise ValidationFailed(_("Data keluarga belum benar."), fields=errors)
    index = cipher().blind_index(new_kk, kind="kk")
    if Household.objects.filter(kk_index=index).exclude(pk=household.pk).exists():
        raise Conflict(_("Nomor KK ini sudah terdaftar."), code="duplicate_kk",
                       fields={"kk_number": [_("Nomor KK sudah terdaftar.")]})
    before = {"kk": household.kk_masked}
    household.kk_encrypted = cipher().encrypt(new_kk, kind="kk")
    household.kk_index = index
    try:
        with transaction.atomic():
            household.save(update_fields=["kk_encrypted", "kk_index", "updated_at"])
    except IntegrityError as exc:  # another household took this KK meanwhile
        raise Conflict(_("Nomor KK ini sudah terdaftar."), code="duplicate_kk") from exc
    audit_log(actor=actor, action="household.change_kk", obj=household, region_code=household.kelurahan.code,
              before=before, after={"kk": household.kk_masked, "reason": reason.strip()[:200]})
    return household


# --- KPJ: the person's BPJSTK membership number ---------------------------------------------------

# Who may record a KPJ: whoever enrols (the KPJ given at enrolment) and whoever exchanges files with
# BPJSTK (its KPJ file). Replacing a person's KPJ by another is an office decision.
KPJ_WRITERS = ("registry.write", "bpjstk.exchange")
KPJ_REPLACE = "registry.kpj_replace"  # the office roles (admin, operator)


def kpj_problem(kpj: str | None, *, field: str = "kpj") -> str | None:
    """The message of the first KPJ rule ``kpj`` breaks (registry.identity.KPJ_RULES), or None."""
    findings = kpj_findings(kpj or "", field=field)
    return findings[0].message if findings else None


@transaction.atomic
def person_assign_kpj(*, actor: User, person: Person, kpj: str, by: str, replace: bool = False,
                      reason: str = "") -> Person:
    """Record ``kpj`` as the person's KPJ. The KPJ belongs to the person for life, across all their
    membership periods and payers (DOMAIN §2.1): one person per KPJ, 11 digits.

    - Same KPJ as recorded: nothing changes (idempotent, no event).
    - The KPJ of another person: ``Conflict`` ``kpj_taken`` (the database's unique index has the
      last word).
    - The person already has a different KPJ: ``Conflict`` ``kpj_differs``; BPJSTK files and
      enrolments never overwrite it (such a row goes to review). Only an office role asking with
      ``replace=True`` and a reason changes it.

    ``by`` names what recorded it (``membership.enrol``, ``bpjstk.kpj_file``, ``office``…); the audit
    event ``person.assign_kpj`` keeps it with the number before and after."""
    if not any(can(actor, capability) for capability in KPJ_WRITERS):
        raise PermissionDenied(_("Peran Anda tidak boleh melakukan ini."))
    problem = kpj_problem(kpj)
    if problem is not None:
        raise ValidationFailed(problem, fields={"kpj": [problem]}, code="kpj_format")
    value = kpj_clean(kpj)
    person = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=person.pk)
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    if person.kpj == value:
        return person
    if person.merged_into_id:
        raise Conflict(_("Data orang ini sudah digabung dengan data lain; catat KPJ pada data yang dipakai."),
                       code="merged")
    holder = Person.objects.filter(kpj=value).exclude(pk=person.pk).select_related("kelurahan").first()
    if holder is not None:
        raise _kpj_taken(actor, value, holder)
    if person.kpj and not replace:
        raise Conflict(_("%(name)s sudah punya nomor KPJ %(old)s; KPJ lain (%(new)s) tidak menggantinya. "
                         "Periksa dengan BPJSTK; hanya petugas kantor yang dapat menggantinya.")
                       % {"name": person.full_name, "old": person.kpj, "new": value}, code="kpj_differs",
                       fields={"kpj": [_("Berbeda dengan KPJ yang sudah tercatat (%(old)s).") % {"old": person.kpj}]},
                       extra={"recorded_kpj": person.kpj})
    if person.kpj and replace:
        require(actor, KPJ_REPLACE)
        if not reason.strip():
            raise ValidationFailed(_("Sebutkan alasan penggantian nomor KPJ (mis. surat BPJSTK)."),
                                   fields={"reason": []})
    before = person.kpj
    person.kpj = value
    try:
        with transaction.atomic():
            person.save(update_fields=["kpj", "updated_at"])
    except IntegrityError as exc:  # another person got this KPJ in the meantime
        raise Conflict(_("Nomor KPJ %(kpj)s sudah tercatat milik orang lain.") % {"kpj": value},
                       code="kpj_taken") from exc
    audit_log(actor=actor, action="person.assign_kpj", obj=person, region_code=person.kelurahan.code,
              before={"kpj": before}, after={"kpj": value, "by": by, **({"reason": reason.strip()} if before else {})})
    return person


def _kpj_taken(actor: User, kpj: str, holder: Person) -> Conflict:
    message = _("Nomor KPJ %(kpj)s sudah tercatat milik orang lain; satu KPJ hanya untuk satu orang.") % {"kpj": kpj}
    if scope_for(actor).contains_code(holder.kelurahan.code):
        return Conflict(message, code="kpj_taken", fields={"kpj": [message]},
                        extra={"existing_id": holder.pk, "existing_url": holder.get_absolute_url()})
    return Conflict(message, code="kpj_taken", fields={"kpj": [message]})  # outside the area: never who


@dataclass
class HouseholdInput:
    kk_number: str | None = None
    address: str | None = None
    kelurahan: Region | str | None = None
    welfare_decile: int | None = None
    decile_source: str | None = None
    decile_date: dt.date | None = None
    pkh_beneficiary: bool | None = None
    data_source: str | None = None
    provided: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, **values: Any) -> HouseholdInput:
        return cls(**values, provided=set(values))


def household_snapshot(household: Household) -> dict[str, Any]:
    return {
        "kk": household.kk_masked,
        "address": household.address,
        "kelurahan": household.kelurahan.code,
        "welfare_decile": household.welfare_decile,
        "decile_source": household.decile_source,
        "decile_date": household.decile_date.isoformat() if household.decile_date else None,
        "pkh_beneficiary": household.pkh_beneficiary,
    }


def _check_household(data: HouseholdInput, actor: User, errors: dict[str, list[str]],
                     creating: bool) -> tuple[Region | None, str]:
    region = None
    if creating or "kelurahan" in data.provided:
        region = _resolve_region(data.kelurahan, actor, errors)
    kk = ""
    if creating or "kk_number" in data.provided:
        kk = clean_digits(data.kk_number or "")
        if not kk:
            errors.setdefault("kk_number", []).append(_("Nomor KK wajib diisi."))
        for f in kk_findings(data.kk_number or ""):
            if f.is_error:
                errors.setdefault("kk_number", []).append(f.message)
    decile = data.welfare_decile
    if decile is not None and not 1 <= decile <= 10:
        errors.setdefault("welfare_decile", []).append(_("Desil harus 1 sampai 10."))
    if decile is not None and not data.decile_source and creating:
        errors.setdefault("decile_source", []).append(_("Sebutkan sumber data desil."))
    if data.decile_date and data.decile_date > timezone.localdate():
        errors.setdefault("decile_date", []).append(_("Tanggal data tidak boleh di masa depan."))
    if data.decile_source and data.decile_source not in DataSource.values:
        errors.setdefault("decile_source", []).append(_("Sumber data tidak dikenal."))
    return region, kk


@transaction.atomic
def household_create(*, actor: User, data: HouseholdInput) -> Household:
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    region, kk = _check_household(data, actor, errors, creating=True)
    if errors:
        raise ValidationFailed(_("Data keluarga belum benar."), fields=errors)
    assert region is not None  # creating: _check_household reported a missing kelurahan
    index = cipher().blind_index(kk, kind="kk")
    if Household.objects.filter(kk_index=index).exists():
        raise Conflict(_("Nomor KK ini sudah terdaftar."), code="duplicate_kk",
                       fields={"kk_number": [_("Nomor KK sudah terdaftar.")]})
    household = Household.objects.create(
        kk_encrypted=cipher().encrypt(kk, kind="kk"), kk_index=index, address=(data.address or "").strip(),
        kelurahan=region, welfare_decile=data.welfare_decile, decile_source=data.decile_source or "",
        decile_date=data.decile_date, pkh_beneficiary=bool(data.pkh_beneficiary),
        data_source=data.data_source or DataSource.WEB_FORM)
    audit_log(actor=actor, action="household.create", obj=household,
              region_code=region.code if region else "", after=household_snapshot(household))
    return household


@transaction.atomic
def household_update(*, actor: User, household: Household, data: HouseholdInput) -> Household:
    _require_writer(actor)
    household = (Household.objects.select_for_update(of=("self",)).select_related("kelurahan")
                 .get(pk=household.pk))
    if not scope_for(actor).contains_code(household.kelurahan.code):
        raise NotFound(_("Keluarga tidak ditemukan."))
    before = household_snapshot(household)
    errors: dict[str, list[str]] = {}
    region, kk = _check_household(data, actor, errors, creating=False)
    if errors:
        raise ValidationFailed(_("Data keluarga belum benar."), fields=errors)
    p = data.provided
    kk_changed = "kk_number" in p and kk != household.kk_number
    if kk_changed:
        index = cipher().blind_index(kk, kind="kk")
        if Household.objects.filter(kk_index=index).exclude(pk=household.pk).exists():
            raise Conflict(_("Nomor KK ini sudah terdaftar."), code="duplicate_kk")
        household.kk_encrypted = cipher().encrypt(kk, kind="kk")
        household.kk_index = index
    if region is not None:
        household.kelurahan = region
    if "address" in p:
        household.address = (data.address or "").strip()
    for name in ("welfare_decile", "decile_date"):
        if name in p:
            setattr(household, name, getattr(data, name))
    if "decile_source" in p:
        household.decile_source = data.decile_source or ""
    if "pkh_beneficiary" in p:
        household.pkh_beneficiary = bool(data.pkh_beneficiary)
    b, a = diff(before, household_snapshot(household))
    if kk_changed:
        b["kk"], a["kk"] = before["kk"], household.kk_masked
    if not a:
        return household  # an unchanged form saves nothing
    household.save()
    if a:
        audit_log(actor=actor, action="household.update", obj=household,
                  region_code=household.kelurahan.code, before=b, after=a)
    return household


def person_set_household(*, actor: User, person: Person, household: Household | None,
                         relationship: str = "") -> Person:
    """Move a person into another household (a family split, a marriage) or out of any: the same
    rules and history as ``household_move_person``, for callers that hold the household."""
    household_move_person(actor=actor, person=person, household=household, relationship=relationship)
    return Person.objects.select_related("kelurahan", "household").get(pk=person.pk)


# --- Household members: who belongs to which household, with history ------------------------------
# Every change of a person's household or relationship is a ``HouseholdMembershipChange`` row and an
# audit event (``person.set_household``), written here only. A person follows their household's
# kelurahan, so a move into a household of another kelurahan needs a user who covers both (the
# person's and the household's); a household has at most one head (``Relationship.HEAD``).

def _relationship_problem(relationship: str) -> str | None:
    if relationship and relationship not in Person.Relationship.values:
        return _("Hubungan keluarga tidak dikenal.")
    return None


def _head_taken(household: Household, person_pk: int | None) -> Conflict | None:
    heads = Person.objects.filter(household=household, relationship=Person.Relationship.HEAD,
                                  merged_into__isnull=True)
    if person_pk is not None:
        heads = heads.exclude(pk=person_pk)
    if heads.exists():
        message = _("Keluarga ini sudah punya kepala keluarga; satu keluarga hanya punya satu kepala keluarga.")
        return Conflict(message, code="head_exists", fields={"relationship": [message]})
    return None


def _household_by_kk(actor: User, kk_number: str) -> Household:
    """The household holding this KK number, for a move: an unknown number or one registered in a
    kelurahan the user does not cover is refused with its reason (never where, nor whose)."""
    errors: dict[str, list[str]] = {}
    kk = clean_digits(kk_number or "")
    if not kk:
        errors["kk_number"] = [_("Nomor KK wajib diisi.")]
    for f in kk_findings(kk_number or ""):
        if f.is_error:
            errors.setdefault("kk_number", []).append(f.message)
    if errors:
        raise ValidationFailed(_("Data keluarga belum benar."), fields=errors)
    household = (Household.objects.select_related("kelurahan")
                 .filter(kk_index=cipher().blind_index(kk, kind="kk")).first())
    if household is None:
        message = _("Belum ada keluarga dengan nomor KK ini. Tambahkan keluarganya dulu (menu Tambah keluarga).")
        raise ValidationFailed(message, fields={"kk_number": [message]})
    return household


def _out_of_area(household: Household) -> Conflict:
    message = _("Keluarga tujuan terdaftar di kelurahan di luar wilayah tugas Anda. Memindahkan orang ke sana "
                "hanya bisa oleh petugas yang mencakup kedua kelurahan; hubungi Dinas Sosial.")
    return Conflict(message, code="household_out_of_area", fields={"kk_number": [message]})


def _membership_change(*, actor: User, person: Person, before: dict[str, Any], reason: str,
                       from_household: Household | None) -> Any:
    from jaring.registry.models import HouseholdMembershipChange

    change = HouseholdMembershipChange.objects.create(
        person=person, from_household=from_household, to_household=person.household,
        relationship_before=before["relationship"], relationship_after=person.relationship,
        reason=reason, changed_at=timezone.now(), changed_by=actor)
    after = {"household": person.household_id,
             "kk": person.household.kk_masked if person.household else None,
             "relationship": person.relationship, "kelurahan": person.kelurahan.code, "change": change.pk}
    if reason:
        after["reason"] = reason
    audit_log(actor=actor, action="person.set_household", obj=person, region_code=person.kelurahan.code,
              before=before, after=after)
    return change


@transaction.atomic
def household_move_person(*, actor: User, person: Person, household: Household | None = None,
                          kk_number: str | None = None, relationship: str = "", reason: str = "") -> Any:
    """Put a person into a household, with their relationship in it: the household given, or the one
    holding ``kk_number``; ``household=None`` and no number takes the person out of any household.
    The same household with another relationship corrects the relationship. Returns the
    ``HouseholdMembershipChange``, or None when nothing changes."""
    _require_writer(actor)
    scope = scope_for(actor)
    person = (Person.objects.select_for_update(of=("self",)).select_related("kelurahan", "household")
              .get(pk=person.pk))
    if person.merged_into_id or not scope.contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    relationship = relationship or ""
    if problem := _relationship_problem(relationship):
        raise ValidationFailed(problem, fields={"relationship": [problem]})
    if kk_number is not None:
        household = _household_by_kk(actor, kk_number)
    elif household is not None:
        household = Household.objects.select_related("kelurahan").get(pk=household.pk)
    if household is not None and not scope.contains_code(household.kelurahan.code):
        raise _out_of_area(household)
    if household is None and relationship:
        relationship = ""  # outside any household a person has no relationship in one
    if (person.household_id == (household.pk if household else None)
            and person.relationship == relationship):
        return None
    if household is not None and relationship == Person.Relationship.HEAD and (
            conflict := _head_taken(household, person.pk)):
        raise conflict
    before = {"household": person.household_id,
              "kk": person.household.kk_masked if person.household else None,
              "relationship": person.relationship, "kelurahan": person.kelurahan.code}
    from_household = person.household
    person.household = household
    person.relationship = relationship
    if household is not None:
        person.kelurahan = household.kelurahan
    person.save(update_fields=["household", "relationship", "kelurahan", "updated_at"])
    return _membership_change(actor=actor, person=person, before=before, from_household=from_household,
                              reason=" ".join((reason or "").split())[:200])


@transaction.atomic
def household_register_member(*, actor: User, household: Household, data: PersonInput, relationship: str = "",
                              confirm_warnings: bool = False) -> Person:
    """Register a new person straight into a household (the member step of building a household):
    the person lives in the household's kelurahan; the registration and the joining are recorded."""
    _require_writer(actor)
    household = Household.objects.select_related("kelurahan").get(pk=household.pk)
    if not scope_for(actor).contains_code(household.kelurahan.code):
        raise NotFound(_("Keluarga tidak ditemukan."))
    relationship = relationship or ""
    if problem := _relationship_problem(relationship):
        raise ValidationFailed(problem, fields={"relationship": [problem]})
    if relationship == Person.Relationship.HEAD and (conflict := _head_taken(household, None)):
        raise conflict
    data.household, data.kelurahan, data.kk_number = household, household.kelurahan, None
    data.relationship = relationship
    data.provided |= {"household", "kelurahan", "relationship"}
    person = person_register(actor=actor, data=data, confirm_warnings=confirm_warnings)
    person = Person.objects.select_related("kelurahan", "household").get(pk=person.pk)
    _membership_change(actor=actor, person=person, before={"household": None, "kk": None, "relationship": ""},
                       from_household=None, reason="")
    return person


# --- Bulk import: the set-based write of persons already registered ------------------------------

# The fields a file may fill (or, when the user asks for it, replace) on a registered person: contact
# and household only. A name, birth date or sex is corrected one person at a time, never by a file.
IMPORT_FILLABLE = ("birth_place", "phone", "occupation_id", "household_id", "relationship")
PersonChanges = dict[int, tuple[dict[str, Any], dict[str, Any]]]


def persons_fill_from_import(*, actor: User, changes: PersonChanges, job_id: int | None = None) -> int:
    """Write what an import changes on registered persons. ``changes`` maps a person id to the
    (before, after) values of the ``IMPORT_FILLABLE`` fields the file changes.

    Set-based: one UPDATE statement per field, executed over all its persons, and one audit event per
    person with its before/after and the job (the trail of a person shows the import that touched
    it). Refused whole when a person, or a household a person would join, lies outside the actor's
    area: the import rejects such rows first, this is the service's own guard. Runs inside the
    import's transaction (all or nothing, decision 0011). Returns how many persons changed."""
    _require_writer(actor)
    if not changes:
        return 0
    updates: dict[str, list[tuple[Any, int]]] = {column: [] for column in IMPORT_FILLABLE}
    for pk, (_before, after) in changes.items():
        for column, value in after.items():
            if column not in updates:
                raise ValueError(f"an import may not change {column!r}")
            updates[column].append((value, pk))
    with transaction.atomic():
        scope = scope_for(actor)
        if not scope.covers_every_kelurahan:
            allowed = scope.region_ids
            households = sorted({value for value, _pk in updates["household_id"] if value is not None})
            for model, ids in ((Person, list(changes)), (Household, households)):
                for start in range(0, len(ids), 500):
                    if model.objects.filter(pk__in=ids[start:start + 500]).exclude(kelurahan_id__in=allowed).exists():
                        raise PermissionDenied(_("Impor ini mengubah data di luar wilayah Anda."))
        persons_touched(list(changes))  # the kelurahan they are counted in before and after the change
        now = timezone.now()
        with connection.cursor() as cursor:
            for column, pairs in updates.items():
                if pairs:  # column names come from IMPORT_FILLABLE, never from the file
                    cursor.executemany(f"UPDATE registry_person SET {column} = %s, updated_at = %s "  # noqa: S608
                                       "WHERE id = %s", [(value, now, pk) for value, pk in pairs])
        persons_touched(list(changes))
        audit_log_many(actor=actor, action="person.import_update", object_type="registry.person", events=[
            (str(pk), {"job": job_id, **before}, after) for pk, (before, after) in changes.items()])
    return len(changes)


def can_register(actor: User) -> bool:
    return can(actor, "registry.write")


# --- Duplicates -----------------------------------------------------------------------------

# Higher floors (memberships, dues) register how to move their rows from a merged person to the
# kept one; the registry calls them without importing them (see registry.panels for the pattern).
MergeHook = Any
merge_hooks: list[MergeHook] = []


def register_merge_hook(hook: MergeHook) -> MergeHook:
    if hook not in merge_hooks:
        merge_hooks.append(hook)
    return hook


def dedup_scan(*, actor: User, threshold: float | None = None, progress: Any = None) -> dict[str, int]:
    """Recompute candidate pairs over the user's area. Open pairs are refreshed; a dismissed or
    merged pair is never proposed again."""
    from jaring.registry.dedup import THRESHOLD, find, load_columns
    from jaring.registry.models import DuplicateCandidate
    from jaring.registry.selectors import person_queryset

    _require_writer(actor)
    # The scoped persons in columns (no model instances, no per-row objects kept): a million records
    # take seconds. Matching is set-based in dedup.find; the NIK is decrypted in memory only, for its
    # region and birth-date parts.
    columns = load_columns(person_queryset(actor=actor))
    decided = set(DuplicateCandidate.objects.exclude(status=DuplicateCandidate.Status.OPEN)
                  .values_list("person_a_id", "person_b_id"))
    found = find(ids=columns["ids"], names=columns["names"], births=columns["births"], sexes=columns["sexes"],
                 households=columns["households"], kelurahans=columns["kelurahans"], phones=columns["phones"],
                 niks=columns["niks"], threshold=threshold or THRESHOLD, exclude=decided, progress=progress)
    ids = columns["ids"]
    persons = len(ids)
    del columns, ids
    with transaction.atomic():
        # Open pairs between the people just scanned are brought up to date in place (a pair keeps
        # its id, so a link to it stays valid); pairs reaching outside the actor's area are left
        # alone, and decided pairs are never touched.
        open_pairs = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
        scope = scope_for(actor)
        if not scope.covers_every_kelurahan:  # joined, not two id subqueries (SQLite walks their product)
            open_pairs = open_pairs.filter(scope.region_ids_q("person_a__kelurahan_id"),
                                           scope.region_ids_q("person_b__kelurahan_id"),
                                           person_a__merged_into__isnull=True, person_b__merged_into__isnull=True)
        wanted = {(c.a, c.b): c for c in found}
        stale, changed = [], []
        for pair in open_pairs.only("id", "person_a_id", "person_b_id", "score", "reasons"):
            fresh = wanted.pop((pair.person_a_id, pair.person_b_id), None)
            if fresh is None:
                stale.append(pair.pk)
            elif (pair.score, pair.reasons) != (fresh.score, list(fresh.reasons)):
                pair.score, pair.reasons = fresh.score, list(fresh.reasons)
                changed.append(pair)
        for start in range(0, len(stale), 5_000):
            DuplicateCandidate.objects.filter(pk__in=stale[start:start + 5_000]).delete()
        DuplicateCandidate.objects.bulk_update(changed, ["score", "reasons"], batch_size=2_000)
        DuplicateCandidate.objects.bulk_create(
            [DuplicateCandidate(person_a_id=c.a, person_b_id=c.b, score=c.score, reasons=list(c.reasons))
             for c in wanted.values()], batch_size=5_000, ignore_conflicts=True)
        audit_log(actor=actor, action="dedup.scan", object_type="registry.duplicatecandidate",
                  after={"persons": persons, "candidates": len(found), "new": len(wanted), "gone": len(stale)})
    return {"persons": persons, "candidates": len(found)}


DEDUP_JOB = "dedup.scan"


def dedup_scan_queue(*, actor: User) -> Any:
    """A re-scan started from the review queue: a job that ``dedup_scan_job_run`` runs in the
    background (at a million persons a scan takes tens of seconds — too long for a request)."""
    from jaring.core.models import Job
    from jaring.core.services import job_create

    _require_writer(actor)
    running = Job.objects.filter(kind=DEDUP_JOB, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).first()
    if running is not None:
        return running
    job = job_create(actor=actor, kind=DEDUP_JOB)
    audit_log(actor=actor, action="dedup.scan.queue", object_type="core.job", object_id=str(job.pk))
    return job


def dedup_scan_job_run(job: Any) -> None:
    from jaring.core.jobs import job_begin, job_finish
    from jaring.core.models import Job

    say = job_begin(job)
    try:
        result = dedup_scan(actor=job.created_by, progress=lambda done, total: say("match", done, total))
    except Exception as exc:
        job_finish(job, status=Job.Status.FAILED, message=str(getattr(exc, "message", exc)))
        raise
    job_finish(job, status=Job.Status.SUCCEEDED, result=result, done=result["persons"])


def _require_pair_in_scope(actor: User, candidate: Any) -> None:
    scope = scope_for(actor)
    codes = Person.objects.filter(pk__in=(candidate.person_a_id, candidate.person_b_id)).values_list(
        "kelurahan__code", flat=True)
    if not all(scope.contains_code(code) for code in codes):
        raise NotFound(_("Orang tidak ditemukan."))


@transaction.atomic
def duplicate_dismiss(*, actor: User, candidate: Any) -> Any:
    from jaring.registry.models import DuplicateCandidate

    _require_writer(actor)
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    _require_pair_in_scope(actor, candidate)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        return candidate
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(actor=actor, action="dedup.dismiss", obj=candidate,
              after={"person_a": candidate.person_a_id, "person_b": candidate.person_b_id})
    return candidate


MERGE_FILL = ("birth_place", "phone", "occupation_id", "household_id", "relationship", "declared_income_idr",
              "consent_basis", "consent_date",
              # An opt-out recorded on either record is kept (decision 0038: an opted-out person never
              # receives a reminder, and the reminder selection checks the opt-out first).
              "reminder_opt_out_at", "reminder_consent_at")


def merge_fill(kept: Person, other: Person) -> list[str]:
    """The kept person's empty fields that the other record fills."""
    return [name for name in MERGE_FILL
            if getattr(kept, name) in (None, "") and getattr(other, name) not in (None, "")]


# --- What a merge changed, so that it can be undone (decision 0042) --------------------------------
# A merge hook returns what it moved: ``merge_moved(...)`` per set of rows whose foreign key it
# changed, ``merge_deleted(...)`` per set of rows it deleted. The registry stores them in a
# ``PersonMerge`` and puts them back through ``django.apps`` (it imports no higher floor).


def _dump(value: Any) -> Any:
    """A column value as JSON that ``field.to_python`` turns back into the same value."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, memoryview | bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def row_dump(obj: Any) -> dict[str, Any]:
    return {f.attname: _dump(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _fingerprint(values: dict[str, Any]) -> str:
    text = json.dumps({k: _dump(v) for k, v in values.items()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def merge_moved(model: Any, field_name: str, ids: list[int], from_id: Any, to_id: Any) -> dict[str, Any]:
    """What a hook moved: the rows ``ids`` of ``model`` whose ``field_name`` went from ``from_id`` to ``to_id``."""
    return {"model": model._meta.label_lower, "field": model._meta.get_field(field_name).attname,
            "from": from_id, "to": to_id, "ids": sorted(int(i) for i in ids)}


def merge_deleted(model: Any, rows: list[Any]) -> dict[str, Any]:
    """What a hook deleted (call before deleting): the whole rows, to be inserted again by an undo."""
    return {"model": model._meta.label_lower, "deleted": [row_dump(r) for r in rows]}


def _dependents(model: Any, ids: list[int]) -> dict[str, dict[str, int]]:
    """How many rows of other tables point to each of ``ids``: a row attached later refuses the undo."""
    out: dict[str, dict[str, int]] = {}
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        attname = rel.field.attname
        label = f"{rel.related_model._meta.label_lower}.{attname}"
        for start in range(0, len(ids), 500):
            rows = (rel.related_model._base_manager.filter(**{f"{attname}__in": ids[start:start + 500]})
                    .values(attname).annotate(n=Count("pk")).order_by())
            for row in rows:
                out.setdefault(str(row[attname]), {})[label] = row["n"]
    return out


def _rows_state(model: Any, ids: list[int]) -> dict[str, str]:
    state = {}
    for start in range(0, len(ids), 500):
        for row in model._base_manager.filter(pk__in=ids[start:start + 500]).values():
            state[str(row[model._meta.pk.attname])] = _fingerprint(row)
    return state


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in before.items() if after.get(name) != value}


@dataclass
class MergePlanPart:
    """One floor's answer to "what would this merge do?": rows that would move (a text naming the
    count, e.g. "3 klaim", and the count) and conflicts that refuse the merge."""

    moves: list[tuple[str, int]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


MergePlanner = Any
merge_planners: list[MergePlanner] = []


def register_merge_plan(planner: MergePlanner) -> MergePlanner:
    """Higher floors register, next to their merge hook, a read-only count of what the hook would move:
    ``planner(kept=, other=) -> MergePlanPart``."""
    if planner not in merge_planners:
        merge_planners.append(planner)
    return planner


def merge_conflicts_registry(kept: Person, other: Person) -> list[tuple[str, str]]:
    if kept.kpj and other.kpj and kept.kpj != other.kpj:
        return [("kpj_differs", _("Kedua orang punya nomor KPJ yang berbeda (%(a)s dan %(b)s); satu orang hanya punya "
                                  "satu KPJ. Periksa dengan BPJSTK sebelum menggabungkan; tidak ada yang diubah.")
                 % {"a": kept.kpj, "b": other.kpj})]
    return []


@transaction.atomic
def person_merge(*, actor: User, candidate: Any, keep: Person, comment: str = "") -> Person:
    """Merge a candidate pair into ``keep``: empty fields filled from the other, memberships and
    their history moved, the other record kept (for the audit trail) but hidden as merged.

    The KPJ is the person's (DOMAIN §2.1) and is never lost: two different KPJs refuse the merge
    (``kpj_differs``: one of the two records is not this person, or BPJSTK has two numbers to
    reconcile first); a KPJ only the other has moves to the kept person.

    Everything the merge changed is recorded in a ``PersonMerge`` (the fields before, every row the
    hooks moved) for ``person_merge_undo``; ``comment`` is kept there and in the audit event."""
    from jaring.registry.models import DuplicateCandidate, PersonMerge

    _require_writer(actor)
    comment = " ".join(str(comment or "").split())[:500]
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise Conflict(_("Pasangan ini sudah diputuskan."), code="already_decided")
    if keep.pk not in (candidate.person_a_id, candidate.person_b_id):
        raise ValidationFailed(_("Pilih salah satu dari dua orang dalam pasangan ini."), fields={"keep": []})
    other_id = candidate.person_b_id if keep.pk == candidate.person_a_id else candidate.person_a_id
    scope = scope_for(actor)
    kept = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=keep.pk)
    other = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=other_id)
    if not (scope.contains_code(kept.kelurahan.code) and scope.contains_code(other.kelurahan.code)):
        raise NotFound(_("Orang tidak ditemukan."))
    if kept.merged_into_id or other.merged_into_id:
        raise Conflict(_("Salah satu orang dalam pasangan ini sudah digabung dengan data lain. "
                         "Pindai ulang antrean; tidak ada yang diubah."), code="already_merged")
    if conflicts := merge_conflicts_registry(kept, other):
        raise Conflict(conflicts[0][1], code=conflicts[0][0])
    rows_before = {"kept": row_dump(kept), "merged": row_dump(other), "candidate": row_dump(candidate)}
    before = person_snapshot(kept)
    moved_kpj = other.kpj if other.kpj and not kept.kpj else None
    if moved_kpj:  # the unique index: off the other record first, then onto the kept one
        other.kpj = None
        other.save(update_fields=["kpj", "updated_at"])
        kept.kpj = moved_kpj
        kept.save(update_fields=["kpj", "updated_at"])
    filled = merge_fill(kept, other)
    for name in filled:
        setattr(kept, name, getattr(other, name))
    if filled:
        kept.save(update_fields=[*filled, "updated_at"])
    moves: list[dict[str, Any]] = []
    for hook in merge_hooks:
        moves.extend(hook(actor=actor, kept=kept, other=other) or [])
    other.merged_into = kept
    other.save(update_fields=["merged_into", "updated_at"])
    candidate.status = DuplicateCandidate.Status.MERGED
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    # The rows as the merge leaves them (read back: what the database holds is what an undo compares).
    rows_after = {"kept": row_dump(Person.objects.get(pk=kept.pk)), "merged": row_dump(Person.objects.get(pk=other.pk)),
                  "candidate": row_dump(DuplicateCandidate.objects.get(pk=candidate.pk))}
    for move in moves:
        if "ids" in move:
            model = apps.get_model(move["model"])
            move["rows"] = _rows_state(model, move["ids"])
            move["dependents"] = _dependents(model, move["ids"])
    record = PersonMerge.objects.create(
        kept=kept, merged=other, candidate=candidate, actor=actor, at=candidate.decided_at, comment=comment,
        before={key: _changed_fields(rows_before[key], rows_after[key]) for key in rows_before},
        after={key: _fingerprint(rows_after[key]) for key in rows_after}, moves=moves)
    audit_log(actor=actor, action="person.merge", obj=kept, region_code=kept.kelurahan.code,
              before=before, after={"merged": other.pk, "merged_nik": other.nik_masked, "filled": filled,
                                    "candidate": candidate.pk, "score": candidate.score, "merge": record.pk,
                                    **({"comment": comment} if comment else {}),
                                    **({"kpj": moved_kpj} if moved_kpj else {})})
    return kept


def merge_undo_days() -> int:
    return max(0, int(getattr(settings, "JARING_MERGE_UNDO_DAYS", 30)))


def merge_undo_deadline(merge: Any) -> dt.datetime:
    return merge.at + dt.timedelta(days=merge_undo_days())


def _row_label(model: Any, pk: Any) -> str:
    return _("%(what)s #%(id)s") % {"what": model._meta.verbose_name, "id": pk}


def merge_undo_problems(merge: Any) -> list[str]:
    """What changed since the merge that an undo would overwrite (empty: the undo may run). Reads only."""
    from jaring.registry.models import DuplicateCandidate

    problems = []
    now_rows: dict[str, Any] = {"kept": Person.objects.filter(pk=merge.kept_id).values().first(),
                                "merged": Person.objects.filter(pk=merge.merged_id).values().first(),
                                "candidate": DuplicateCandidate.objects.filter(pk=merge.candidate_id).values().first()
                                if merge.candidate_id else None}
    names = dict(Person.objects.filter(pk__in=(merge.kept_id, merge.merged_id)).values_list("pk", "full_name"))
    for key, fingerprint in (merge.after or {}).items():
        row = now_rows.get(key)
        if row is not None and _fingerprint(row) == fingerprint:
            continue
        if key == "kept":
            problems.append(_("Data %(name)s (yang dipertahankan) diubah setelah penggabungan.")
                            % {"name": names.get(merge.kept_id, "")})
        elif key == "merged":
            problems.append(_("Data %(name)s (yang digabung) diubah setelah penggabungan.")
                            % {"name": names.get(merge.merged_id, "")})
        else:
            problems.append(_("Pasangan duplikat ini diubah setelah penggabungan."))
    for move in merge.moves or []:
        try:
            model = apps.get_model(move["model"])
        except (LookupError, ValueError, KeyError):
            problems.append(_("Tabel %(model)s tidak ada lagi.") % {"model": move.get("model")})
            continue
        if "deleted" in move:
            pks = [row.get(model._meta.pk.attname) for row in move["deleted"]]
            for pk in model._base_manager.filter(pk__in=pks).values_list("pk", flat=True):
                problems.append(_("%(row)s sudah ada lagi.") % {"row": _row_label(model, pk)})
            continue
        ids = move.get("ids", [])
        now = _rows_state(model, ids)
        for pk in ids:
            if str(pk) not in now:
                problems.append(_("%(row)s sudah dihapus.") % {"row": _row_label(model, pk)})
            elif now[str(pk)] != move.get("rows", {}).get(str(pk)):
                problems.append(_("%(row)s diubah setelah penggabungan.") % {"row": _row_label(model, pk)})
        dependents = _dependents(model, ids)
        for pk in ids:
            if dependents.get(str(pk), {}) != move.get("dependents", {}).get(str(pk), {}):
                problems.append(_("Ada data baru yang terkait dengan %(row)s.") % {"row": _row_label(model, pk)})
    return problems


def _load(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {name: model._meta.get_field(name).to_python(value) for name, value in values.items()}


@transaction.atomic
def person_merge_undo(*, actor: User, merge: Any) -> Any:
    """Undo a merge (decision 0042): the merged person visible again, the kept person's fields and KPJ
    as before, every moved row back, every deleted row inserted again, the pair open again — exactly the
    rows as they were before the merge, ``updated_at`` included (the undo restores, it does not edit).

    Refused (``Conflict``, nothing changed) when already undone (``already_undone``), after
    ``JARING_MERGE_UNDO_DAYS`` (``undo_expired``), or when anything the undo would overwrite changed
    since the merge (``changed_since``: the message names what); outside the area ``NotFound``."""
    from jaring.registry.models import DuplicateCandidate, PersonMerge

    _require_writer(actor)
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    kept = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=merge.kept_id)
    other = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=merge.merged_id)
    scope = scope_for(actor)
    if not (scope.contains_code(kept.kelurahan.code) and scope.contains_code(other.kelurahan.code)):
        raise NotFound(_("Orang tidak ditemukan."))
    if merge.undone_at is not None:
        raise Conflict(_("Penggabungan ini sudah diurungkan."), code="already_undone")
    if timezone.now() > merge_undo_deadline(merge):
        raise Conflict(_("Penggabungan ini lebih dari %(days)s hari yang lalu dan tidak bisa diurungkan lagi. "
                         "Pisahkan data secara manual bila perlu.") % {"days": merge_undo_days()},
                       code="undo_expired")
    if problems := merge_undo_problems(merge):
        raise Conflict(_("Penggabungan tidak bisa diurungkan karena ada yang berubah sesudahnya; tidak ada yang "
                         "diubah. %(what)s") % {"what": " ".join(str(p) for p in problems[:10])},
                       code="changed_since")
    restored: dict[str, int] = {}
    for move in reversed(merge.moves or []):
        model = apps.get_model(move["model"])
        if "deleted" in move:
            model._base_manager.bulk_create([model(**_load(model, row)) for row in move["deleted"]])
            stamped = [f.attname for f in model._meta.concrete_fields
                       if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
            for row in move["deleted"] if stamped else []:  # bulk_create stamps them anew: as they were
                model._base_manager.filter(pk=row[model._meta.pk.attname]).update(
                    **_load(model, {name: row[name] for name in stamped}))
            restored[move["model"]] = restored.get(move["model"], 0) + len(move["deleted"])
            continue
        ids = move["ids"]
        value = model._meta.get_field(move["field"]).to_python(move["from"])
        for start in range(0, len(ids), 500):
            model._base_manager.filter(pk__in=ids[start:start + 500]).update(**{move["field"]: value})
        restored[move["model"]] = restored.get(move["model"], 0) + len(ids)
    before = merge.before or {}
    # The kept person first: a KPJ that moved leaves it before it returns to the merged record (unique).
    Person.objects.filter(pk=kept.pk).update(**_load(Person, before.get("kept", {})))
    Person.objects.filter(pk=other.pk).update(**_load(Person, before.get("merged", {})))
    if merge.candidate_id and before.get("candidate"):
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            **_load(DuplicateCandidate, before["candidate"]))
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_log(actor=actor, action="person.merge_undo", obj=kept, region_code=kept.kelurahan.code,
              before={"merged_into": kept.pk},
              after={"merge": merge.pk, "merged": other.pk, "candidate": merge.candidate_id,
                     "restored_fields": sorted(before.get("kept", {})), "rows": restored})
    return merge


# --- Payment reminders: channel, consent and opt-out (jaring.reminders, decision 0038) -------------


def _reminder_state(person: Person) -> dict[str, Any]:
    return {"channel": person.reminder_channel,
            "consent_at": person.reminder_consent_at.isoformat() if person.reminder_consent_at else None,
            "opt_out_at": person.reminder_opt_out_at.isoformat() if person.reminder_opt_out_at else None}


@transaction.atomic
def person_set_reminders(*, actor: User, person: Person, opt_out: bool, channel: str | None = None) -> Person:
    """Record what the person said about payment reminders (decision 0038), audited.

    - ``opt_out=True``: never send one again (``reminder_opt_out_at`` is the moment, the channel
      becomes ``none``); nothing else is needed.
    - ``opt_out=False`` with ``channel`` ``sms`` or ``whatsapp``: the person agreed to reminders on
      that channel (``reminder_consent_at``; WhatsApp is used only after such an agreement), and any
      earlier opt-out is lifted.

    Saying the same again changes nothing and writes no event."""
    _require_writer(actor)
    channels = (Person.ReminderChannel.SMS, Person.ReminderChannel.WHATSAPP)
    if not opt_out and channel not in channels:
        message = _("Pilih saluran pengingat: SMS atau WhatsApp.")
        raise ValidationFailed(message, fields={"channel": [message]})
    if opt_out and channel not in (None, "", Person.ReminderChannel.NONE):
        message = _("Orang yang menolak pengingat tidak punya saluran pengingat.")
        raise ValidationFailed(message, fields={"channel": [message]})
    person = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=person.pk)
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    if person.merged_into_id:
        raise Conflict(_("Data orang ini sudah digabung dengan data lain; catat pada data yang dipakai."),
                       code="merged")
    before = _reminder_state(person)
    if opt_out:
        if person.reminder_opt_out_at is not None and person.reminder_channel == Person.ReminderChannel.NONE:
            return person
        person.reminder_opt_out_at = person.reminder_opt_out_at or timezone.now()
        person.reminder_channel = Person.ReminderChannel.NONE
    else:
        if (person.reminder_opt_out_at is None and person.reminder_consent_at is not None
                and person.reminder_channel == channel):
            return person
        person.reminder_opt_out_at = None
        person.reminder_consent_at = timezone.now()
        person.reminder_channel = str(channel)
    person.save(update_fields=["reminder_channel", "reminder_consent_at", "reminder_opt_out_at", "updated_at"])
    audit_log(actor=actor, action="person.set_reminders", obj=person, region_code=person.kelurahan.code,
              before=before, after=_reminder_state(person))
    return person


# --- NIK verification with Dukcapil (registry.verification, decision 0041) ------------------------

MAX_VERIFY_BATCH = 1000
# A batch stops after this many errors in a row: the service is down, the rest would only wait for timeouts.
MAX_VERIFY_ERRORS_IN_A_ROW = 5


def _verifier() -> Any:
    from jaring.registry.verification import make_verifier

    verifier = make_verifier()
    if verifier.name == "none":
        raise ValidationFailed(_("Pemeriksaan NIK ke Dukcapil belum diatur (JARING_NIK_VERIFIER); "
                                 "semua NIK tetap belum diverifikasi."),
                               fields={"JARING_NIK_VERIFIER": ["none"]}, code="not_configured")
    return verifier


def _verification_event(person: Person, before: str, after: str, result: Any, verifier: Any) -> dict[str, Any]:
    # Never the NIK: the state, Dukcapil's word and its (scrubbed) detail.
    return {"nik_verification": after, "result": result.status, "verifier": verifier.name,
            **({"detail": result.detail} if result.detail else {}),
            **({"unchanged": True} if before == after else {})}


def person_verify_nik(*, actor: User, person: Person) -> Any:
    """Ask Dukcapil about one person's NIK (the configured ``JARING_NIK_VERIFIER``) and record the
    answer: ``verified``, ``not_found`` or ``mismatch`` become the person's ``nik_verification``
    with ``nik_verified_at``; an ``error`` changes nothing. Audited either way (the NIK went out).
    Returns the ``VerificationResult``. The call is made outside any transaction; a NIK edited
    meanwhile keeps its own (unverified) state and the answer counts as an error."""
    _require_writer(actor)
    verifier = _verifier()
    person = Person.objects.select_related("kelurahan").get(pk=person.pk)
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    if person.merged_into_id:
        raise Conflict(_("Data orang ini sudah digabung dengan data lain; catat pada data yang dipakai."),
                       code="merged")
    from jaring.registry.verification import ERROR, VerificationResult

    result = verifier.verify(person.nik, full_name=person.full_name, birth_date=person.birth_date)
    before = person.nik_verification
    after = before
    with transaction.atomic():
        if result.status != ERROR:
            now = timezone.now()
            if Person.objects.filter(pk=person.pk, nik_index=person.nik_index).update(
                    nik_verification=result.status, nik_verified_at=now):
                after = result.status
                person.nik_verification, person.nik_verified_at = after, now
            else:
                result = VerificationResult(ERROR, "the NIK changed during the check")
        audit_log(actor=actor, action="person.verify_nik", obj=person, region_code=person.kelurahan.code,
                  before={"nik_verification": before}, after=_verification_event(person, before, after, result,
                                                                                  verifier))
    return result


def persons_verify_nik(*, actor: User, limit: int = 100) -> dict[str, Any]:
    """Ask Dukcapil about up to ``limit`` unverified NIKs of the actor's area (oldest records first)
    and record the answers set-based (one UPDATE per outcome, the audit events in bulk, one summary
    event). Errors leave the persons unverified, so the next run tries them again; after
    ``MAX_VERIFY_ERRORS_IN_A_ROW`` errors in a row the batch stops. Returns the summary:
    ``{verifier, checked, verified, not_found, mismatch, error, stopped, remaining}``."""
    from jaring.registry.verification import ERROR, MISMATCH, NOT_FOUND, VERIFIED, VerificationResult

    _require_writer(actor)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_VERIFY_BATCH:
        message = _("Batas harus 1–%(max)s.") % {"max": MAX_VERIFY_BATCH}
        raise ValidationFailed(message, fields={"limit": [message]})
    verifier = _verifier()
    scope = scope_for(actor)
    pending = Person.objects.filter(merged_into__isnull=True, nik_verification=Person.NikVerification.UNVERIFIED)
    if not scope.covers_every_kelurahan:
        pending = pending.filter(scope.region_ids_q("kelurahan_id"))
    people = list(pending.select_related("kelurahan")
                  .only("id", "nik_encrypted", "nik_index", "full_name", "birth_date", "kelurahan__code")
                  .order_by("id")[:limit])
    answers: list[tuple[Person, Any]] = []
    in_a_row = 0
    for person in people:
        result = verifier.verify(person.nik, full_name=person.full_name, birth_date=person.birth_date)
        answers.append((person, result))
        in_a_row = in_a_row + 1 if result.status == ERROR else 0
        if in_a_row >= MAX_VERIFY_ERRORS_IN_A_ROW:
            break
    counts = dict.fromkeys((VERIFIED, NOT_FOUND, MISMATCH, ERROR), 0)
    unverified = Person.NikVerification.UNVERIFIED
    with transaction.atomic():
        now = timezone.now()
        recorded: set[int] = set()
        for status in (VERIFIED, NOT_FOUND, MISMATCH):
            group = [p for p, r in answers if r.status == status]
            if not group:
                continue
            # Only records still unverified with the NIK that was checked (an edit meanwhile wins).
            Person.objects.filter(pk__in=[p.pk for p in group], nik_index__in=[p.nik_index for p in group],
                                  nik_verification=unverified).update(nik_verification=status, nik_verified_at=now)
            recorded |= set(Person.objects.filter(pk__in=[p.pk for p in group], nik_verification=status,
                                                  nik_verified_at=now).values_list("pk", flat=True))
        by_region: dict[str, list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]] = {}
        for person, result in answers:
            if result.status != ERROR and person.pk not in recorded:
                result = VerificationResult(ERROR, "the NIK changed during the check")
            counts[result.status] += 1
            after = result.status if person.pk in recorded else unverified
            by_region.setdefault(person.kelurahan.code, []).append(
                (str(person.pk), {"nik_verification": unverified},
                 _verification_event(person, unverified, after, result, verifier)))
        for code, events in by_region.items():
            audit_log_many(actor=actor, action="person.verify_nik", object_type="registry.person", events=events,
                           region_code=code)
        remaining = pending.count()
        summary = {"verifier": verifier.name, "checked": len(answers), **counts,
                   "stopped": in_a_row >= MAX_VERIFY_ERRORS_IN_A_ROW, "remaining": remaining}
        audit_log(actor=actor, action="person.verify_nik_batch", object_type="registry.person",
                  after={**summary, "limit": limit})
    return summary


# --- Deciles: the history of extracts, the household keeping the newest ---------------------------

def household_deciles_record(entries: list[tuple[int, int, str, Any]], job_id: int | None) -> dict[str, int]:
    """Record ``(household id, decile, source, extract date)`` entries (one per household and extract)
    and make each household's decile the newest extract's: an older extract is kept in the history
    but never overwrites a newer decile. Returns counts: ``recorded`` (new history rows) and
    ``updated`` (households whose current decile changed). Called by the import, in its transaction.
    The import's own audit event carries the counts."""
    if not entries:
        return {"recorded": 0, "updated": 0}
    ids = sorted({e[0] for e in entries})
    have = set(HouseholdDecile.objects.filter(household_id__in=ids)
               .values_list("household_id", "source", "extract_date"))
    new = [HouseholdDecile(household_id=h, decile=d, source=s, extract_date=date, job_id=job_id)
           for h, d, s, date in entries if (h, s, date) not in have]
    HouseholdDecile.objects.bulk_create(new, batch_size=2000)
    updated = 0
    touched = sorted({row.household_id for row in new})
    fields = ["welfare_decile", "decile_source", "decile_date"]
    for start in range(0, len(touched), 2000):
        part = touched[start:start + 2000]
        current = {h.pk: h for h in Household.objects.filter(pk__in=part).only(*fields)}
        newest: dict[int, HouseholdDecile] = {}
        for row in HouseholdDecile.objects.filter(household_id__in=part).order_by("household_id", "-extract_date",
                                                                                  "-id"):
            newest.setdefault(row.household_id, row)
        changed = []
        for household_id, row in newest.items():
            household = current[household_id]
            if (household.decile_date and household.decile_date > row.extract_date):
                continue  # a decile set elsewhere from a newer date stays
            if (household.welfare_decile, household.decile_source, household.decile_date) != (
                    row.decile, row.source, row.extract_date):
                household.welfare_decile, household.decile_source = row.decile, row.source
                household.decile_date = row.extract_date
                changed.append(household)
        Household.objects.bulk_update(changed, fields, batch_size=500)
        households_touched([h.pk for h in changed])  # their kelurahan's decile-1 counts, every month
        updated += len(changed)
    return {"recorded": len(new), "updated": updated}
