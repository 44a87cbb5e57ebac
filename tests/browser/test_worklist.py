"""The facilitator's week in a browser (issue 12 §3): on a 360 px phone a facilitator opens the
worklist, records a visit with the quick form of the first person to lapse, and that person moves
from "to do" to "visited". The members in arrears are built through the services."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_money_pages import bill, enrol, fits_the_phone, running_month
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_facilitator_records_a_visit_from_the_worklist_on_a_phone(phone, live_server, personas, payers,
                                                                    register_person):
    from jaring.fieldwork.models import Visit

    first = register_person(full_name="Yuliana Kambuaya", phone="081344556677")
    enrol(personas, first, payers["self"], running_month(-2))
    later = register_person(full_name="Markus Mambrasar")
    enrol(personas, later, payers["self"], running_month(-1))
    bill(personas, -2, -1)

    log_in(phone, live_server.url, "facilitator_remu")
    phone.goto(f"{live_server.url}/kerja/")
    rows = phone.locator("table.worklist tbody tr")
    assert rows.count() == 2
    assert "Yuliana Kambuaya" in rows.nth(0).inner_text()  # two months behind: lapses first
    todo_tab = phone.locator("nav.worklist-tabs a").nth(0)
    assert "(2)" in todo_tab.inner_text()
    fits_the_phone(phone)
    shot(phone, "worklist_phone")

    row = phone.locator(f"tr#p{first.pk}")
    row.locator("details.quick-visit summary").click()
    row.locator("select[name=channel]").select_option("call")
    row.locator("select[name=outcome]").select_option("promised")
    row.locator("textarea[name=note]").fill("Janji bayar setelah jualan ikan hari Sabtu")
    fits_the_phone(phone)
    row.locator("button[type=submit]").click()
    phone.wait_for_load_state()

    assert "Kunjungan ke Yuliana Kambuaya dicatat." in phone.locator("main").inner_text()
    assert phone.locator(f"tr#p{first.pk}").count() == 0  # left "to do"
    assert phone.locator(f"tr#p{later.pk}").count() == 1
    assert "(1)" in phone.locator("nav.worklist-tabs a").nth(1).inner_text()
    phone.locator("nav.worklist-tabs a").nth(1).click()
    phone.wait_for_load_state()
    visited = phone.locator(f"tr#p{first.pk}").inner_text()
    assert "Janji bayar setelah jualan" in visited and "Telepon" in visited and "Sudah dikunjungi" in visited
    assert "Pastikan pembayaran yang dijanjikan" in visited
    fits_the_phone(phone)
    shot(phone, "worklist_visited_phone")
    visit = Visit.objects.get()
    assert (visit.person_id, visit.outcome, visit.channel, visit.by.username) == (
        first.pk, "promised", "call", "facilitator_remu")
