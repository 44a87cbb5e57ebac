"""Retake the README screenshots (docs/screenshots/*.png) from the demo city.

    .venv/bin/python tools/screenshots.py                 # every image, into docs/screenshots/
    .venv/bin/python tools/screenshots.py --out /tmp/s    # somewhere else
    .venv/bin/python tools/screenshots.py --seeded DIR    # seed DIR once, keep it; reruns that day reuse it

Seeds the demo city into a fresh temporary ``JARING_HOME`` (SQLite: ``DATABASE_URL`` is ignored) with
``jaring demo --no-serve``, runs ``jaring dedup_scan``, serves it with ``jaring serve`` on a free port
with two-step verification off (``JARING_2FA_REQUIRED_ROLES=``), drives Debian's Chromium through
Playwright, then stops that server and removes the home. With ``--seeded DIR`` the seeded (not yet
shot) city is kept in DIR and each run works on a copy of it. The demo is seeded "today", so the
numbers follow the date it runs on. Viewport shots only (desktop 1280×900, the payer's invoices at 1366×768,
phones 360×740 at 2× pixels), so each PNG stays small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JARING = ROOT / ".venv" / "bin" / "jaring"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "pekerja-rentan-sorong"  # noqa: S105 - the demo's published password (jaring.demo.DEMO_PASSWORD)
FACILITATOR = "pendamping.remuutara"  # Remu Utara and Remu
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID"}
OFFICE = {"viewport": {"width": 1366, "height": 768}, "locale": "id-ID"}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "id-ID"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own local server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def digits(text: str) -> int:
    return int(re.sub(r"\D", "", text))


class Shots:
    def __init__(self, browser: Any, base: str, out: Path) -> None:
        self.browser, self.base, self.out = browser, base, out

    def session(self, username: str, options: dict[str, Any]) -> Any:
        page = self.browser.new_context(**options).new_page()
        page.goto(f"{self.base}/masuk/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def save(self, page: Any, name: str, *, height: int | None = None, fit: bool = False) -> None:
        """The viewport; or the page's top ``height`` pixels (never more than the page); or, with ``fit``,
        the viewport cut below the page's content (a short page without its empty half)."""
        path = self.out / f"{name}.png"
        if fit:
            bottom = page.evaluate("Math.max(...[...document.body.children].map("
                                   "e => e.getBoundingClientRect().bottom))")
            height = min(int(bottom) + 24, page.viewport_size["height"])
        if height is None:
            page.screenshot(path=str(path))
        else:
            tall = page.evaluate("document.documentElement.scrollHeight")
            width = page.viewport_size["width"]
            page.screenshot(path=str(path), full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": min(height, tall)})
        wide = page.evaluate("document.documentElement.scrollWidth")
        note = f"  (page is {wide}px wide: overflow)" if wide > page.viewport_size["width"] else ""
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"  {shown}: {path.stat().st_size // 1024} KB{note}")

    def top_at(self, page: Any, selector: str) -> None:
        page.locator(selector).first.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 8)")


def people(home: Path) -> dict[str, int]:
    """Who to show, read from the demo database: a worker in the facilitator's area not yet
    enrolled, and a self-payer there whose last months mix on-time, late and unpaid months."""
    os.environ["JARING_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
    import django

    django.setup()
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from jaring.accounts.models import User
    from jaring.contributions.models import Due
    from jaring.membership.models import Membership
    from jaring.registry.models import Person

    today = timezone.localdate()
    codes = [a.region.code for a in User.objects.get(username=FACILITATOR).areas.select_related("region")]
    area = Person.objects.filter(kelurahan__code__in=codes, death_date__isnull=True)
    worker = (area.filter(occupation__isnull=False, phone__gt="",
                          birth_date__lte=today.replace(year=today.year - 25),
                          birth_date__gt=today.replace(year=today.year - 50))
              .exclude(Exists(Membership.objects.filter(person=OuterRef("pk")))).order_by("full_name").first())
    best: tuple[tuple[int, ...], int] | None = None
    for membership in (Membership.objects.filter(person__in=area, payer__code="MANDIRI", status="active")
                       .order_by("pk")):
        dues = list(Due.objects.filter(membership=membership).exclude(status="void"))
        on_time = sum(1 for d in dues if d.paid_on and d.paid_on <= d.due_date)
        late = sum(1 for d in dues if d.paid_on and d.paid_on > d.due_date)
        gap = sum(1 for d in dues if not d.paid_on and d.due_date < today)
        score = (min(on_time, 1) + min(gap, 1), min(late, 1), on_time + late)
        if best is None or score > best[0]:
            best = (score, membership.person_id)
    assert worker is not None and best is not None, "the demo city has nobody to show"
    member = Person.objects.get(pk=best[1])
    return {"worker": worker.pk, "member": best[1], "household": member.household_id or 0}


def take(shots: Shots, who: dict[str, int]) -> None:
    base = shots.base
    # The office at a desktop.
    operator = shots.session("operator", DESKTOP)
    shots.save(operator, "home", fit=True)
    operator.goto(f"{base}/orang/{who['member']}/")
    shots.save(operator, "person", height=1100)
    operator.goto(f"{base}/wadah/APBD-KOTA/")
    shots.save(operator, "payer")
    operator.goto(f"{base}/duplikat/")
    operator.click("text=Bandingkan →")
    operator.wait_for_url("**/duplikat/*/**")
    shots.top_at(operator, "h2:has-text('Bukti')")  # the evidence with its weights, then the NIK digits
    shots.save(operator, "duplicate")
    operator.goto(f"{base}/sasaran/putaran/baru/")
    operator.select_option("select[name=payer]", "APBD-KOTA")
    operator.fill("input[name=budget_idr]", "500000000")
    operator.click("button:has-text('Pratinjau')")
    operator.click("button:has-text('Siapkan putaran untuk disetujui')")
    operator.wait_for_url("**/sasaran/putaran/*/")
    shots.save(operator, "allocation-round")
    round_url = operator.url
    operator.context.close()

    admin = shots.session("admin", DESKTOP)
    # The admin approving that round: what will happen, with figures, before anything does.
    admin.goto(round_url)
    admin.click("button:has-text('Setujui dan buat kepesertaan draf')")
    admin.locator("textarea[name=comment]").wait_for()
    admin.fill("textarea[name=comment]", "Sesuai rapat anggaran 2 Desember.")
    shots.save(admin, "approve-confirm")
    admin.goto(f"{base}/dasbor/")
    shots.save(admin, "dashboard")
    admin.goto(f"{base}/impor/")
    shots.save(admin, "import", fit=True)
    admin.goto(f"{base}/laporan/klaim/")
    shots.save(admin, "claims-report")
    admin.context.close()

    # A facilitator's phone.
    phone = shots.session(FACILITATOR, PHONE)
    phone.goto(f"{base}/orang/?q=ma")
    shots.save(phone, "phone-search")
    phone.goto(f"{base}/risiko/")
    shots.top_at(phone, "nav.subnav")
    shots.save(phone, "phone-at-risk")
    phone.goto(f"{base}/dasbor/")
    shots.save(phone, "phone-dashboard")
    phone.goto(f"{base}/simulasi/")
    shots.save(phone, "phone-simulation")
    phone.goto(f"{base}/orang/{who['worker']}/daftar/")
    phone.select_option("#id_declared_income_idr", index=1)
    shots.top_at(phone, "main h1")
    shots.save(phone, "phone-enrol")
    phone.goto(f"{base}/risiko/?kelompok=self&bulan=2")
    owed = digits(phone.locator("table.list tbody tr td[data-label='Tunggakan']").first.inner_text())
    phone.locator("table.list tbody tr td:first-child a").first.click()
    phone.click("section.membership-panel a:has-text('Catat pembayaran')")
    phone.fill("#id_amount_idr", str(owed))
    phone.fill("#id_reference", "ALFA-2612-0007")
    phone.click("button:has-text('Periksa')")
    phone.locator("section.payment-preview").wait_for()
    shots.top_at(phone, "main h1")
    shots.save(phone, "phone-payment-check")
    phone.goto(f"{base}/kerja/")
    shots.top_at(phone, "main h1")
    shots.save(phone, "phone-worklist")
    if who["household"]:  # a household's members step: relationships, add a registered or a new member
        phone.goto(f"{base}/keluarga/{who['household']}/anggota/")
        shots.save(phone, "phone-household")
    claim_page(shots, phone)
    # The offline field app once it holds the area, then a person saved without signal, waiting in the outbox.
    phone.goto(f"{base}/lapangan/")
    phone.evaluate("window.jaringField.ready")  # the first sync has fetched the area
    phone.locator("#person-list li button").first.wait_for()
    phone.context.set_offline(True)
    phone.locator("#net[data-state=offline]").wait_for()
    phone.click("[data-tab=person]")
    form = "#f-person"
    phone.fill(f"{form} [name=nik]", "9271015403920417")
    phone.fill(f"{form} [name=full_name]", "Yohana Kambu")
    phone.fill(f"{form} [name=birth_date]", "1992-03-14")
    phone.select_option(f"{form} [name=sex]", "F")
    phone.fill(f"{form} [name=phone]", "081344556677")
    phone.select_option(f"{form} [name=kelurahan_code]", index=1)
    phone.click(f"{form} button[type=submit]")
    phone.wait_for_function("() => document.querySelector('#pending-badge').textContent === '1 menunggu dikirim'")
    phone.evaluate("window.scrollTo(0, 0)")
    phone.mouse.move(0, 0)  # no hovered tab, and the tabs' colour transitions over
    phone.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    shots.save(phone, "phone-field-app")
    phone.context.close()  # offline: the person never leaves the phone

    # The province's quarter: issued, then part of it paid by SP2D (1366 px, an office screen).
    office = shots.session("operator", OFFICE)
    office.goto(f"{base}/wadah/APBD-PROV/")
    month = dt.date.fromisoformat(office.input_value("#id_period") + "-01")
    while (month.month - 1) % 3:
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    office.fill("#id_period", f"{month:%Y-%m}")
    office.select_option("#id_months", "3")
    office.click("button:has-text('Terbitkan tagihan')")
    office.wait_for_url("**#tagihan-*")
    card = office.locator("article.invoice").first
    total = digits(card.locator("dt:has-text('Total') + dd").inner_text())
    card.locator("summary").click()
    card.locator("input[name$=reference]").fill(f"SP2D/PROV/{month:%Y%m}-1")
    card.locator("input[name$=amount_idr]").fill(str(total * 2 // 3))
    card.locator("button:has-text('Catat pembayaran')").click()
    office.click("button:has-text('Ya, catat pembayaran')")  # the figures first, then the payment
    office.wait_for_url("**/wadah/APBD-PROV/**")
    office.locator("article.invoice .badge:has-text('Dibayar sebagian')").first.wait_for()
    shots.top_at(office, "#issue-title")  # the issue form, then the invoice just paid in part
    shots.save(office, "payer-invoices")
    office.context.close()


def claim_page(shots: Shots, phone: Any) -> None:
    """The open claim with the nearest deadline in the facilitator's area (the office's, on the same
    phone, if their area has none): its coverage, deadlines and first documents."""
    row = "table.list tbody tr:has(td[data-label='Batas berikutnya'] span) td:first-child a"
    page = phone
    page.goto(f"{shots.base}/klaim/")
    if not page.locator(row).count():
        page = shots.session("operator", PHONE)
        page.goto(f"{shots.base}/klaim/")
    page.locator(row).first.click()
    page.wait_for_url("**/klaim/*/")
    shots.top_at(page, "#coverage-title")
    shots.save(page, "phone-claim")
    if page is not phone:
        page.context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--persons", type=int, default=25_000)
    parser.add_argument("--seeded", type=Path, help="keep the seeded city here (seeded on the first run) and "
                        "work on a copy of it")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="jaring-shots-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JARING_2FA_REQUIRED_ROLES="", PORT=str(port))
    server, log = None, None
    try:
        seeded = options.seeded or home
        if not (seeded / "jaring.sqlite3").exists():
            print(f"Seeding the demo city in {seeded} …")
            seeded.mkdir(parents=True, exist_ok=True)
            for argv in ([str(JARING), "demo", "--no-serve", "--persons", str(options.persons)],
                         [str(JARING), "dedup_scan"]):
                subprocess.run(argv, env={**env, "JARING_HOME": str(seeded)}, check=True,  # noqa: S603 - no shell
                               stdout=subprocess.DEVNULL)
        if seeded != home:
            shutil.copytree(seeded, home, dirs_exist_ok=True)
        env["JARING_HOME"] = str(home)
        log = (home / "serve.log").open("w")
        server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [str(JARING), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/masuk/")
        who = people(home)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                take(Shots(browser, base, options.out), who)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if log is not None:
            log.close()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
