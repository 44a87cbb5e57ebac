"""Writes for field submissions: stage a submission as received, then apply it to the registry.

Applying goes through the registry's own services (``household_create``/``household_update``,
``person_register``/``person_update``/``person_set_household``), so every rule, the area scope
and the audit trail are the same as for a person typed in at the office. Each submission is
applied in its own transaction and each member in its own savepoint: a bad member is rejected
with its reason while the others go through; a bad submission never blocks the next one.

Policy (decision 0012):
- ``instanceID`` is the idempotency key. A submission already applied (or superseded) is never
  applied again: its members count as duplicates, or as rejected with the reason they had.
- An edit (``deprecatedID``, or a new version under the same ODK Central ``__id``) overwrites the
  household and persons the earlier version produced (the field worker corrected them) and marks
  that version superseded. An ordinary submission only fills fields the registry has empty.
- A birth date or sex that does not match the NIK is applied (and kept in the person's confirmed
  warnings) only when the field worker confirmed it in the form (``konfirmasi_nik = ya``);
  otherwise that member is rejected for review and the worker sends an edit.
- Without consent nothing is applied, and the staged copy keeps only the submission's metadata.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.audit import audit_log
from jaring.core.crypto import cipher
from jaring.core.errors import Conflict, JaringError
from jaring.outreach.models import FieldSubmission
from jaring.outreach.submissions import Member, Submission
from jaring.regions.models import Region
from jaring.regions.selectors import region_lookup
from jaring.registry.identity import clean_digits, kk_findings, mask_identifier, nik_findings
from jaring.registry.models import DataSource, Household, Occupation, Person
from jaring.registry.services import (
    HouseholdInput,
    PersonInput,
    household_create,
    household_update,
    person_register,
    person_set_household,
    person_snapshot,
    person_update,
)

log = logging.getLogger(__name__)

IMPORTED, UPDATED, DUPLICATE, REJECTED = "imported", "updated", "duplicate", "rejected"
SOURCE = DataSource.FIELD_SURVEY
NOT_WORKING = {"", "tidak_bekerja"}
SEX = {"l": "M", "laki-laki": "M", "m": "M", "p": "F", "perempuan": "F", "f": "F"}
YES = {"ya", "yes", "1", "true"}
# Registry field → the form's field, so a reason points at the question the worker sees.
FORM_FIELD = {"nik": "nik", "full_name": "nama", "birth_date": "tanggal_lahir", "sex": "jenis_kelamin",
              "birth_place": "tempat_lahir", "phone": "no_hp", "occupation": "pekerjaan", "relationship": "hubungan",
              "disability": "disabilitas", "kelurahan_code": "kelurahan", "kk_number": "no_kk",
              "address": "alamat", "welfare_decile": "desil", "consent_basis": "dasar_persetujuan",
              "consent_date": "today"}


@dataclass
class MemberOutcome:
    position: int
    outcome: str
    nik: str = ""  # masked
    name: str = ""
    person_id: int | None = None
    column: str = ""
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    row: int | None = None
    # True when this submission (or the version it edits) created the person: only such persons
    # are overwritten by a later edit; persons registered before are only ever filled.
    produced: bool = False


@dataclass
class SubmissionOutcome:
    instance_id: str
    status: str
    members: list[MemberOutcome]
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    replayed: bool = False  # processed by an earlier import: nothing was written now


class _Rejected(Exception):  # control flow inside submission_apply; never leaves it
    def __init__(self, message: str, column: str = "", members: list[MemberOutcome] | None = None,
                 scrub: bool = False):
        super().__init__(message)
        self.message, self.column, self.members, self.scrub = message, column, members, scrub


def _require_writer(actor: User) -> None:
    require(actor, "registry.write")


def _reason(exc: JaringError) -> tuple[str, str]:
    """(form field, Indonesian reason) of a refusal from a registry service."""
    for name, messages in exc.fields.items():
        texts = [str(m) for m in messages if str(m)]
        if texts:
            return FORM_FIELD.get(name, name), " ".join(texts)
    return "", str(exc.message)


def _date(text: str) -> dt.date | None:
    text = (text or "").strip()[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _region(code: str) -> Region | None:
    return region_lookup(code, level=Region.Level.KELURAHAN) if code else None


# --- Staging --------------------------------------------------------------------------------

def staged_payload(parsed: Submission) -> dict[str, Any]:
    """What the staged row keeps: the submission as received and its answers as read."""
    return {"original": parsed.raw, "values": parsed.values, "review_state": parsed.review_state,
            "members": [asdict(m) for m in parsed.members]}


@transaction.atomic
def submission_stage(*, actor: User, parsed: Submission) -> tuple[FieldSubmission, bool]:
    """Keep a received submission before anything is applied. Returns (row, created); a known
    ``instanceID`` returns the row already kept and writes nothing."""
    _require_writer(actor)
    existing = FieldSubmission.objects.filter(instance_id=parsed.instance_id).first()
    if existing is not None:
        return existing, False
    region = _region(parsed.values.get("kelurahan", ""))
    submission = FieldSubmission(
        instance_id=parsed.instance_id, root_id=parsed.root_id, deprecated_id=parsed.deprecated_id,
        source=parsed.source, form_id=parsed.form_id[:100], form_version=parsed.form_version[:100],
        submitted_by=parsed.submitted_by[:150], submitted_at=parsed.submitted_at,
        raw_encrypted=FieldSubmission.encrypt_raw(staged_payload(parsed)), kelurahan=region,
        latitude=round(Decimal(str(parsed.latitude)), 6) if parsed.latitude is not None else None,
        longitude=round(Decimal(str(parsed.longitude)), 6) if parsed.longitude is not None else None)
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:  # the same submission staged by a concurrent import
        return FieldSubmission.objects.get(instance_id=parsed.instance_id), False
    audit_log(actor=actor, action="outreach.submission.stage", obj=submission,
              region_code=region.code if region else "",
              after={"instance_id": submission.instance_id, "source": submission.source,
                     "deprecated_id": submission.deprecated_id, "root_id": submission.root_id,
                     "form_version": submission.form_version, "members": len(parsed.members)})
    return submission, True


# --- Applying -------------------------------------------------------------------------------

def submission_apply(*, actor: User, submission: FieldSubmission) -> SubmissionOutcome:
    """Apply a staged submission to the registry (or replay the outcome of an earlier apply)."""
    _require_writer(actor)
    try:
        with transaction.atomic():
            return _apply(actor, submission)
    except _Rejected as rejection:
        return _reject(actor, submission, rejection)


def _replay(submission: FieldSubmission) -> SubmissionOutcome:
    members = []
    for result in submission.member_results:
        outcome = MemberOutcome(**{k: v for k, v in result.items() if k in MemberOutcome.__dataclass_fields__})
        if outcome.outcome != REJECTED:
            outcome.outcome = DUPLICATE
            outcome.reason = (_("Kiriman ini sudah digantikan suntingan yang lebih baru.")
                              if submission.status == FieldSubmission.Status.SUPERSEDED
                              else _("Kiriman ini sudah diproses sebelumnya."))
        members.append(outcome)
    return SubmissionOutcome(instance_id=submission.instance_id, status=submission.status, members=members,
                             error=submission.error, replayed=True)


def _members(payload: dict[str, Any]) -> list[Member]:
    return [Member(**m) for m in payload.get("members", [])]


def _newer_version(submission: FieldSubmission) -> FieldSubmission | None:
    """An edit of this version already applied: it names this one as deprecated, or (ODK Central)
    this is the first version of a root that has another version. A rejected edit does not count:
    the original is applied, and the edit corrects it once it goes through."""
    newer = Q(deprecated_id=submission.instance_id)
    if submission.root_id == submission.instance_id:
        newer |= Q(root_id=submission.root_id)
    return (FieldSubmission.objects.filter(newer, status__in=[FieldSubmission.Status.APPLIED,
                                                              FieldSubmission.Status.SUPERSEDED])
            .exclude(pk=submission.pk).order_by("-received_at", "-pk").first())


def _earlier_version(submission: FieldSubmission) -> FieldSubmission | None:
    """The version this submission edits: named by ``deprecatedID``, or (ODK Central, where an
    edit keeps ``__id``) the latest applied version under the same root."""
    if submission.deprecated_id:
        return FieldSubmission.objects.filter(instance_id=submission.deprecated_id).first()
    if submission.root_id and submission.root_id != submission.instance_id:
        return (FieldSubmission.objects.filter(root_id=submission.root_id, status=FieldSubmission.Status.APPLIED)
                .exclude(pk=submission.pk).order_by("-submitted_at", "-received_at", "-pk").first())
    return None


def _apply(actor: User, submission: FieldSubmission) -> SubmissionOutcome:
    submission = FieldSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.status in (FieldSubmission.Status.APPLIED, FieldSubmission.Status.SUPERSEDED):
        return _replay(submission)
    payload = submission.raw
    values: dict[str, str] = payload.get("values", {})
    members = _members(payload)
    newer = _newer_version(submission)
    if newer is not None:  # the edit arrived first: this older version is history, not data
        outcomes = [MemberOutcome(position=m.position, outcome=DUPLICATE, row=m.row,
                                  reason=_("Sudah digantikan suntingan yang lebih baru.")) for m in members]
        _mark_superseded(actor, submission, newer, outcomes)
        return SubmissionOutcome(instance_id=submission.instance_id, status=FieldSubmission.Status.SUPERSEDED,
                                 members=outcomes)
    region = _check_submission(actor, payload)
    earlier = _earlier_version(submission)
    editing = earlier if earlier is not None and earlier.status == FieldSubmission.Status.APPLIED else None
    consent_date, warnings = _consent_date(values, submission)
    household = _household(actor, values, region, consent_date, editing, warnings)
    outcomes = _apply_members(actor, members, household, values, consent_date, editing)
    if not any(o.outcome != REJECTED for o in outcomes):
        raise _Rejected(_("Tidak ada anggota keluarga yang bisa diproses; lihat alasan tiap anggota."),
                        members=outcomes)
    person_ids = [o.person_id for o in outcomes if o.person_id and o.outcome in (IMPORTED, UPDATED)]
    submission.status = FieldSubmission.Status.APPLIED
    submission.error = ""
    submission.household = household
    submission.kelurahan = household.kelurahan
    submission.member_results = [asdict(o) for o in outcomes]
    submission.applied_by, submission.applied_at = actor, timezone.now()
    submission.save(update_fields=["status", "error", "household", "kelurahan", "member_results", "applied_by",
                                   "applied_at"])
    submission.persons.add(*person_ids)
    counts = {name: sum(o.outcome == name for o in outcomes) for name in (IMPORTED, UPDATED, DUPLICATE, REJECTED)}
    audit_log(actor=actor, action="outreach.submission.apply", obj=submission, region_code=household.kelurahan.code,
              after={"instance_id": submission.instance_id, "household": household.pk, "persons": person_ids,
                     "edit_of": editing.instance_id if editing else None, **counts})
    if earlier is not None:
        _mark_superseded(actor, earlier, submission, None)
    return SubmissionOutcome(instance_id=submission.instance_id, status=submission.status, members=outcomes,
                             warnings=warnings)


def _check_submission(actor: User, payload: dict[str, Any]) -> Region:
    """Refusals that concern the whole household: every member is rejected with the same reason.
    Returns the household's kelurahan."""
    values: dict[str, str] = payload.get("values", {})
    if values.get("persetujuan", "").strip().lower() not in YES:
        raise _Rejected(_("Keluarga tidak memberi persetujuan; tidak ada data yang diproses."),
                        column="persetujuan", scrub=True)
    # ODK Central's review state, Kobo's validation status: a reviewer there said no.
    if (payload.get("review_state") or "").strip().lower() in ("rejected", "not approved",
                                                                "validation_status_not_approved"):
        raise _Rejected(_("Kiriman ini ditolak peninjau di server pengumpul data."))
    code = values.get("kelurahan", "")
    region = _region(code)
    if not code:
        raise _Rejected(_("Kelurahan wajib diisi."), column="kelurahan")
    if region is None:
        raise _Rejected(_("Kode kelurahan tidak dikenal: %(code)s") % {"code": code}, column="kelurahan")
    if not scope_for(actor).contains_code(region.code):
        raise _Rejected(_("Kelurahan %(name)s di luar wilayah tugas Anda.") % {"name": region.name},
                        column="kelurahan")
    kk = values.get("no_kk", "")
    if not kk:
        raise _Rejected(_("Nomor KK wajib diisi."), column="no_kk")
    for finding in kk_findings(kk):
        if finding.is_error:
            raise _Rejected(finding.message, column="no_kk")
    basis = values.get("dasar_persetujuan") or Person.ConsentBasis.CONSENT
    if basis not in Person.ConsentBasis.values:
        raise _Rejected(_("Dasar pemrosesan data tidak dikenal."), column="dasar_persetujuan")
    return region


def _consent_date(values: dict[str, str], submission: FieldSubmission) -> tuple[dt.date, list[str]]:
    today = timezone.localdate()
    warnings: list[str] = []
    date = _date(values.get("today", "")) or (
        timezone.localdate(submission.submitted_at) if submission.submitted_at else today)
    if date > today:  # the phone's clock ran ahead; never record a consent in the future
        warnings.append(_("Tanggal di perangkat lebih maju dari hari ini; tanggal persetujuan memakai hari ini."))
        date = today
    return date, warnings


def _household(actor: User, values: dict[str, str], region: Region, on: dt.date,
               editing: FieldSubmission | None, warnings: list[str]) -> Household:
    kk = clean_digits(values.get("no_kk", ""))
    decile_text = values.get("desil", "")
    decile = int(decile_text) if decile_text.isdigit() and 1 <= int(decile_text) <= 10 else None
    if decile_text and decile is None:
        warnings.append(_("Desil harus 1–10; dikosongkan."))
    pkh = values.get("penerima_pkh", "").strip().lower() in YES
    address = values.get("alamat", "").strip()[:255]
    full = {"address": address, "welfare_decile": decile, "decile_source": SOURCE if decile else "",
            "decile_date": on if decile else None, "pkh_beneficiary": pkh}
    try:
        if editing is not None and editing.household_id:
            # The field worker corrected the form: the household takes the edited values.
            edited = Household.objects.select_related("kelurahan").get(pk=editing.household_id)
            changes: dict[str, Any] = dict(full)
            if kk != edited.kk_number:
                changes["kk_number"] = kk
            if region.pk != edited.kelurahan_id:
                changes["kelurahan"] = region
            return household_update(actor=actor, household=edited, data=HouseholdInput.of(**changes))
        index = cipher().blind_index(kk, kind="kk")
        current = Household.objects.select_related("kelurahan").filter(kk_index=index).first()
        if current is None:
            return household_create(actor=actor, data=HouseholdInput.of(
                kk_number=kk, kelurahan=region, data_source=SOURCE, **full))
        if not scope_for(actor).contains_code(current.kelurahan.code):
            raise _Rejected(_("Nomor KK ini sudah terdaftar di wilayah lain. Hubungi Dinas Sosial."), column="no_kk")
        if current.kelurahan_id != region.pk:
            warnings.append(_("KK ini terdaftar di kelurahan %(name)s; keluarga tidak dipindahkan.")
                            % {"name": current.kelurahan.name})
        fill: dict[str, Any] = {}
        if address and not current.address:
            fill["address"] = address
        if decile and current.welfare_decile is None:
            fill.update(welfare_decile=decile, decile_source=SOURCE, decile_date=on)
        if pkh and not current.pkh_beneficiary:
            fill["pkh_beneficiary"] = True
        return household_update(actor=actor, household=current, data=HouseholdInput.of(**fill)) if fill else current
    except JaringError as exc:
        column, reason = _reason(exc)
        raise _Rejected(reason, column=column or "no_kk") from None


def _mark_superseded(actor: User, old: FieldSubmission, new: FieldSubmission,
                     outcomes: list[MemberOutcome] | None) -> None:
    fields = ["status", "superseded_by"]
    old.status, old.superseded_by = FieldSubmission.Status.SUPERSEDED, new
    if outcomes is not None:
        old.member_results = [asdict(o) for o in outcomes]
        fields.append("member_results")
    old.save(update_fields=fields)
    audit_log(actor=actor, action="outreach.submission.supersede", obj=old,
              region_code=old.kelurahan.code if old.kelurahan else "",
              after={"instance_id": old.instance_id, "superseded_by": new.instance_id})


def _reject(actor: User, submission: FieldSubmission, rejection: _Rejected) -> SubmissionOutcome:
    with transaction.atomic():
        submission = FieldSubmission.objects.select_for_update().get(pk=submission.pk)
        members = _members(submission.raw)
        outcomes = rejection.members or [
            MemberOutcome(position=m.position, outcome=REJECTED, column=rejection.column, reason=rejection.message,
                          row=m.row, name="" if rejection.scrub else m.values.get("nama", "")[:150],
                          nik="" if rejection.scrub else masked_nik(m.values.get("nik", "")))
            for m in members]
        results = [asdict(o) for o in outcomes]
        if (submission.status, submission.error, submission.member_results) == (
                FieldSubmission.Status.REJECTED, rejection.message, results):
            # Tried again (a re-import) and refused for the same reasons: nothing to record.
            return SubmissionOutcome(instance_id=submission.instance_id, status=submission.status,
                                     members=outcomes, error=rejection.message)
        fields = ["status", "error", "member_results"]
        submission.status, submission.error = FieldSubmission.Status.REJECTED, rejection.message
        submission.member_results = results
        if rejection.scrub:
            # No consent: keep that the form was received and refused, not what it says.
            original = submission.raw.get("original", {})
            kept = {k: original.get(k) for k in ("__id", "__system", "meta", "_uuid", "_submission_time")
                    if k in original}
            submission.raw_encrypted = FieldSubmission.encrypt_raw({"original": kept, "values": {}, "members": [
                {"position": m.position, "values": {}, "row": m.row, "key": m.key} for m in members]})
            fields.append("raw_encrypted")
        submission.save(update_fields=fields)
        audit_log(actor=actor, action="outreach.submission.reject", obj=submission,
                  region_code=submission.kelurahan.code if submission.kelurahan else "",
                  after={"instance_id": submission.instance_id, "reason": rejection.message,
                         "members": len(outcomes)})
    return SubmissionOutcome(instance_id=submission.instance_id, status=submission.status, members=outcomes,
                             error=rejection.message)


# --- Members --------------------------------------------------------------------------------

def masked_nik(nik: str) -> str:
    """``9271********0001``; a value that is not all digits (damaged by Excel) is not shown at all."""
    digits = clean_digits(nik)
    return mask_identifier(digits) if digits.isdigit() else ("…" if nik else "")


@dataclass
class _Read:
    """One member's answers, checked and translated to registry values."""

    nik: str
    index: str
    fields: dict[str, Any]
    confirm: bool
    warnings: list[str]


def _read_member(member: Member, basis: str, consent_date: dt.date,
                 occupations: dict[str, Occupation]) -> _Read | MemberOutcome:
    v = member.values
    out = MemberOutcome(position=member.position, outcome=REJECTED, nik=masked_nik(v.get("nik", "")),
                        name=v.get("nama", "").strip()[:150], row=member.row)
    name = v.get("nama", "").strip()
    birth_date = _date(v.get("tanggal_lahir", ""))
    sex = SEX.get(v.get("jenis_kelamin", "").strip().lower())
    findings = nik_findings(v.get("nik", ""), birth_date=birth_date, sex=sex)
    errors = [f for f in findings if f.is_error]
    if errors:
        out.column = "nik"
        out.reason = (_("NIK rusak oleh Excel (ditulis sebagai angka pecahan); ketik ulang dari KTP/KK.")
                      if errors[0].code == "nik_float" else " ".join(f.message for f in errors))
        return out
    if not name:
        out.column, out.reason = "nama", _("Nama lengkap wajib diisi.")
        return out
    if birth_date is None:
        out.column = "tanggal_lahir"
        out.reason = (_("Tanggal lahir tidak bisa dibaca (pakai yyyy-mm-dd).") if v.get("tanggal_lahir")
                      else _("Tanggal lahir wajib diisi."))
        return out
    if sex is None:
        out.column, out.reason = "jenis_kelamin", _("Jenis kelamin harus L atau P.")
        return out
    mismatches = [f for f in findings if not f.is_error]
    confirmed = v.get("konfirmasi_nik", "").strip().lower() in YES
    if mismatches and not confirmed:
        out.column = FORM_FIELD.get(mismatches[0].field, mismatches[0].field)
        out.reason = " ".join(f.message for f in mismatches) + " " + _(
            "Belum dikonfirmasi petugas di formulir: periksa KTP/KK, lalu kirim suntingan formulir.")
        return out
    warnings = [f.message for f in mismatches]
    relationship = v.get("hubungan", "").strip()
    if relationship and relationship not in Person.Relationship.values:
        warnings.append(_("Hubungan keluarga tidak dikenal; dikosongkan."))
        relationship = ""
    code = v.get("pekerjaan", "").strip()
    occupation = occupations.get(code)  # an instance: the registry's services need no lookup of their own
    if occupation is None and code not in NOT_WORKING:
        warnings.append(_("Pekerjaan tidak dikenal; dikosongkan."))
    phone = clean_digits(v.get("no_hp", ""))
    if phone and not (phone.lstrip("+").isdigit() and 8 <= len(phone.lstrip("+")) <= 15):
        warnings.append(_("Nomor HP tidak sah; dikosongkan."))
        phone = ""
    disability = v.get("disabilitas", "").strip() or Person.Disability.NONE
    if disability not in Person.Disability.values:
        warnings.append(_("Jenis disabilitas tidak dikenal; dianggap tidak ada."))
        disability = Person.Disability.NONE
    nik = clean_digits(v.get("nik", ""))
    fields = {"nik": nik, "full_name": name, "birth_date": birth_date, "sex": sex,
              "birth_place": v.get("tempat_lahir", "").strip()[:80], "relationship": relationship,
              "occupation": occupation, "phone": phone, "disability": disability,
              "consent_basis": basis, "consent_date": consent_date}
    return _Read(nik=nik, index=cipher().blind_index(nik, kind="nik"), fields=fields, confirm=bool(mismatches),
                 warnings=warnings)


def _apply_members(actor: User, members: list[Member], household: Household, values: dict[str, str],
                   consent_date: dt.date, editing: FieldSubmission | None) -> list[MemberOutcome]:
    basis = values.get("dasar_persetujuan") or Person.ConsentBasis.CONSENT
    occupations = {o.code: o for o in Occupation.objects.all()}  # a small catalogue, read once per submission
    read = [_read_member(m, basis, consent_date, occupations) for m in members]
    targets = _edit_targets(editing, members, read) if editing is not None else {}
    seen: set[str] = set()
    outcomes = []
    for member, item in zip(members, read, strict=True):
        if isinstance(item, MemberOutcome):
            outcomes.append(item)
            continue
        out = MemberOutcome(position=member.position, outcome=REJECTED, nik=mask_identifier(item.nik),
                            name=item.fields["full_name"][:150], row=member.row, warnings=list(item.warnings))
        if item.index in seen:
            out.outcome, out.column = DUPLICATE, "nik"
            out.reason = _("NIK sama dengan anggota lain di kiriman ini; yang pertama yang dipakai.")
            outcomes.append(out)
            continue
        seen.add(item.index)
        try:
            with transaction.atomic():
                _apply_member(actor, item, household, targets.get(member.position), out)
        except JaringError as exc:
            out.outcome, out.person_id, out.produced = REJECTED, None, False
            out.column, out.reason = _reason(exc)
        outcomes.append(out)
    return outcomes


def _edit_targets(editing: FieldSubmission, members: list[Member],
                  read: list[_Read | MemberOutcome]) -> dict[int, Person]:
    """Which person each edited member corrects: the one with the same NIK, else the one the
    earlier version produced at the same place in the repeat (a NIK typo fixed)."""
    by_position = {r["position"]: r["person_id"] for r in editing.member_results
                   if r.get("person_id") and r.get("produced")}
    persons = {p.pk: p for p in Person.objects.select_related("kelurahan").filter(pk__in=by_position.values())}
    by_index = {p.nik_index: p for p in persons.values()}
    claimed = {item.index for item in read if isinstance(item, _Read)}
    targets: dict[int, Person] = {}
    for member, item in zip(members, read, strict=True):
        if not isinstance(item, _Read):
            continue
        if item.index in by_index:
            targets[member.position] = by_index[item.index]
            continue
        earlier_id = by_position.get(member.position)
        earlier = persons.get(earlier_id) if earlier_id is not None else None
        if earlier is not None and earlier.nik_index not in claimed and earlier not in targets.values():
            targets[member.position] = earlier
    return targets


def _link(actor: User, person: Person, household: Household, relationship: str, out: MemberOutcome) -> bool:
    """Put the person in the household; a second head of household is linked without a relationship."""
    if person.household_id == household.pk:
        return False
    try:
        with transaction.atomic():
            person_set_household(actor=actor, person=person, household=household, relationship=relationship)
    except Conflict as exc:
        if exc.code != "head_exists":
            raise
        person_set_household(actor=actor, person=person, household=household, relationship="")
        out.warnings.append(_("Keluarga ini sudah punya kepala keluarga; hubungan dikosongkan."))
    return True


def _apply_member(actor: User, item: _Read, household: Household, target: Person | None,
                  out: MemberOutcome) -> None:
    fields = item.fields
    if target is not None:
        # An edit: the corrected values replace what the earlier version wrote.
        before = person_snapshot(target)
        person = person_update(actor=actor, person=target, confirm_warnings=item.confirm,
                               data=PersonInput.of(kelurahan=household.kelurahan, **fields))
        linked = _link(actor, person, household, fields["relationship"], out)
        changed = linked or person_snapshot(person) != before
        out.outcome, out.person_id, out.produced = (UPDATED if changed else DUPLICATE), person.pk, True
        if not changed:
            out.reason = _("Suntingan tidak mengubah apa pun.")
        return
    existing = Person.objects.select_related("kelurahan", "occupation").filter(nik_index=item.index).first()
    if existing is not None and existing.merged_into_id:
        existing = Person.objects.select_related("kelurahan", "occupation").get(pk=existing.merged_into_id)
    if existing is None:
        person = person_register(actor=actor, confirm_warnings=item.confirm, data=PersonInput.of(
            kelurahan=household.kelurahan, household=household, data_source=SOURCE, **fields))
        out.outcome, out.person_id, out.produced = IMPORTED, person.pk, True
        return
    out.person_id = existing.pk
    if not scope_for(actor).contains_code(existing.kelurahan.code):
        out.outcome, out.person_id, out.column = DUPLICATE, None, "nik"
        out.reason = _("NIK ini sudah terdaftar di wilayah lain. Hubungi Dinas Sosial.")
        return
    # Already registered: fill only what the registry has empty; never overwrite what someone entered.
    fill: dict[str, Any] = {}
    for name in ("birth_place", "phone"):
        if fields[name] and not getattr(existing, name):
            fill[name] = fields[name]
    if fields["occupation"] and existing.occupation_id is None:
        fill["occupation"] = fields["occupation"]
    if fields["disability"] != Person.Disability.NONE and existing.disability == Person.Disability.NONE:
        fill["disability"] = fields["disability"]
    if not existing.consent_basis:
        fill.update(consent_basis=fields["consent_basis"], consent_date=fields["consent_date"])
    if fields["relationship"] and not existing.relationship and existing.household_id == household.pk:
        fill["relationship"] = fields["relationship"]
    if fill:
        existing = person_update(actor=actor, person=existing, data=PersonInput.of(**fill))
    linked = False
    if existing.household_id is None:
        linked = _link(actor, existing, household, fields["relationship"], out)
    elif existing.household_id != household.pk:
        out.warnings.append(_("Orang ini terdaftar di KK lain; tidak dipindahkan."))
    if fill or linked:
        out.outcome = UPDATED
    else:
        out.outcome, out.column = DUPLICATE, "nik"
        out.reason = _("Sudah terdaftar; tidak ada kolom kosong yang perlu diisi.")
