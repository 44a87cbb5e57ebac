"""A person merge carries the duplicate's claims to the kept person (the registry's merge hook,
``claims.services.move_claims``): the case is never left on a hidden record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jaring.claims.models import Claim
from jaring.claims.selectors import claim_deadlines_list, claim_queryset
from jaring.claims.services import claim_open
from jaring.core.models import AuditEvent
from jaring.registry.models import DuplicateCandidate
from jaring.registry.services import dedup_scan, person_merge

pytestmark = pytest.mark.django_db
BORN = dt.date(1979, 5, 4)


def test_merge_moves_claims_to_the_kept_person(personas: dict[str, Any], register_person: Any) -> None:
    operator = personas["operator_sorong"]
    kept = register_person(full_name="Soekarni Wanma", sex="F", birth_date=BORN, nik="9271014405790001")
    other = register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=BORN, nik="9271014405790002")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    claim = claim_open(actor=personas["facilitator_remu"], person=other, type="jkk", event_date=yesterday,
                       chronology="Jatuh di Pasar Remu")
    assert dedup_scan(actor=operator)["candidates"] == 1
    person_merge(actor=operator, candidate=DuplicateCandidate.objects.get(), keep=kept)

    claim.refresh_from_db()
    assert claim.person_id == kept.pk
    assert list(claim_queryset(actor=personas["facilitator_remu"])) == [claim]
    assert [row.claim.pk for row in claim_deadlines_list(actor=personas["facilitator_remu"])] == [claim.pk]
    moved = AuditEvent.objects.get(action="claim.move")
    assert moved.object_id == str(kept.pk) and moved.after == {"from_person": other.pk, "claims": 1}
    # The kept person's page lists the case; the hidden record has none left.
    assert not Claim.objects.filter(person=other).exists()
