import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

BUDGET = 2_200_000_000


def start_month() -> dt.date:
    """January of next year: a whole fiscal year, never in the past."""
    return dt.date(timezone.localdate().year + 1, 1, 1)


@pytest.fixture
def city(personas: dict[str, Any]) -> dict[str, Any]:
    from jaring.accounts.services import user_create
    from jaring.membership.services import budget_line_add, payer_create
    from jaring.targeting.services import policy_create

    admin = personas["admin_sorong"]
    start = start_month()
    payer = payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                         wadah_code="SG", region_code="96.71")
    budget_line_add(actor=admin, payer=payer, fiscal_year=start.year, amount_idr=BUDGET,
                    source_document="DPA Dinas Sosial")
    policy = policy_create(actor=admin, code="inpres", name="Inpres 4/2022", max_decile=4, min_age=18, max_age=64)
    second_admin = user_create(actor=None, username="admin_kedua", name="Petrus Kambu", role="admin",
                               password="rahasia-jaring-2026", areas=["96.71"])
    return {**personas, "payer": payer, "policy": policy, "start": start, "admin_2": second_admin}


@pytest.fixture
def pool(city: dict[str, Any]):  # type: ignore[no-untyped-def]
    from jaring.targeting.testing import build_candidates

    def build(households: int, **kwargs: Any) -> int:
        return build_candidates(households, on=city["start"], **kwargs)

    return build


def unit_cost(start: dt.date, months: int) -> int:
    """One person's cost from the regulation engine, month by month (never a literal)."""
    from jaring.core.money import month_range
    from jaring.core.parameters import current_parameters
    from jaring.rules import calculate_contribution

    params = current_parameters()
    income = params.on(start, field="x").value("income_brackets", "brackets_idr")[0]
    return sum(calculate_contribution(declared_income_idr=income, programmes=["jkk", "jkm"], first_period=m,
                                      months=1, payer="government", sector="other", params=params).total_idr
               for m in month_range(start, months))
