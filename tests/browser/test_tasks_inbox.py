"""The tasks inbox in a browser (issue 14 §2): the operator's and the admin's home pages list what
waits for them, with counts and links; the round the operator prepared waits for an admin (only the
admin is asked to approve it); on a 360 px phone the inbox fits and its link opens the work."""

from __future__ import annotations

import pytest

from jaring.core.tests.test_tasks_inbox import work  # noqa: F401 - the fixture: the work made through services
from tests.browser.conftest import shot
from tests.browser.test_money_pages import fits_the_phone
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _inbox(page):  # type: ignore[no-untyped-def]
    section = page.locator("section.tasks-inbox")
    assert "Perlu ditindaklanjuti" in section.locator("h2").inner_text()
    return section


def test_the_operator_sees_the_office_work(page, live_server, personas, work):  # noqa: F811
    log_in(page, live_server.url, "operator_sorong")
    page.goto(f"{live_server.url}/")
    inbox = _inbox(page)
    rejected = inbox.locator('li[data-task="membership.rejected"]')
    assert rejected.locator("b").inner_text() == "1"
    assert "ditolak BPJSTK" in rejected.inner_text()
    assert inbox.locator('li[data-task="targeting.rounds_prepared"]').count() == 1
    assert inbox.locator('li[data-task="targeting.rounds_to_approve"]').count() == 0  # not their own round
    assert inbox.locator('li[data-task="contributions.invoices_to_issue"] b').inner_text() == "1"
    assert inbox.locator('li[data-task="fieldwork.visits_due"]').count() == 0  # the office has the worklist
    shot(page, "tasks_inbox_operator")
    inbox.locator('li[data-task="contributions.invoices_to_issue"] a').click()
    page.wait_for_load_state()
    assert page.url.endswith("/wadah/")


def test_the_admin_is_asked_to_approve_on_a_phone(phone, live_server, personas, work):  # noqa: F811
    log_in(phone, live_server.url, "admin_sorong")
    phone.goto(f"{live_server.url}/")
    inbox = _inbox(phone)
    rows = inbox.locator("li")
    assert rows.count() >= 5
    assert "urgent" in (rows.nth(0).get_attribute("class") or "")  # the most urgent first
    approve = inbox.locator('li[data-task="targeting.rounds_to_approve"]')
    assert approve.locator("b").inner_text() == "1" and "persetujuan" in approve.inner_text()
    assert inbox.locator('li[data-task="targeting.rounds_prepared"]').count() == 0
    fits_the_phone(phone)
    shot(phone, "tasks_inbox_admin_phone")
    approve.locator("a").click()
    phone.wait_for_load_state()
    assert phone.url.endswith("/sasaran/")
    assert f"#{work['round'].pk}" in phone.locator("main").inner_text()
