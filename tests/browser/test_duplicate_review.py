"""The duplicate review on a phone: compare a pair at 360 px without sideways scrolling, then merge."""

import datetime as dt

import pytest

from conftest import REMU
from jaring.registry.models import Person
from jaring.registry.services import dedup_scan
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_operator_compares_and_merges_on_a_phone(phone, live_server, personas, register_person):
    born = dt.date(1979, 5, 4)
    kept = register_person(full_name="Soekarni Wanma", sex="F", birth_date=born, kelurahan=REMU, phone="",
                           birth_place="Sorong")
    register_person(full_name="Ibu Sukarni Wanma", sex="F", birth_date=born, kelurahan=REMU,
                    phone="081298765432", occupation="market_trader")
    dedup_scan(actor=personas["operator_sorong"])
    log_in(phone, live_server.url, "operator_sorong")
    phone.goto(f"{live_server.url}/duplikat/")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    shot(phone, "duplicate_list_phone")
    phone.click("a:has-text('Bandingkan')")
    phone.wait_for_selector("table.compare")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    shot(phone, "duplicate_detail_phone")
    phone.check(f"input[name=keep][value='{kept.pk}']")
    phone.click("button:has-text('Lanjut')")  # first what the merge will do, then the merge
    phone.wait_for_selector("text=Periksa sebelum menggabungkan")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    phone.click("button:has-text('Gabungkan')")
    phone.wait_for_selector("text=digabung ke")
    assert Person.objects.filter(merged_into=kept).count() == 1
