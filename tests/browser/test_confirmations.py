"""A consequential action in the browser (issue 14, point 3): an admin approves an allocation round
after a page of figures, with a comment that the round page then shows from the audit event."""

from __future__ import annotations

from typing import Any

import pytest

from jaring.targeting.tests.conftest import city, pool, unit_cost  # noqa: F401  (fixtures)
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_admin_approves_a_round_with_a_comment(page: Any, live_server: Any, city: Any, pool: Any) -> None:  # noqa: F811
    from jaring.core.models import AuditEvent
    from jaring.membership.models import Membership
    from jaring.targeting.models import AllocationRound
    from jaring.targeting.selectors import RoundInput
    from jaring.targeting.services import round_prepare

    pool(10)
    allocation_round = round_prepare(actor=city["operator_sorong"], data=RoundInput(
        payer=city["payer"], policy=city["policy"], budget_idr=6 * unit_cost(city["start"], 12), months=12,
        start=city["start"]))
    log_in(page, live_server.url, "admin_sorong")
    page.goto(f"{live_server.url}/sasaran/putaran/{allocation_round.pk}/")
    page.click("button:has-text('Setujui dan buat kepesertaan draf')")
    figures = page.locator("[data-confirm-figures]")
    figures.wait_for()
    text = figures.inner_text()
    assert "6 kepesertaan" in text and "Total iuran per bulan" in text and "setelahnya" in text
    assert AllocationRound.objects.get().status == "prepared"  # the first click only shows
    page.fill("#confirm-comment", "Sesuai DPA Dinas Sosial 2027 <b>tahap 1</b>")
    shot(page, "round_approve_confirm_1280")
    page.click("button:has-text('Ya, setujui')")
    page.wait_for_url(f"**/sasaran/putaran/{allocation_round.pk}/")
    shown = page.locator("[data-approval-comment]").inner_text()
    assert "Sesuai DPA Dinas Sosial 2027 <b>tahap 1</b>" in shown  # shown as text, never as markup
    assert AllocationRound.objects.get().status == "approved"
    assert Membership.objects.filter(status="draft").count() == 6
    event = AuditEvent.objects.get(action="targeting.round_approve")
    assert event.after["comment"] == "Sesuai DPA Dinas Sosial 2027 <b>tahap 1</b>"
    assert event.actor == city["admin_sorong"]
