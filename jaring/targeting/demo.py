"""The demo city's targeting policy (called by ``jaring.demo`` once the lead wires it in)."""

from __future__ import annotations

from typing import Any

from jaring.accounts.services import system_user
from jaring.targeting.models import EligibilityPolicy
from jaring.targeting.services import policy_create

DEMO_POLICY_CODE = "inpres-4-2022"


def seed_demo_targeting(*, actor: Any = None) -> EligibilityPolicy:
    """An Inpres 4/2022 policy: deciles 1–4, ages 18–64, the default priority points. Idempotent."""
    existing = EligibilityPolicy.objects.filter(code=DEMO_POLICY_CODE, is_current=True).first()
    if existing is not None:
        return existing
    return policy_create(actor=actor or system_user(), code=DEMO_POLICY_CODE,
                         name="Pekerja rentan miskin (Inpres 4/2022)",
                         basis="Inpres 4/2022 Percepatan Penghapusan Kemiskinan Ekstrem; desil 1–4 (DTSEN/P3KE)",
                         max_decile=4, min_age=18, max_age=64)
