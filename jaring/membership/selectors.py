"""Reads of payers and memberships, area-scoped through the person."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jaring.accounts.models import User
from jaring.accounts.selectors import scope_for
from jaring.core.errors import NotFound
from jaring.membership.models import Membership, Payer
from jaring.regions.selectors import ancestor_codes, region_subtree_q, tenant_root
from jaring.registry.models import Person
from jaring.registry.selectors import person_find_by_nik, person_queryset


def payer_get(*, code: str) -> Payer:
    payer = Payer.objects.filter(code=code).first()
    if payer is None:
        raise NotFound(_("Pembayar %(code)s tidak ditemukan.") % {"code": code})
    return payer


def payer_visible_q(*, actor: User) -> Q:
    """The payers ``actor`` sees and manages (decision 0048): those without a region (the self payer),
    those whose region lies in the actor's area, and — for whoever covers the deployment's root —
    the payers of a government above the root (a province paying for people of a city deployment)."""
    scope = scope_for(actor)
    q = Q(region__isnull=True) | region_subtree_q(scope.codes, field="region__code")
    root = tenant_root()
    if scope.contains_code(root):
        q |= Q(region__code__in=ancestor_codes(root))
    return q


def payers_visible(*, actor: User) -> QuerySet[Payer]:
    return Payer.objects.filter(payer_visible_q(actor=actor))


def payer_for(*, actor: User, code: str) -> Payer:
    """The payer with this code if ``actor`` sees it, else NotFound (another city's payer looks absent)."""
    payer = payers_visible(actor=actor).filter(code=code).first()
    if payer is None:
        raise NotFound(_("Pembayar %(code)s tidak ditemukan.") % {"code": code})
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
