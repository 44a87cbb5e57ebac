"""All writes to payers and memberships. Each transition is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaring.accounts.capabilities import can, require
from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.audit import audit_log, audit_log_many
from jaring.core.confirm import with_comment
from jaring.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jaring.core.money import format_month, month_start
from jaring.core.parameters import current_parameters
from jaring.core.params import PAYER_CODE_RE, has_control_chars
from jaring.membership.models import FUNDING_FROM_KIND, BudgetLine, FundingSource, Membership, Payer
from jaring.regions.selectors import region_by_code, region_subtree_q
from jaring.registry.identity import kpj_clean
from jaring.registry.models import Person
from jaring.registry.services import MergePlanPart, kpj_problem, merge_moved, person_assign_kpj
from jaring.rules import RulesInputError, calculate_contribution, protection_start, registration_age_problems

PROGRAMMES = ("JKK", "JKM", "JHT")


def payer_covers(payer: Payer, kelurahan_code: str) -> bool:
    """True when ``payer`` may pay for a person living in ``kelurahan_code`` (decision 0048): a payer
    of a region (a city, a province, a village fund's kelurahan) pays only for people inside it; a
    payer without a region (the self payer, a national CSR) for anyone in the deployment."""
    region = payer.region
    return region is None or kelurahan_code == region.code or kelurahan_code.startswith(region.code + ".")


def _payer_region_allowed(actor: User, code: str) -> bool:
    """A payer's region is one whose money the actor's office keeps (``selectors.payer_managed_q``): inside their
    area, or a government above the deployment's root when they cover the root (decision 0048)."""
    from jaring.regions.selectors import ancestor_codes, tenant_root

    scope = scope_for(actor)
    root = tenant_root()
    return scope.contains_code(code) or (scope.contains_code(root) and code in ancestor_codes(root))


def _payer_area_problem(payer: Payer, person: Person) -> ValidationFailed | None:
    if payer_covers(payer, person.kelurahan.code):
        return None
    assert payer.region is not None
    message = _("%(payer)s membayar hanya untuk warga %(region)s; %(name)s tinggal di luar wilayah itu.") % {
        "payer": payer.name, "region": payer.region.name, "name": person.full_name}
    return ValidationFailed(message, fields={"payer": [message]}, code="payer_area")


@transaction.atomic
def payer_create(*, actor: User, code: str, name: str, kind: str, wadah_code: str = "",
                 region_code: str | None = None, funding_source: str | None = None) -> Payer:
    """A new payer. ``funding_source`` (whose money it spends: ``FundingSource``) decides how the
    regulation treats its members (the PP 50/2025 discount follows it); when not given it is the
    usual one of the ``kind`` (``FUNDING_FROM_KIND``: a city payer spends city APBD…). A self
    payer spends the worker's own money, and only a self payer does."""
    require(actor, "payers.manage")
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["code"] = [_("Kode wajib diisi.")]
    elif not PAYER_CODE_RE.fullmatch(code.strip()):
        errors["code"] = [_("Kode pembayar hanya boleh huruf, angka, titik, garis bawah dan tanda hubung "
                            "(paling banyak 32 karakter), tanpa spasi atau garis miring.")]
    if not name.strip():
        errors["name"] = [_("Nama wajib diisi.")]
    if kind not in Payer.Kind.values:
        errors["kind"] = [_("Jenis pembayar tidak dikenal; pilihan: %(k)s") % {"k": ", ".join(Payer.Kind.values)}]
    # Not given: the kind's usual one (an unknown kind has none: its error above is enough).
    funding_source = (funding_source or "").strip() or FUNDING_FROM_KIND.get(kind, "")
    if funding_source and funding_source not in FundingSource.values:
        errors["funding_source"] = [_("Sumber dana tidak dikenal; pilihan: %(k)s") % {
            "k": ", ".join(FundingSource.values)}]
    elif funding_source and kind in Payer.Kind.values and (kind == Payer.Kind.SELF) != (
            funding_source == FundingSource.SELF):
        errors["funding_source"] = [_("Sumber dana 'self' (uang pekerja sendiri) hanya untuk pembayar mandiri, "
                                      "dan pembayar mandiri hanya memakai sumber dana 'self'.")]
    if wadah_code and wadah_code not in Payer.Wadah.values:
        errors["wadah_code"] = [_("Kode wadah tidak dikenal; pilihan: %(k)s") % {"k": ", ".join(Payer.Wadah.values)}]
    region = None
    if region_code:
        region = region_by_code(region_code)
        if region is None:
            errors["region"] = [_("Kode wilayah tidak dikenal: %(c)s") % {"c": region_code}]
        elif not _payer_region_allowed(actor, region.code):
            errors["region"] = [_("Wilayah pembayar di luar wilayah Anda: %(c)s") % {"c": region.code}]
    if errors:
        raise ValidationFailed(_("Data pembayar belum benar."), fields=errors)
    if Payer.objects.filter(code=code.strip()).exists():
        raise Conflict(_("Kode pembayar %(c)s sudah dipakai.") % {"c": code})
    payer = Payer.objects.create(code=code.strip(), name=name.strip(), kind=kind, funding_source=funding_source,
                                 wadah_code=wadah_code, region=region)
    audit_log(actor=actor, action="payer.create", obj=payer,
              after={"code": payer.code, "name": payer.name, "kind": kind, "funding_source": funding_source,
                     "wadah": wadah_code})
    return payer


@transaction.atomic
def budget_line_add(*, actor: User, payer: Payer, fiscal_year: int, amount_idr: int,
                    source_document: str) -> BudgetLine:
    require(actor, "payers.manage")
    if amount_idr < 0:
        raise ValidationFailed(_("Jumlah anggaran tidak boleh negatif."), fields={"amount_idr": []})
    if not source_document.strip():
        raise ValidationFailed(_("Sebutkan dokumen sumber anggaran (DPA/SK)."), fields={"source_document": []})
    line = BudgetLine.objects.create(payer=payer, fiscal_year=fiscal_year, amount_idr=amount_idr,
                                     source_document=source_document.strip(), created_by=actor)
    audit_log(actor=actor, action="budget_line.add", obj=line,
              after={"payer": payer.code, "year": fiscal_year, "amount_idr": amount_idr,
                     "source": source_document})
    return line


@transaction.atomic
def budget_line_revise(*, actor: User, line: BudgetLine, amount_idr: int, source_document: str) -> BudgetLine:
    """A budget revision (APBD-P, a cut): the new amount with the document that decided it."""
    require(actor, "payers.manage")
    if amount_idr < 0:
        raise ValidationFailed(_("Jumlah anggaran tidak boleh negatif."), fields={"amount_idr": []})
    if not source_document.strip():
        raise ValidationFailed(_("Sebutkan dokumen sumber anggaran (DPA/SK)."), fields={"source_document": []})
    line = BudgetLine.objects.select_for_update().get(pk=line.pk)
    before = {"amount_idr": line.amount_idr, "source": line.source_document}
    line.amount_idr, line.source_document = amount_idr, source_document.strip()
    line.save(update_fields=["amount_idr", "source_document"])
    audit_log(actor=actor, action="budget_line.revise", obj=line, before=before,
              after={"amount_idr": amount_idr, "source": line.source_document})
    return line


def _programmes(programs: Any) -> list[str]:
    if isinstance(programs, str):
        programs = [p for p in programs.replace(" ", "").split(",") if p]
    chosen = [p.upper() for p in programs]
    unknown = [p for p in chosen if p not in PROGRAMMES]
    if unknown:
        raise ValidationFailed(_("Program tidak dikenal: %(p)s (pilihan: JKK, JKM, JHT)") % {"p": ", ".join(unknown)},
                               fields={"programs": unknown})
    if not {"JKK", "JKM"} <= set(chosen):
        raise ValidationFailed(_("JKK dan JKM wajib diikuti."), fields={"programs": chosen})
    return chosen


def _paid_through(person: Person) -> dt.date | None:
    """The last month any payer has paid (or billed) for this person."""
    from jaring.contributions.models import Due

    return (Due.objects.filter(person=person).exclude(status=Due.Status.VOID)
            .aggregate(last=Max("period"))["last"])


def _not_backdated(start_date: dt.date, params: Any) -> None:
    """Protection is never backdated (DOMAIN §2.1): a membership Jaring starts itself starts today
    (the office's local date) at the earliest. The rule is ``rules.protection_start``."""
    today = timezone.localdate()
    try:
        protection_start(received_on=today, agreed_start=start_date, params=params)
    except RulesInputError:
        message = _("Mulai perlindungan %(start)s sudah lewat: perlindungan tidak berlaku surut. Pilih hari ini "
                    "(%(today)s) atau sesudahnya.") % {"start": start_date.strftime("%d-%m-%Y"),
                                                      "today": today.strftime("%d-%m-%Y")}
        raise ValidationFailed(message, fields={"start_date": [message]}, code="backdated") from None


@transaction.atomic
def membership_enrol(*, actor: User, person: Person, payer: Payer, programs: Any, declared_income_idr: int,
                     start_date: dt.date, kpj: str | None = None) -> Membership:
    """Enrol a person with a payer. The KPJ is the person's, across all their memberships and
    payers (DOMAIN §2.1, decision 0033):

    - **A KPJ given**: BPJSTK already holds this membership. The KPJ is recorded on the person
      through ``registry.services.person_assign_kpj`` (11 digits, nobody else's, never replacing a
      different KPJ the person has: that is a ``Conflict``) and the membership is active at once,
      from the start date BPJSTK set — which may be in the past (Jaring mirrors BPJSTK's ledger).
    - **No KPJ given, a self-payer who already has a KPJ**: he continues with it ("iuran
      lanjutan": he pays BPJSTK again under the same number) — active at once.
    - **Otherwise** (a new worker; any worker a government, village or other payer takes on, even
      with a KPJ of his own): a draft. BPJSTK must still register the new period for the payer's
      cohort: the collective file carries the person's KPJ when he has one, and BPJSTK's KPJ file
      activates the membership (``membership_activate``).

    Without a KPJ given, the start is Jaring's own: never before today (no backdating)."""
    require(actor, "membership.enrol")
    if kpj is not None and not kpj.strip():
        kpj = None
    if kpj is not None:
        problem = kpj_problem(kpj)
        if problem is not None:
            raise ValidationFailed(problem, fields={"kpj": [problem]}, code="kpj_format")
    person = Person.objects.select_for_update(of=("self",)).select_related("kelurahan").get(pk=person.pk)
    if not scope_for(actor).contains_code(person.kelurahan.code):
        raise NotFound(_("Orang tidak ditemukan."))
    if not payer.is_self and not can(actor, "membership.enrol_collective"):
        raise PermissionDenied(_("Pendamping hanya dapat mendaftarkan peserta mandiri."))
    area_problem = _payer_area_problem(payer, person)
    if area_problem is not None:
        raise area_problem
    chosen = _programmes(programs)
    if person.death_date:
        raise ValidationFailed(_("Orang ini tercatat sudah meninggal."), fields={"person": []})
    params = current_parameters()
    try:
        problems = registration_age_problems(birth_date=person.birth_date, on=start_date, params=params)
        # The bracket check of the regulation engine, on the first month of protection.
        calculate_contribution(declared_income_idr=declared_income_idr, programmes=[p.lower() for p in chosen],
                               first_period=month_start(start_date), months=1, payer=payer.rules_payer,
                               sector="transport" if person.transport_sector else "other", params=params)
    except RulesInputError as exc:
        raise ValidationFailed(exc.message, fields={exc.field: [exc.message]}) from None
    if problems:
        raise ValidationFailed(" ".join(m.text_id for m in problems),
                               fields={"birth_date": [m.text_id for m in problems]}, code="age")
    open_membership = (Membership.objects.filter(person=person, status__in=Membership.OPEN_STATUSES)
                       .select_related("payer").first())
    if open_membership is not None:
        raise Conflict(_("%(name)s sudah terdaftar melalui %(payer)s (status: %(status)s).") % {
            "name": person.full_name, "payer": open_membership.payer.name,
            "status": open_membership.get_status_display()}, code="already_enrolled",
            extra={"membership_id": open_membership.pk})
    paid_through = _paid_through(person)
    if paid_through is not None and month_start(start_date) <= paid_through:
        raise Conflict(_("Bulan %(month)s sudah ditagih atau dibayar oleh pembayar lain; mulai paling cepat "
                         "bulan berikutnya.") % {"month": format_month(paid_through)}, code="month_already_paid")
    if kpj is None:  # last: who may enrol, and with what, are the more useful answers
        _not_backdated(start_date, params)
    else:
        person = person_assign_kpj(actor=actor, person=person, kpj=kpj, by="membership.enrol")
    continuing = kpj is None and bool(person.kpj) and payer.is_self
    active = kpj is not None or continuing
    status = Membership.Status.ACTIVE if active else Membership.Status.DRAFT
    now = timezone.now()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                person=person, payer=payer, has_jht="JHT" in chosen, declared_income_idr=declared_income_idr,
                sector="transport" if person.transport_sector else "other", status=status,
                start_date=start_date, activated_at=now if active else None, created_by=actor)
    except IntegrityError as exc:  # a concurrent enrolment of the same person won the race
        raise Conflict(_("Orang ini sudah punya kepesertaan yang masih berjalan."), code="duplicate") from exc
    audit_log(actor=actor, action="membership.enrol", obj=membership, region_code=person.kelurahan.code,
              after={"person": person.pk, "payer": payer.code, "programs": chosen, "status": status,
                     "start": start_date.isoformat(), "income_idr": declared_income_idr, "kpj": person.kpj or "",
                     **({"continuing": True} if continuing else {})})
    return membership


DRAFTS_CHUNK = 2_000  # persons per statement: 10 bound values a row stay under SQLite's 32,766


@transaction.atomic
def memberships_create_drafts(*, actor: User, payer: Payer, person_ids: Sequence[int], start_date: dt.date,
                              declared_income_idr: int, has_jht: bool = False,
                              reason: str) -> dict[int, int]:
    """Draft memberships for many people with one payer, set-based (a few statements per
    2,000 people, never one ORM call per person): the bulk twin of ``membership_enrol`` for
    callers that chose the people themselves (an approved allocation round).

    The guarantees of ``membership_enrol`` hold: office roles only; the income is a bracket
    value; a person outside the actor's area or the payer's region (``payer_covers``), dead,
    merged, outside the registration age, with an open membership (any payer) or with a month
    from the start on already billed is left out; the ``one_open_membership_per_person`` index
    has the last word (``ON CONFLICT DO NOTHING``). Drafts are inserted in the order of
    ``person_ids`` (the BPJSTK file follows it). One audit event lists every membership created
    with its person. Returns ``{person_id: membership_id}`` for the people who got one; the
    caller reports the rest.
    A draft never starts before today (no backdating: ``ValidationFailed`` ``backdated``). A
    person with a KPJ keeps it: the draft reads it from the person (``Membership.kpj``)."""
    from jaring.contributions.models import Due

    require(actor, "money.write")
    if not reason.strip():
        raise ValidationFailed(_("Sebutkan dasar pendaftaran massal."), fields={"reason": []})
    params = current_parameters()
    _not_backdated(start_date, params)
    try:
        calculate_contribution(declared_income_idr=declared_income_idr,
                               programmes=["jkk", "jkm", "jht"] if has_jht else ["jkk", "jkm"],
                               first_period=month_start(start_date), months=1, payer=payer.rules_payer,
                               sector="other", params=params)
    except RulesInputError as exc:
        raise ValidationFailed(exc.message, fields={exc.field: [exc.message]}) from None
    wanted = list(dict.fromkeys(int(pk) for pk in person_ids))
    scope_q = scope_for(actor).region_ids_q("kelurahan_id")
    if payer.region is not None:  # a payer of a region pays only for its people (``payer_covers``)
        scope_q &= region_subtree_q([payer.region.code], field="kelurahan__code")
    first_month = month_start(start_date)
    open_membership = Membership.objects.filter(person_id=OuterRef("pk"), status__in=Membership.OPEN_STATUSES)
    billed = Due.objects.filter(person_id=OuterRef("pk"), period__gte=first_month).exclude(status=Due.Status.VOID)
    age_ok: dict[dt.date, bool] = {}  # the regulation's age rule, once per distinct birth date
    enrollable: dict[int, bool] = {}  # person id → transport sector
    for start in range(0, len(wanted), DRAFTS_CHUNK):
        rows = (Person.objects.filter(scope_q, pk__in=wanted[start:start + DRAFTS_CHUNK], death_date__isnull=True,
                                      merged_into__isnull=True)
                .exclude(Exists(open_membership)).exclude(Exists(billed))
                .values_list("pk", "birth_date", "transport_sector"))
        for pk, birth_date, transport in rows:
            if birth_date not in age_ok:
                try:
                    age_ok[birth_date] = not registration_age_problems(birth_date=birth_date, on=start_date,
                                                                       params=params)
                except RulesInputError:  # born after the start
                    age_ok[birth_date] = False
            if age_ok[birth_date]:
                enrollable[pk] = transport
    now = timezone.now()
    created: dict[int, int] = {}
    ordered = [pk for pk in wanted if pk in enrollable]
    columns = ("person_id, payer_id, has_jht, declared_income_idr, sector, status, start_date, end_reason,"
               " created_at, created_by_id")
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), DRAFTS_CHUNK):
            chunk = ordered[start:start + DRAFTS_CHUNK]
            values: list[Any] = []
            for pk in chunk:
                values += [pk, payer.pk, has_jht, declared_income_idr, "transport" if enrollable[pk] else "other",
                           Membership.Status.DRAFT.value, start_date, "", now, actor.pk]
            marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(f"INSERT INTO membership_membership ({columns}) VALUES {marks}"  # noqa: S608 - constant SQL
                           " ON CONFLICT DO NOTHING RETURNING id, person_id", values)
            created.update({int(person): int(membership) for membership, person in cursor.fetchall()})
    audit_log(actor=actor, action="membership.create_drafts", obj=payer,
              region_code=payer.region.code if payer.region else "",
              after={"reason": reason, "payer": payer.code, "start": start_date.isoformat(),
                     "income_idr": declared_income_idr, "has_jht": has_jht, "asked": len(wanted),
                     "created": len(created), "left_out": len(wanted) - len(created),
                     "memberships": sorted([m, p] for p, m in created.items())})
    return created


def memberships_move_start(*, actor: User, membership_ids: Sequence[int], start_date: dt.date, by: str) -> int:
    """Move the start of memberships still waiting for BPJSTK (draft or submitted) whose start is
    before ``start_date`` to ``start_date``: protection is never backdated, so a registration sent
    after its planned start starts later (``registration_export`` calls this on the export day).
    Set-based: one UPDATE per 500 memberships and one ``membership.move_start`` event each, with the
    start before and after. Returns how many moved; a membership already moved is left alone."""
    require(actor, "bpjstk.exchange")
    waiting = (Membership.Status.DRAFT, Membership.Status.SUBMITTED)
    ids = list(dict.fromkeys(int(pk) for pk in membership_ids))
    moved = 0
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            rows = list(Membership.objects.filter(pk__in=ids[start:start + 500], status__in=waiting,
                                                  start_date__lt=start_date).values_list("pk", "start_date"))
            if not rows:
                continue
            Membership.objects.filter(pk__in=[pk for pk, _old in rows]).update(start_date=start_date)
            audit_log_many(actor=actor, action="membership.move_start", object_type="membership.membership", events=[
                (str(pk), {"start_date": old.isoformat()}, {"start_date": start_date.isoformat(), "by": by})
                for pk, old in rows])
            moved += len(rows)
    return moved


def _transition(actor: User, membership: Membership, action: str, note: dict[str, Any] | None = None,
                **changes: Any) -> Membership:
    before = {k: str(getattr(membership, k)) for k in changes}
    for key, value in changes.items():
        setattr(membership, key, value)
    membership.save(update_fields=list(changes))
    audit_log(actor=actor, action=action, obj=membership, before=before,
              after={**{k: str(v) for k, v in changes.items()}, **(note or {})})
    return membership


@transaction.atomic
def membership_submit(*, actor: User, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != Membership.Status.DRAFT:
        return membership  # already submitted: nothing to do
    return _transition(actor, membership, "membership.submit", status=Membership.Status.SUBMITTED,
                       submitted_at=timezone.now())


@transaction.atomic
def membership_activate(*, actor: User, membership: Membership, kpj: str, start_date: dt.date,
                        by: str = "bpjstk.kpj_file") -> Membership:
    """BPJSTK returned a KPJ number and the date protection starts (BPJSTK's date: it may be past).

    The KPJ is recorded on the person (``registry.services.person_assign_kpj``): a person without
    one gets it; a person re-enrolled after an end already has it and keeps it; a KPJ that is
    another person's, or that differs from the person's own, is a ``Conflict`` (``kpj_taken``,
    ``kpj_differs``) and nothing changes — BPJSTK's file goes to review, never overwrites."""
    membership = Membership.objects.select_for_update(of=("self",)).select_related("person").get(pk=membership.pk)
    problem = kpj_problem(kpj)
    if problem is not None:
        raise ValidationFailed(problem, fields={"kpj": [problem]}, code="kpj_format")
    if membership.status == Membership.Status.ACTIVE and membership.person.kpj == kpj_clean(kpj):
        return membership
    if membership.status not in (Membership.Status.DRAFT, Membership.Status.SUBMITTED):
        raise Conflict(_("Kepesertaan ini tidak menunggu aktivasi (status: %(s)s).") % {
            "s": membership.get_status_display()}, code="not_pending")
    membership.person = person_assign_kpj(actor=actor, person=membership.person, kpj=kpj, by=by)
    return _transition(actor, membership, "membership.activate", note={"kpj": membership.person.kpj},
                       status=Membership.Status.ACTIVE, start_date=start_date, activated_at=timezone.now())


@transaction.atomic
def membership_end(*, actor: User, membership: Membership, reason: str, ended_on: dt.date,
                   comment: str = "") -> Membership:
    """End an open membership on ``ended_on`` for ``reason``; ``comment`` (the confirmation's, cleaned
    by ``core.confirm``) is kept in the ``membership.end`` event."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if reason not in Membership.EndReason.values:
        raise ValidationFailed(_("Alasan berakhir tidak dikenal."), fields={"reason": [reason]})
    if membership.status == Membership.Status.ENDED:
        return membership
    from jaring.contributions.services import dues_void_after

    # Months after the end are not owed: open dues for them are voided (a void is kept, not deleted).
    # After a death or a total-disability claim, months already paid past the month of the claim are
    # refunded with it (Perdir 22/PERDIR.02/072022) and are not protected.
    dues_void_after(actor=actor, membership_ids=[membership.pk], after=ended_on,
                    refund_paid=reason in Membership.REFUNDING_END_REASONS)
    return _transition(actor, membership, "membership.end", note=with_comment({}, comment),
                       status=Membership.Status.ENDED, end_reason=reason, ended_on=ended_on)


def memberships_end_for_arrears(*, actor: User, rows: Sequence[tuple[int, dt.date]],
                                by: str = "billing.close") -> int:
    """End active memberships for arrears, set-based: ``rows`` are (membership id, the day it ends).
    Per day, in chunks: one UPDATE of the memberships still active, their open dues after the end
    voided (``contributions.services.dues_void_after``), one ``membership.end`` event each. Runs
    inside the caller's transaction (``billing_close``, which found them). Returns how many."""
    from jaring.contributions.services import dues_void_after

    require(actor, "money.write")  # the arrears close is a money run (billing_close asks the same)
    by_day: dict[dt.date, list[int]] = {}
    for membership_id, ended_on in rows:
        by_day.setdefault(ended_on, []).append(membership_id)
    with transaction.atomic():
        for ended_on, ids in by_day.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                Membership.objects.filter(pk__in=chunk, status=Membership.Status.ACTIVE).update(
                    status=Membership.Status.ENDED, end_reason=Membership.EndReason.ARREARS, ended_on=ended_on)
                dues_void_after(actor=actor, membership_ids=chunk, after=ended_on)
                audit_log_many(actor=actor, action="membership.end", object_type="membership.membership", events=[
                    (str(i), None, {"status": "ended", "end_reason": "arrears", "ended_on": ended_on.isoformat(),
                                    "by": by}) for i in chunk])
    return len(rows)


def _merge_conflicts(kept: Person, other: Person) -> list[tuple[str, str]]:
    """What refuses a merge on this floor: both have an open membership, or both are billed for a month."""
    from jaring.contributions.models import Due

    conflicts = []
    open_statuses = Membership.OPEN_STATUSES
    if (Membership.objects.filter(person=kept, status__in=open_statuses).exists()
            and Membership.objects.filter(person=other, status__in=open_statuses).exists()):
        conflicts.append(("both_members", _("Kedua orang punya kepesertaan aktif; akhiri salah satu sebelum "
                                            "menggabungkan.")))
    kept_months = set(Due.objects.filter(person=kept).exclude(status=Due.Status.VOID)
                      .values_list("period", flat=True))
    if Due.objects.filter(person=other, period__in=kept_months).exclude(status=Due.Status.VOID).exists():
        conflicts.append(("overlapping_dues", _("Keduanya punya iuran untuk bulan yang sama; periksa dengan BPJSTK "
                                                "sebelum menggabungkan.")))
    return conflicts


def move_memberships(*, actor: User, kept: Person, other: Person) -> list[dict[str, Any]]:
    """Merge hook: a duplicate's memberships and dues become the kept person's. Refused when both
    have an open membership or both are billed for the same month (the office must end one first).
    Returns what moved (``registry.services.merge_moved``), for the merge's undo."""
    from jaring.contributions.models import Due
    from jaring.contributions.services import dues_move

    if conflicts := _merge_conflicts(kept, other):
        raise Conflict(conflicts[0][1], code=conflicts[0][0])
    membership_ids = list(Membership.objects.filter(person=other).values_list("pk", flat=True))
    due_ids = list(Due.objects.filter(person_id=other.pk).values_list("pk", flat=True))
    moved = Membership.objects.filter(pk__in=membership_ids).update(person=kept)
    dues_move(actor=actor, from_person_id=other.pk, to_person_id=kept.pk)
    if moved:
        audit_log(actor=actor, action="membership.move", object_type="registry.person", object_id=str(kept.pk),
                  after={"from_person": other.pk, "memberships": moved})
    return [merge_moved(model, "person", ids, other.pk, kept.pk)
            for model, ids in ((Membership, membership_ids), (Due, due_ids)) if ids]


def plan_memberships(*, kept: Person, other: Person) -> MergePlanPart:
    """Merge plan (read only): how many memberships and dues ``move_memberships`` would move, and what
    would refuse it."""
    from jaring.contributions.models import Due

    memberships = Membership.objects.filter(person=other).count()
    dues = Due.objects.filter(person=other).exclude(status=Due.Status.VOID)
    billed, paid = dues.count(), dues.filter(status=Due.Status.PAID).count()
    moves = []
    if memberships:
        moves.append((ngettext("%(n)s kepesertaan", "%(n)s kepesertaan", memberships) % {"n": memberships},
                      memberships))
    if billed:
        moves.append((ngettext("%(n)s iuran bulanan (%(paid)s lunas)", "%(n)s iuran bulanan (%(paid)s lunas)", billed)
                      % {"n": billed, "paid": paid}, billed))
    return MergePlanPart(moves=moves, conflicts=[text for _code, text in _merge_conflicts(kept, other)])


@transaction.atomic
def membership_reject(*, actor: User, membership: Membership, reason: str,
                      by: str = "bpjstk.rejection_file") -> Membership:
    """BPJSTK refused the registration (its rejection file): a submitted (or draft) membership goes
    back to **draft** with BPJSTK's reason and the moment it was recorded, for the office to correct
    and send again with the next collective file. The same reason again changes nothing; a
    membership that is not waiting for BPJSTK (active, ended) is a ``Conflict`` ``not_pending``."""
    require(actor, "bpjstk.exchange")
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ValidationFailed(_("Alasan penolakan BPJSTK wajib diisi."), fields={"reason": []})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.DRAFT and membership.rejection_reason == reason:
        return membership
    if membership.status not in (Membership.Status.DRAFT, Membership.Status.SUBMITTED):
        raise Conflict(_("Kepesertaan ini tidak menunggu BPJSTK (status: %(s)s).") % {
            "s": membership.get_status_display()}, code="not_pending")
    return _transition(actor, membership, "membership.reject", note={"by": by}, status=Membership.Status.DRAFT,
                       rejection_reason=reason, rejected_at=timezone.now())


@dataclass
class ReactivationResult:
    payer: str
    reference: str
    reactivated: list[int] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # membership, reason code, text
    restored: list[tuple[int, dt.date]] = field(default_factory=list)  # (membership, month) open again
    kept_void: list[tuple[int, dt.date, str]] = field(default_factory=list)  # another payer bills that month

    def as_dict(self) -> dict[str, Any]:
        return {"payer": self.payer, "reference": self.reference, "reactivated": self.reactivated,
                "skipped": self.skipped, "restored_months": len(self.restored),
                "restored": [[m, format_month(p)] for m, p in self.restored],
                "kept_void": [[m, format_month(p), other] for m, p, other in self.kept_void]}


def memberships_reactivate(*, actor: User, payer: Payer, document_reference: str,
                           ended_on_from: dt.date | None = None,
                           membership_ids: Sequence[int] | None = None, comment: str = "") -> ReactivationResult:
    """Perdir 22/PERDIR.02/072022's route when a donor's (e.g. a government's) funding came late:
    the collective ``payer``'s memberships ended for ``arrears`` (those ended on or after
    ``ended_on_from``; only ``membership_ids`` when given) become active again — ``ended_on`` and
    ``end_reason`` cleared — and their dues voided by the end are open again
    (``contributions.services.dues_restore_after_end``; a month another payer now bills for that
    person stays void and is listed). A person who meanwhile has another open membership is skipped
    with the reason, and so is an older ended membership of a person whose latest one is
    reactivated. The office then issues and pays the invoices for the restored months
    (``invoice_issue``, ``invoice_payment_record``) — before the next arrears close, which would
    otherwise end them again.

    A self payer is refused (a self-payer re-enrols: ``membership_enrol`` continues with the KPJ).
    Needs ``money.write``; one transaction; audited with ``document_reference`` (the SP2D, the
    funder's letter): one ``payer.reactivate`` event listing the memberships (with the confirmation's
    ``comment``, cleaned by ``core.confirm``), and one ``membership.reactivate`` event per membership."""
    from jaring.contributions.services import dues_restore_after_end

    require(actor, "money.write")
    if payer.is_self:
        raise ValidationFailed(_("Peserta mandiri tidak diaktifkan kembali: ia mendaftar lagi (iuran lanjutan) "
                                 "dengan KPJ yang sama."), fields={"payer": [payer.code]}, code="self_payer")
    reference = " ".join((document_reference or "").split())
    if not reference:
        raise ValidationFailed(_("Sebutkan dokumen dasar pengaktifan kembali (mis. nomor SP2D atau surat pemberi "
                                 "dana)."), fields={"reference": []})
    if len(reference) > 200 or has_control_chars(reference):
        raise ValidationFailed(_("Referensi dokumen paling banyak 200 karakter, tanpa karakter kontrol."),
                               fields={"reference": [reference[:40]]})
    result = ReactivationResult(payer=payer.code, reference=reference)
    wanted = None if membership_ids is None else list(dict.fromkeys(int(pk) for pk in membership_ids))
    ended = Membership.objects.filter(payer=payer, status=Membership.Status.ENDED,
                                      end_reason=Membership.EndReason.ARREARS)
    if ended_on_from is not None:
        ended = ended.filter(ended_on__gte=ended_on_from)
    with transaction.atomic():
        rows: list[Any] = []  # (membership, person, the day it ended)
        if wanted is None:
            rows = list(ended.select_for_update().values_list("pk", "person_id", "ended_on"))
        else:
            for start in range(0, len(wanted), 500):
                rows += list(ended.select_for_update().filter(pk__in=wanted[start:start + 500])
                             .values_list("pk", "person_id", "ended_on"))
            found = {pk for pk, _p, _e in rows}
            result.skipped += [{"membership": pk, "reason": "not_eligible", "text": _(
                "Bukan kepesertaan %(payer)s yang berakhir karena menunggak.") % {"payer": payer.name}}
                for pk in wanted if pk not in found]
        rows.sort(key=lambda r: (r[2], r[0]), reverse=True)  # a person's latest end first
        persons = sorted({person for _pk, person, _e in rows})
        busy: set[int] = set()
        for start in range(0, len(persons), 500):
            busy.update(Membership.objects.filter(person_id__in=persons[start:start + 500],
                                                  status__in=Membership.OPEN_STATUSES)
                        .values_list("person_id", flat=True))
        chosen: list[tuple[int, dt.date]] = []
        taken: set[int] = set()
        for pk, person, ended_on in rows:
            if person in busy:
                result.skipped.append({"membership": pk, "reason": "open_membership", "text": _(
                    "Orang ini sudah punya kepesertaan lain yang masih berjalan.")})
            elif person in taken:
                result.skipped.append({"membership": pk, "reason": "later_membership", "text": _(
                    "Kepesertaan orang ini yang lebih baru yang diaktifkan kembali.")})
            else:
                taken.add(person)
                chosen.append((pk, ended_on))
        chosen.sort()
        ids = [pk for pk, _e in chosen]
        try:
            with transaction.atomic():
                for start in range(0, len(ids), 500):
                    Membership.objects.filter(pk__in=ids[start:start + 500], status=Membership.Status.ENDED).update(
                        status=Membership.Status.ACTIVE, ended_on=None, end_reason="")
        except IntegrityError as exc:  # a concurrent enrolment of one of these persons won the race
            raise Conflict(_("Salah satu orang baru saja didaftarkan lagi; ulangi pengaktifan kembali."),
                           code="duplicate") from exc
        restore = dues_restore_after_end(actor=actor, rows=chosen)
        result.reactivated, result.restored, result.kept_void = ids, restore.restored, restore.kept_void
        months: dict[int, list[str]] = {}
        for membership_id, period in restore.restored:
            months.setdefault(membership_id, []).append(format_month(period))
        audit_log_many(actor=actor, action="membership.reactivate", object_type="membership.membership", events=[
            (str(pk), {"status": "ended", "end_reason": "arrears", "ended_on": ended_on.isoformat()},
             {"status": "active", "reference": reference, "restored": months.get(pk, []), "by": "reactivation"})
            for pk, ended_on in chosen])
        audit_log(actor=actor, action="payer.reactivate", obj=payer,
                  region_code=payer.region.code if payer.region else "",
                  after=with_comment({"reference": reference,
                                      "ended_from": ended_on_from.isoformat() if ended_on_from else None,
                                      **result.as_dict()}, comment))
    return result
