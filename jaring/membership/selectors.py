"""Reads of payers and memberships, area-scoped through the person."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.errors import NotFound, PermissionDenied
from jaring.membership.models import Membership, Payer
from jaring.regions.selectors import ancestor_codes, region_subtree_q, tenant_root
from jaring.registry.models import Person
from jaring.registry.selectors import person_find_by_nik, person_queryset


def payer_managed_q(*, actor: User) -> Q:
    """The payers whose money ``actor``'s office keeps (decision 0048): invoices, reactivation, allocation
    rounds, registration files. Those without a region (the self payer), those whose region lies in the
    actor's area, and — for whoever covers the deployment's root — the payers of a government above the
    root (a province paying for people of a city deployment)."""
    scope = scope_for(actor)
    q = Q(region__isnull=True) | region_subtree_q(scope.codes, field="region__code")
    root = tenant_root()
    if scope.contains_code(root):
        q |= Q(region__code__in=ancestor_codes(root))
    return q


def payer_visible_q(*, actor: User) -> Q:
    """The payers ``actor`` sees: the ones they manage, and every government paying for people of
    their area (a facilitator sees the city's payer; a city's office the province's). Enrolling a person
    with a visible payer is then the service's decision (capability, the payer's area)."""
    above = {a for code in scope_for(actor).codes for a in ancestor_codes(code)}
    return payer_managed_q(actor=actor) | Q(region__code__in=sorted(above))


def payers_visible(*, actor: User) -> QuerySet[Payer]:
    return Payer.objects.filter(payer_visible_q(actor=actor))


def payers_managed(*, actor: User) -> QuerySet[Payer]:
    """The payers of the actor's office: the payer list and each payer's page (budget, invoices, members)."""
    return Payer.objects.filter(payer_managed_q(actor=actor))


def payer_for(*, actor: User, code: str, manage: bool = False) -> Payer:
    """The payer with this code if ``actor`` sees it, else NotFound: another government's payer looks
    absent. With ``manage`` (its invoices, reactivation, rounds, files) a payer the actor sees but whose
    money another office keeps is refused (PermissionDenied: a facilitator and the city payer, a city's
    office and the province's payer)."""
    payer = Payer.objects.filter(payer_visible_q(actor=actor), code=code).first()
    if payer is None:
        raise NotFound(_("Pembayar %(code)s tidak ditemukan.") % {"code": code})
    if manage and not Payer.objects.filter(payer_managed_q(actor=actor), pk=payer.pk).exists():
        raise PermissionDenied(_("Anda tidak boleh mengelola uang pembayar %(code)s: kantor lain yang mengelolanya.")
                               % {"code": code})
    return payer


def person_by_nik_or_404(*, actor: User, nik: str) -> Person:
    person = person_find_by_nik(actor=actor, nik=nik)
    if person is None:
        raise NotFound(_("Tidak ada orang dengan NIK itu di wilayah Anda."))
    return person


def membership_queryset(*, actor: User) -> QuerySet[Membership]:
    return Membership.objects.filter(person__in=person_queryset(actor=actor))


def membership_history(*, actor: User, person: Person) -> list[Membership]:
    return list(membership_queryset(actor=actor).filter(person=person).select_related("payer")
                .order_by("-start_date", "-id"))


def membership_current(*, actor: User, person: Person) -> Membership | None:
    """The open membership, or else the most recent one."""
    history = membership_history(actor=actor, person=person)
    for membership in history:
        if membership.status in Membership.OPEN_STATUSES:
            return membership
    return history[0] if history else None
