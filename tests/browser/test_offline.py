"""The offline field app on a 360 px phone (issue 12.1, decision 0039): a facilitator works without
signal, reloads, comes back online, and every record reaches the server exactly once — also when an
answer is lost on the way; a record the server refuses stays visible until it is fixed or discarded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import REMU
from tests.browser.conftest import shot
from tests.browser.test_money_pages import fits_the_phone
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KK = "9271010106150042"


def nik(birth: dt.date, sex: str, serial: int) -> str:
    from jaring.registry.testing import make_nik

    return make_nik(birth_date=birth, sex=sex, serial=serial)


def open_field_app(phone: Any, base: str) -> None:
    """Open /lapangan/ and wait until the service worker controls it and the area is loaded."""
    phone.goto(f"{base}/lapangan/")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    phone.evaluate("window.jaringField.ready")
    phone.wait_for_selector(f"#f-household select[name=kelurahan_code] option[value='{REMU}']", state="attached")


def wait_idle(phone: Any) -> None:
    phone.wait_for_function("() => !document.querySelector('#sync-now').hasAttribute('aria-busy')")


def wait_badge(phone: Any, text: str) -> None:
    phone.wait_for_function("(text) => document.querySelector('#pending-badge').textContent === text", arg=text)


def badge(phone: Any) -> str:
    return phone.locator("#pending-badge").inner_text() if phone.locator("#pending-badge").is_visible() else ""


def fill_person(phone: Any, *, number: str, name: str, birth: dt.date, sex: str, relationship: str = "") -> None:
    form = "#f-person"
    phone.fill(f"{form} [name=nik]", number)
    phone.fill(f"{form} [name=full_name]", name)
    phone.fill(f"{form} [name=birth_date]", birth.isoformat())
    phone.select_option(f"{form} [name=sex]", sex)
    if relationship:
        phone.select_option(f"{form} [name=relationship]", relationship)
    phone.fill(f"{form} [name=phone]", "081344556677")
    phone.select_option(f"{form} [name=kelurahan_code]", REMU)
    phone.click(f"{form} button[type=submit]")


def enrol(phone: Any, name: str) -> None:
    phone.click("[data-tab=persons]")
    phone.fill("#person-q", name.split()[0])
    phone.click(f"#person-list button:has-text('{name}')")
    phone.click("#pd-enrol")
    phone.wait_for_selector("[data-panel=enrolment]:not([hidden])")
    incomes = phone.locator("#f-enrolment [name=declared_income_idr] option").all()
    phone.select_option("#f-enrolment [name=declared_income_idr]", incomes[1].get_attribute("value"))
    phone.click("#f-enrolment button[type=submit]")


def test_offline_household_two_members_and_an_enrolment_reach_the_server_once(phone, live_server, personas, payers):
    from jaring.membership.models import Membership
    from jaring.registry.models import Household, Person
    from jaring.registry.selectors import nik_index_of

    base = live_server.url
    log_in(phone, base, "facilitator_remu")
    open_field_app(phone, base)
    fits_the_phone(phone)

    phone.context.set_offline(True)
    phone.wait_for_selector("#net[data-state=offline]")
    phone.click("[data-tab=household]")
    phone.fill("#f-household [name=kk_number]", KK)
    phone.fill("#f-household [name=address]", "Jl. Kenari 7, Remu")
    phone.select_option("#f-household [name=kelurahan_code]", REMU)
    phone.click("#f-household button[type=submit]")
    # Straight on to the household's first member, the household chosen.
    phone.wait_for_selector("[data-panel=person]:not([hidden])")
    assert phone.locator("#fp-household option:checked").inner_text().startswith("KK 9271********0042")
    head_birth, wife_birth = dt.date(1984, 7, 9), dt.date(1988, 11, 23)
    fill_person(phone, number=nik(head_birth, "M", 501), name="Yonas Sawaki", birth=head_birth, sex="M",
                relationship="head")
    phone.click("#pd-add-member")
    fill_person(phone, number=nik(wife_birth, "F", 502), name="Ester Sawaki", birth=wife_birth, sex="F",
                relationship="spouse")
    enrol(phone, "Yonas Sawaki")
    wait_badge(phone, "4 menunggu dikirim")
    fits_the_phone(phone)
    shot(phone, "offline_waiting_phone")
    assert not Person.objects.filter(full_name__endswith="Sawaki").exists()  # nothing has left the phone

    # Without signal the page reloads from the service worker, and the outbox is still there.
    phone.reload()
    phone.evaluate("window.jaringField.ready")
    assert badge(phone) == "4 menunggu dikirim"
    phone.click("[data-tab=outbox]")
    assert phone.locator("#outbox-list li[data-status=pending]").count() == 4
    phone.click("[data-tab=persons]")
    phone.fill("#person-q", "sawaki")
    assert phone.locator("#person-list button").count() == 2  # decrypted from IndexedDB, offline

    # The signal returns, and the enrolment's answer is lost on the way: the server enrolled him,
    # the phone does not know it.
    lost = []

    def lose_the_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/api/v1/memberships/", lose_the_answer)
    phone.context.set_offline(False)  # the 'online' event starts the sync
    wait_badge(phone, "1 menunggu dikirim")
    wait_idle(phone)
    assert lost == [201]
    assert Membership.objects.filter(person__full_name="Yonas Sawaki").count() == 1
    phone.unroute("**/api/v1/memberships/")

    # The same outbox item goes again with the same Idempotency-Key: the server replays its answer.
    phone.click("#sync-now")
    phone.wait_for_function("() => document.querySelector('#pending-badge').hidden")
    wait_idle(phone)

    household = Household.objects.get(kk_index__isnull=False, address="Jl. Kenari 7, Remu")
    assert Household.objects.filter(address="Jl. Kenari 7, Remu").count() == 1
    head = Person.objects.get(nik_index=nik_index_of(nik(head_birth, "M", 501)))
    wife = Person.objects.get(nik_index=nik_index_of(nik(wife_birth, "F", 502)))
    assert head.household_id == wife.household_id == household.pk
    assert (head.full_name, head.relationship, wife.relationship) == ("Yonas Sawaki", "head", "spouse")
    assert head.data_source == "field_survey"
    assert Person.objects.filter(full_name__endswith="Sawaki").count() == 2
    assert list(Membership.objects.filter(person__household=household).values_list("person__full_name", flat=True)) \
        == ["Yonas Sawaki"]

    # Once more, with everything sent: nothing is sent twice.
    phone.click("#sync-now")
    wait_idle(phone)
    assert Person.objects.filter(full_name__endswith="Sawaki").count() == 2
    assert Membership.objects.filter(person__household=household).count() == 1
    # The new persons now come from the server's snapshot, NIK masked; the typed NIKs are gone.
    phone.click("[data-tab=persons]")
    phone.fill("#person-q", "sawaki")
    rows = phone.locator("#person-list button").all_inner_texts()
    assert len(rows) == 2 and all("********" in row for row in rows), rows
    stored = phone.evaluate("""async () => {
        const db = await idb.openDB('jaring-lapangan');
        return {outbox: await db.count('outbox'), text: JSON.stringify(await db.getAll('outbox'))};
    }""")
    assert stored["outbox"] == 0
    shot(phone, "offline_synced_phone")


def test_a_conflict_stays_visible_until_it_is_fixed_or_discarded(phone, live_server, personas, payers,
                                                                  register_person):
    from jaring.membership.models import Membership
    from jaring.registry.models import Household, Person
    from jaring.registry.selectors import nik_index_of
    from jaring.registry.services import HouseholdInput, household_create

    base = live_server.url
    log_in(phone, base, "facilitator_remu")
    open_field_app(phone, base)

    phone.context.set_offline(True)
    birth = dt.date(1979, 3, 15)
    taken = nik(birth, "M", 601)
    phone.click("[data-tab=person]")
    fill_person(phone, number=taken, name="Markus Rumbewas", birth=birth, sex="M")
    enrol(phone, "Markus Rumbewas")
    phone.click("[data-tab=household]")
    phone.fill("#f-household [name=kk_number]", KK)
    phone.fill("#f-household [name=address]", "Jl. Baru")
    phone.click("#f-household button[type=submit]")
    wait_badge(phone, "3 menunggu dikirim")
    phone.click("#sync-now")  # without signal: nothing happens, and nothing is stuck afterwards
    wait_idle(phone)

    # Meanwhile the office registers the same NIK and the same KK.
    register_person(nik=taken, full_name="Markus Rumbewas Tua", birth_date=birth, sex="M")
    household_create(actor=personas["operator_sorong"], data=HouseholdInput.of(kk_number=KK, kelurahan=REMU))

    phone.context.set_offline(False)
    phone.wait_for_selector("#conflict-badge:not([hidden])")
    wait_idle(phone)
    assert phone.locator("#conflict-badge").inner_text() == "2 perlu diperiksa"
    assert badge(phone) == "3 menunggu dikirim"  # the enrolment waits for its person
    phone.reload()
    phone.evaluate("window.jaringField.ready")
    wait_idle(phone)
    phone.click("[data-tab=outbox]")
    conflicts = phone.locator("#outbox-list li[data-status=conflict]")
    assert conflicts.count() == 2  # still there after a reload and another sync: never dropped
    text = phone.locator("#outbox-list").inner_text()
    assert "NIK ini sudah terdaftar atas nama Markus Rumbewas Tua" in text
    assert "Nomor KK ini sudah terdaftar" in text
    assert "menunggu data yang dibutuhkannya" in text
    fits_the_phone(phone)
    shot(phone, "offline_conflict_phone")

    # The household: discarded, explicitly.
    household_row = phone.locator("#outbox-list li[data-status=conflict]", has_text="Keluarga")
    household_row.locator("[data-act=discard]").click()
    household_row.locator("[data-act=discard-yes]").click()
    phone.wait_for_function("() => document.querySelectorAll('#outbox-list li[data-status=conflict]').length === 1")

    # The person: the NIK was mistyped; fixed and sent again, and the enrolment follows.
    fixed = nik(birth, "M", 602)
    phone.locator("#outbox-list li[data-status=conflict] [data-act=edit]").click()
    phone.wait_for_selector("[data-panel=person]:not([hidden])")
    assert phone.input_value("#f-person [name=full_name]") == "Markus Rumbewas"
    assert "NIK ini sudah terdaftar" in phone.locator("#f-person .form-error").inner_text()
    phone.fill("#f-person [name=nik]", fixed)
    phone.click("#f-person button[type=submit]")
    phone.wait_for_function("() => document.querySelector('#pending-badge').hidden")
    wait_idle(phone)

    assert Person.objects.filter(nik_index=nik_index_of(taken)).get().full_name == "Markus Rumbewas Tua"
    person = Person.objects.get(nik_index=nik_index_of(fixed))
    assert person.full_name == "Markus Rumbewas"
    assert Membership.objects.filter(person=person).count() == 1
    assert Membership.objects.filter(person__nik_index=nik_index_of(taken)).count() == 0
    assert Household.objects.filter(address="Jl. Baru").count() == 0
    assert phone.locator("#conflict-badge").is_hidden()


def test_a_session_that_ends_offline_keeps_the_work_and_logout_wipes_the_phone(phone, live_server, personas,
                                                                             register_person):
    """Visit notes and claim reports made offline; the session ends meanwhile (the 30-minute idle
    timeout): the area data is wiped, the unsent work waits for the same user's next login and goes
    once. Logging out leaves nothing of the field app in the browser."""
    from jaring.claims.models import Claim
    from jaring.fieldwork.models import Visit

    person = register_person(full_name="Paulus Kambuaya")
    base = live_server.url
    log_in(phone, base, "facilitator_remu")
    open_field_app(phone, base)

    phone.context.set_offline(True)
    phone.fill("#person-q", "kambuaya")
    phone.click("#person-list button:has-text('Paulus Kambuaya')")
    phone.click("#pd-visit")
    phone.select_option("#f-visit [name=outcome]", "promised")
    phone.fill("#f-visit [name=promised_on]", phone.input_value("#f-visit [name=visited_on]"))
    phone.fill("#f-visit [name=note]", "Janji bayar hari ini di agen.")
    phone.click("#f-visit button[type=submit]")
    wait_badge(phone, "1 menunggu dikirim")
    phone.fill("#person-q", "kambuaya")
    phone.click("#person-list button:has-text('Paulus Kambuaya')")
    phone.click("#pd-claim")
    phone.select_option("#f-claim [name=type]", "jkk")
    phone.fill("#f-claim [name=event_place]", "Pasar Remu")
    phone.fill("#f-claim [name=chronology]", "Terjatuh dari tangga lapak.")
    phone.click("#f-claim button[type=submit]")
    wait_badge(phone, "2 menunggu dikirim")

    phone.context.clear_cookies()  # the server's session is gone
    phone.context.set_offline(False)
    phone.wait_for_selector("#login-again:not([hidden])")
    wait_idle(phone)
    assert "Sesi Anda berakhir" in phone.locator("#notice").inner_text()
    assert badge(phone) == "2 menunggu dikirim"
    assert phone.evaluate("async () => (await idb.openDB('jaring-lapangan')).count('snapshot')") == 0
    assert phone.locator("#person-list button").count() == 0  # the area's data went with the session
    assert Visit.objects.count() == Claim.objects.count() == 0

    log_in(phone, base, "facilitator_remu")
    open_field_app(phone, base)  # a new session, a new key: the outbox is encrypted again and sent
    phone.wait_for_function("() => document.querySelector('#pending-badge').hidden")
    wait_idle(phone)
    visit = Visit.objects.get()
    assert (visit.person_id, visit.outcome, visit.note) == (person.pk, "promised", "Janji bayar hari ini di agen.")
    claim = Claim.objects.get()
    assert (claim.person_id, claim.type, claim.event_place) == (person.pk, "jkk", "Pasar Remu")
    phone.click("#sync-now")
    wait_idle(phone)
    assert Visit.objects.count() == Claim.objects.count() == 1

    # A phone left without a sync for longer than JARING_OFFLINE_MAX_DAYS forgets everything.
    phone.context.set_offline(True)
    phone.click("[data-tab=person]")
    birth = dt.date(1992, 1, 2)
    fill_person(phone, number=nik(birth, "F", 701), name="Sara Kambuaya", birth=birth, sex="F")
    wait_badge(phone, "1 menunggu dikirim")
    phone.evaluate("""async () => {
        const db = await idb.openDB('jaring-lapangan');
        const state = await db.get('meta', 'state');
        state.synced_ms = Date.now() - (state.max_days + 1) * 86400000;
        await db.put('meta', state, 'state');
    }""")
    phone.reload()
    phone.evaluate("window.jaringField.ready")
    assert "lebih dari 7 hari tanpa sinkron" in phone.locator("#notice").inner_text()
    assert badge(phone) == ""
    assert phone.evaluate("async () => (await idb.openDB('jaring-lapangan')).count('outbox')") == 0
    phone.context.set_offline(False)

    phone.click("#logout-form button[type=submit]")
    phone.wait_for_url(f"{base}/masuk/")
    left = phone.evaluate("""async () => ({
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        databases: (await indexedDB.databases()).map(d => d.name),
        caches: await caches.keys(),
    })""")
    assert left == {"workers": 0, "databases": [], "caches": []}, left
