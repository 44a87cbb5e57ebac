"""Issue 14, point 8: axe-core on the main pages of an operator and a facilitator, at 1366 px and at
360 px, with no serious or critical violation; and a person registered with the keyboard alone.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0, never served by the application), so
the browser stage needs no network. The pages allow no inline script (decision 0021): axe is evaluated
through the DevTools protocol, which the CSP does not govern, so the pages are checked as they are
served, their CSP and all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import REMU
from jaring.reports.tests.test_claims_report import city  # noqa: F401 - a fixture
from tests.browser.test_registry_flow import log_in
from tests.browser.test_visual_polish import office  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WIDTHS = ({"width": 1366, "height": 900}, {"width": 360, "height": 740})

# axe's default rule set (WCAG 2.x A and AA and best practices); only what axe rates serious or
# critical fails. Each violation comes back with its rule, help text and the selectors it failed on.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map(n => n.target.join(' ') + ' — ' +
                                        (n.failureSummary || '').split('\\n').slice(1, 3).join(' ')),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    return page.evaluate(AXE_RUN)  # type: ignore[no-any-return]


def report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        for violation in violations:
            lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node}" for node in violation["nodes"])
    return "\n".join(lines)


def check_pages(page: Any, base: str, paths: list[str]) -> dict[str, list[dict[str, Any]]]:
    """axe on each page at each width, and on the empty person form sent back with its errors."""
    found = {}
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        for path in paths:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            if violations := axe_violations(page):
                found[f"{path} at {viewport['width']}px"] = violations
        page.goto(f"{base}/orang/baru/")
        page.click("form[method=post] button[type=submit]")
        page.locator(".error-summary").wait_for()
        if violations := axe_violations(page):
            found[f"/orang/baru/ with errors at {viewport['width']}px"] = violations
    return found


def test_axe_operator_pages(browser, live_server, office):  # type: ignore[no-untyped-def]  # noqa: F811
    from jaring.claims.models import Claim
    from jaring.core.models import Job
    from jaring.registry.models import DuplicateCandidate

    member = office["member"]
    pair = DuplicateCandidate.objects.order_by("pk").first()
    job = Job.objects.order_by("pk").first()
    claim = Claim.objects.order_by("pk").first()
    assert pair is not None and job is not None and claim is not None and member.household_id
    paths = ["/", "/orang/", f"/orang/{member.pk}/", "/orang/baru/", f"/keluarga/{member.household_id}/",
             "/impor/", f"/impor/{job.pk}/", "/duplikat/", f"/duplikat/{pair.pk}/", "/wadah/",
             f"/wadah/{office['payer'].code}/", f"/orang/{member.pk}/daftar/", "/sasaran/",
             f"/sasaran/putaran/{office['round'].pk}/", "/klaim/", f"/klaim/{claim.pk}/",
             "/laporan/klaim/?dari=2026-01&sampai=2026-12", "/dasbor/", "/parameter/", "/istilah/"]
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "operator_sorong")
        found = check_pages(page, live_server.url, paths)
    finally:
        context.close()
    assert not found, "axe found serious or critical violations:\n" + report(found)


def test_axe_facilitator_pages(browser, live_server, office):  # type: ignore[no-untyped-def]  # noqa: F811
    from jaring.claims.models import Claim

    member = office["member"]
    claim = Claim.objects.filter(person=member).order_by("pk").first()
    assert claim is not None
    paths = ["/", "/orang/", f"/orang/{member.pk}/", "/orang/baru/", f"/keluarga/{member.household_id}/",
             f"/orang/{member.pk}/daftar/", "/risiko/", "/klaim/", f"/klaim/{claim.pk}/", "/kerja/", "/lapangan/",
             "/parameter/", "/istilah/"]
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "facilitator_remu")
        found = check_pages(page, live_server.url, paths)
    finally:
        context.close()
    assert not found, "axe found serious or critical violations:\n" + report(found)


# The focused element and whether its focus shows: an outline, or a ring drawn as a box shadow (Pico's
# focus ring) of a colour that is not transparent and a spread of at least a pixel.
FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  const ring = style.boxShadow.split(/,(?![^(]*\\))/).some(shadow => {
    const colour = (shadow.match(/rgba?\\(([^)]*)\\)/) || [null, '0,0,0,0'])[1].split(',').map(Number);
    const lengths = shadow.replace(/rgba?\\([^)]*\\)/, '').trim().split(/\\s+/).map(parseFloat);
    return (colour.length < 4 || colour[3] > 0) && (lengths[3] || 0) >= 1;
  });
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || '').trim().slice(0, 40),
          visible: outline || ring, outline: style.outline, shadow: style.boxShadow};
}"""


def tab_to(page: Any, selector: str, key: str = "Tab", limit: int = 40) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focus is on ``selector``; its focus must show."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            focused: dict[str, Any] = page.evaluate(FOCUSED)
            assert focused["visible"], f"no visible focus on {focused}"
            return focused
    raise AssertionError(f"{selector} not reached with {key}: focus on {page.evaluate(FOCUSED)}")


def test_register_a_person_with_the_keyboard_alone(browser, live_server, personas):  # type: ignore[no-untyped-def]
    from jaring.registry.models import Person

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID", reduced_motion="reduce")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "operator_sorong")
        page.goto(f"{live_server.url}/orang/")
        link = tab_to(page, "a[href='/orang/baru/']")
        assert link["outline"].startswith("rgb(255, 255, 255) solid"), link  # white on the green bar
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/orang/baru/")

        tab_to(page, "#id_nik")
        page.keyboard.type("9271014808900001")
        tab_to(page, "#id_full_name")
        page.keyboard.type("Agustina Sawaki")
        tab_to(page, "input[name=sex]")  # the first radio of the group; an arrow moves to and checks the next
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.value") == "F" and page.is_checked("input[name=sex][value=F]")
        assert page.evaluate(FOCUSED)["visible"]
        tab_to(page, "#id_birth_place")
        page.keyboard.type("Sorong")
        tab_to(page, "#id_birth_date")
        page.keyboard.type("08081990")  # the 8th of the 8th: the same whether the browser puts day or month first
        assert page.input_value("#id_birth_date") == "1990-08-08"
        tab_to(page, "#id_kelurahan")
        page.keyboard.type("Remu")  # a closed select picks the option its typed letters begin
        assert page.input_value("#id_kelurahan") == REMU
        tab_to(page, "#id_occupation")
        page.keyboard.press("ArrowDown")
        assert page.input_value("#id_occupation")
        tab_to(page, "#id_phone")
        page.keyboard.type("081344556677")
        tab_to(page, "#id_declared_income_idr", key="Shift+Tab")
        page.keyboard.type("1500000")
        tab_to(page, "form[method=post] button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("h1:has-text('Agustina Sawaki')")
        person = Person.objects.get(full_name="Agustina Sawaki")
        assert page.url == f"{live_server.url}/orang/{person.pk}/"
        assert (person.sex, person.birth_date.isoformat(), person.kelurahan.code) == ("F", "1990-08-08", REMU)
        assert person.declared_income_idr == 1_500_000
    finally:
        context.close()
