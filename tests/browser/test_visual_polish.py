"""Issue 14, point 7, in a browser: no page wider than a 360 px phone, a one-bar phone menu that
opens without script, and stat card numbers on one line at 1366 px, however many digits."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from conftest import REMU
from jaring.reports.tests.test_claims_report import city  # noqa: F401 - a fixture
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BUDGET_IDR = 12_345_678_900  # "Rp12.345.678.900": fifteen characters in a stat card

# The page's widest content, with the page's own horizontal overflow allowed to show (nothing may
# hide it): tables that scroll inside their box do not count, a table that spills does.
PAGE_WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"

# The coverage strip's month letters: font size, and contrast against what is painted behind them
# (WCAG 2 relative luminance of the text colour and of the first opaque background up the tree).
STRIP_LABELS = """() => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255).map(
    v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const behind = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
    if (rgb(c)[3] !== 0) { return c; } } return 'rgb(255, 255, 255)'; };
  return [...document.querySelectorAll('.strip .cell small')].map(small => {
    const style = getComputedStyle(small), cell = small.parentElement.getBoundingClientRect();
    const box = small.getBoundingClientRect(), a = lum(style.color), b = lum(behind(small.offsetParent.parentElement));
    return {text: small.innerText, size: parseFloat(style.fontSize), below: box.top >= cell.bottom - 1,
            contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""

# Each stat card number: its height against one line of its own font, and whether it spills.
NUMBER_LINES = """() => [...document.querySelectorAll('.stat b')].map(b => {
  const style = getComputedStyle(b);
  return {text: b.innerText, height: b.getBoundingClientRect().height, line: parseFloat(style.lineHeight),
          spills: b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().right >
                  b.parentElement.getBoundingClientRect().right};
})"""


@pytest.fixture
def office(personas: dict[str, Any], payers: dict[str, Any], city: dict[str, Any],  # noqa: F811
           register_person: Any, tmp_path: Any) -> dict[str, Any]:
    """The claims report's city, plus a budget of eleven digits, a duplicate pair, an import in the
    history with a long file name and an allocation round."""
    import datetime as dt

    from jaring.core.jobs import job_finish
    from jaring.membership.services import budget_line_add
    from jaring.registry.importing import import_job_create
    from jaring.registry.services import HouseholdInput, dedup_scan, household_create
    from jaring.registry.testing import make_kk
    from jaring.targeting.selectors import RoundInput
    from jaring.targeting.services import policy_create, round_prepare

    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    budget_line_add(actor=admin, payer=payers["city"], fiscal_year=timezone.localdate().year,
                    amount_idr=BUDGET_IDR, source_document="DPA-SKPD 1.02.0.00.0.00.01.0000 Tahun Anggaran")
    for name in ("Soekarni Wanma", "Ibu Sukarni Wanma"):
        register_person(full_name=name, sex="F", kelurahan=REMU)
    dedup_scan(actor=operator)
    upload = tmp_path / "registri_kelurahan_remu_desember_2026_perbaikan_kedua.xlsx"
    upload.write_bytes(b"")
    job = import_job_create(actor=operator, path=upload, file_name=upload.name)
    job_finish(job, status="done", result={"rows": 1_234_567})
    start = dt.date(timezone.localdate().year + 1, 1, 1)
    budget_line_add(actor=admin, payer=payers["city"], fiscal_year=start.year, amount_idr=BUDGET_IDR,
                    source_document="DPA Dinas Sosial")
    for serial in range(20, 24):  # poor households with a working adult each: the round's pool
        household = household_create(actor=operator, data=HouseholdInput.of(
            kk_number=make_kk(issued=dt.date(2016, 1, 4), serial=serial), kelurahan=REMU,
            welfare_decile=1 + serial % 3, decile_source="P3KE", decile_date=dt.date(2025, 1, 1)))
        register_person(full_name=f"Pekerja Nomor {serial}", household=household,
                        birth_date=dt.date(1980 + serial % 10, 2, 3), occupation="fisher")
    policy = policy_create(actor=admin, code="inpres", name="Inpres 4/2022", max_decile=4, min_age=18, max_age=64)
    allocation_round = round_prepare(actor=operator, data=RoundInput(
        payer=payers["city"], policy=policy, budget_idr=99_993_600, months=12, start=start))
    return {"payer": payers["city"], "member": city["people"]["P1"], "round": allocation_round}


def test_phone_pages_fit_and_the_menu_is_one_bar(phone, live_server, office):  # type: ignore[no-untyped-def]
    log_in(phone, live_server.url, "admin_sorong")
    base = live_server.url
    pages = ["/", "/orang/", "/impor/", "/duplikat/", f"/wadah/{office['payer'].code}/", "/sasaran/",
             f"/sasaran/putaran/{office['round'].pk}/", "/risiko/", "/klaim/", f"/orang/{office['member'].pk}/",
             "/laporan/klaim/?dari=2026-01&sampai=2026-12", "/dasbor/"]
    for path in pages:
        phone.goto(base + path)
        width = phone.evaluate(PAGE_WIDTH)
        assert width <= phone.evaluate("window.innerWidth"), f"{path} is {width}px wide on a 360px phone"
        bar = phone.locator("header.topbar").bounding_box()
        assert bar is not None and bar["height"] <= 56, f"{path}: the menu bar is {bar}"
        assert not phone.locator("#mainnav").is_visible()
    phone.goto(base + "/impor/")
    shot(phone, "import_history_phone")

    # The menu opens under the bar (a checkbox's label: no script involved) and leads somewhere.
    phone.click("label.menu-button")
    assert phone.locator("#mainnav").is_visible()
    assert phone.evaluate(PAGE_WIDTH) <= 360
    shot(phone, "menu_open_phone")
    phone.locator("#mainnav").get_by_role("link", name="Duplikat").click()
    phone.wait_for_url(f"{base}/duplikat/")
    assert not phone.locator("#mainnav").is_visible()


def test_phone_menu_without_script(browser, live_server, office):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="id-ID", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "facilitator_remu")
        assert not page.locator("#mainnav").is_visible()
        page.click("label.menu-button")
        assert page.locator("#mainnav").is_visible()
    finally:
        context.close()


def test_stat_numbers_stay_on_one_line_at_1366(browser, live_server, office):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin_sorong")
        assert page.locator("#mainnav").is_visible() and not page.locator("label.menu-button").is_visible()
        for path in (f"/wadah/{office['payer'].code}/", "/laporan/klaim/?dari=2026-01&sampai=2026-12", "/",
                     f"/sasaran/putaran/{office['round'].pk}/"):
            page.goto(live_server.url + path)
            numbers = page.evaluate(NUMBER_LINES)
            assert numbers, path
            for number in numbers:
                assert number["height"] < 1.5 * number["line"], f"{path}: {number} wraps"
                assert not number["spills"], f"{path}: {number} spills out of its card"
        page.goto(f"{live_server.url}/wadah/{office['payer'].code}/")
        assert "Rp12.345.678.900" in page.locator(".stats").inner_text()
        shot(page, "payer_cards_1366")
    finally:
        context.close()


def test_strip_month_letters_are_legible(phone, live_server, office):  # type: ignore[no-untyped-def]
    log_in(phone, live_server.url, "admin_sorong")
    phone.goto(f"{live_server.url}/orang/{office['member'].pk}/")
    labels = phone.evaluate(STRIP_LABELS)
    assert len(labels) == 24
    for label in labels:
        assert label["text"] and label["size"] >= 11, label
        assert label["below"] and label["contrast"] >= 4.5, label
    assert phone.evaluate(PAGE_WIDTH) <= 360
