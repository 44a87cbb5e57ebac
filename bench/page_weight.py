"""Page weight (issue 12, point 2): the bytes a facilitator's phone receives for each page.

Seeds the demo city (``size`` persons), builds the static files as ``jaring serve`` does, and serves
the application with waitress on a free loopback port. A facilitator (no second factor) logs in
through the login form; each page is then fetched as a browser fetches it, ``Accept-Encoding:
gzip, deflate, br``, by plain HTTP, so the figures are bytes over the wire (status line, headers
and the body as sent, compressed or not):

- *first visit*, empty cache: the page, then every stylesheet, script, icon and image it links to
  and every ``url(…)`` in those stylesheets;
- *repeat visit*, a day later with that cache: the page again (it is ``no-store``), and each asset
  whose cached copy went stale, revalidated (``If-None-Match``/``If-Modified-Since``: a 304 costs
  its headers). A fresh copy — a hashed file, immutable for a year — is not requested at all.

The baseline is the same walk against the same database with the settings before decision 0037,
set by ``override_settings``: static files under their plain names from the source folders
(WhiteNoise's ``max-age=60``, nothing compressed) and no compression middleware. Budgets
(ARCHITECTURE §8, issue 12): first visit ≤ 150 kB, repeat visit ≤ 20 kB (1 kB = 1000 bytes).
"""

from __future__ import annotations

import gzip
import http.client
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import brotli  # whitenoise[brotli]

from bench.harness import django_home, emit, progress

FIRST_VISIT_BUDGET = 150_000
REPEAT_VISIT_BUDGET = 20_000
REPEAT_AFTER_SECONDS = 24 * 3600
USER_AGENT = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Mobile Safari/537.36")
COMPRESSION_MIDDLEWARE = "jaring.core.compression.CompressionMiddleware"
BASELINE = "before decision 0037: plain static names from the source folders (max-age=60), nothing compressed"
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


# --- A browser, as far as bytes go -------------------------------------------------------------------

class Assets(HTMLParser):
    """What a browser fetches for a page: stylesheets, scripts, icons, images."""

    LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "manifest"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link" and self.LINK_RELS & set(values.get("rel", "").lower().split()) and values.get("href"):
            self.urls.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.urls.append(values["src"])

    handle_startendtag = handle_starttag


def page_assets(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    parser.close()
    return [u for u in dict.fromkeys(parser.urls) if not u.startswith("data:")]


def css_assets(css: str) -> list[str]:
    found = [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]
    return [u for u in dict.fromkeys(found) if u and not u.startswith(("data:", "#"))]


def decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    wire_bytes: int

    @property
    def text(self) -> str:
        return decoded(self.body, self.headers.get("content-encoding", "")).decode("utf-8", "replace")


@dataclass
class Cached:
    etag: str | None
    last_modified: str | None
    fresh_until: float  # seconds on the visit clock
    immutable: bool


@dataclass
class Visit:
    requests: int = 0
    bytes: int = 0
    html_bytes: int = 0
    static_bytes: int = 0
    not_modified: int = 0
    encodings: dict[str, int] = field(default_factory=dict)


class Browser:
    """Cookies and an HTTP cache; every request on its own connection, every byte received counted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.cache: dict[str, Cached] = {}
        self.clock = 0.0

    def request(self, method: str, url: str, *, body: str | None = None, headers: dict[str, str] | None = None,
                site: str = "same-origin") -> Fetched:
        sent = {"Host": f"127.0.0.1:{self.port}", "User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate, br",
                "Accept-Language": "id-ID,id;q=0.9", "Sec-Fetch-Site": site, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, url, body=body, headers=sent)
            response = connection.getresponse()
            raw = response.read()  # as sent: http.client does not undo Content-Encoding
            items = response.msg.items()
        finally:
            connection.close()
        for name, value in items:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[morsel.key] = morsel.value
                    else:
                        self.cookies.pop(morsel.key, None)
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2
        head += sum(len(f"{name}: {value}\r\n") for name, value in items)
        return Fetched(response.status, {k.lower(): v for k, v in items}, raw, head + len(raw))

    def login(self, username: str, password: str) -> None:
        page = self.request("GET", "/masuk/", site="none")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        form = urlencode({"username": username, "password": password, "next": "",
                          "csrfmiddlewaretoken": token.group(1)})
        answer = self.request("POST", "/masuk/", body=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 302 and answer.headers.get("location") == "/", (answer.status, answer.headers)

    def visit(self, url: str, *, site: str = "same-origin") -> Visit:
        """Open a page: the page itself, then what it links to, from the cache where it is fresh."""
        visit = Visit()
        page = self._get(url, visit, site=site)
        visit.html_bytes = visit.bytes
        assert page is not None and page.status == 200, (url, page and page.status)
        queue = [urljoin(url, u) for u in page_assets(page.text)]
        seen: set[str] = set()
        while queue:
            asset = queue.pop(0)
            if asset in seen or urlsplit(asset).netloc not in ("", f"127.0.0.1:{self.port}"):
                continue
            seen.add(asset)
            fetched = self._get(asset, visit)
            if fetched is not None and fetched.status == 200 and "css" in fetched.headers.get("content-type", ""):
                queue += [urljoin(asset, u) for u in css_assets(fetched.text)]
        visit.static_bytes = visit.bytes - visit.html_bytes
        return visit

    def _get(self, url: str, visit: Visit, *, site: str = "same-origin") -> Fetched | None:
        cached = self.cache.get(url)
        headers: dict[str, str] = {}
        if cached is not None:
            if cached.immutable or cached.fresh_until > self.clock:
                return None  # fresh: the browser does not ask
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        fetched = self.request("GET", url, headers=headers, site=site)
        visit.requests += 1
        visit.bytes += fetched.wire_bytes
        encoding = fetched.headers.get("content-encoding", "identity")
        visit.encodings[encoding] = visit.encodings.get(encoding, 0) + 1
        if fetched.status == 304:
            visit.not_modified += 1
            if cached is not None:
                cached.fresh_until = self.clock + _max_age(fetched.headers.get("cache-control", ""))
            return fetched
        control = fetched.headers.get("cache-control", "")
        if fetched.status == 200 and "no-store" not in control:
            self.cache[url] = Cached(etag=fetched.headers.get("etag"),
                                     last_modified=fetched.headers.get("last-modified"),
                                     fresh_until=self.clock + _max_age(control),
                                     immutable="immutable" in control)
        return fetched


def _max_age(control: str) -> float:
    if "no-cache" in control:
        return 0.0
    found = re.search(r"max-age=(\d+)", control)
    return float(found.group(1)) if found else 0.0


# --- The server and the walk -------------------------------------------------------------------------

@contextmanager
def served() -> Iterator[int]:
    """The application under waitress with ``jaring serve``'s options, on a free loopback port."""
    from django.core.handlers.wsgi import WSGIHandler
    from waitress.server import create_server

    from jaring.core.management.commands.serve import waitress_options

    server: Any = create_server(WSGIHandler(), **waitress_options(host="127.0.0.1", port=0, threads=4))
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        server.task_dispatcher.shutdown()  # let the last request finish before the socket goes
        stop.set()
        thread.join(timeout=10)
        server.close()


@dataclass
class PageFigures:
    first: Visit
    repeat: Visit
    seconds: float


def walk(pages: dict[str, str], username: str, password: str) -> dict[str, PageFigures]:
    """Each page's first visit (empty cache) and repeat visit (a day later, same cache)."""
    figures: dict[str, PageFigures] = {}
    with served() as port:
        for name, url in pages.items():
            browser = Browser(port)
            if name != "login":
                browser.login(username, password)
            started = time.perf_counter()
            site = "none" if name == "login" else "same-origin"
            first = browser.visit(url, site=site)
            browser.clock += REPEAT_AFTER_SECONDS
            repeat = browser.visit(url, site=site)
            figures[name] = PageFigures(first, repeat, time.perf_counter() - started)
    return figures


def facilitator_pages() -> tuple[dict[str, str], str]:
    """The pages a facilitator opens most, for one demo facilitator; and that facilitator's username."""
    from django.urls import reverse

    from jaring.accounts.models import Role, User
    from jaring.registry.selectors import person_queryset

    user = User.objects.filter(role=Role.FACILITATOR).order_by("username").first()
    assert user is not None, "the demo has no facilitator"
    persons = person_queryset(actor=user).order_by("pk")
    person = persons.filter(memberships__isnull=False).first() or persons.first()
    assert person is not None, "the facilitator's area has nobody"
    prefix = person.full_name.split()[0][:4]
    return {
        "login": reverse("login"),
        "home": reverse("home"),
        "person_search": reverse("registry:person_list") + "?" + urlencode({"q": prefix}),
        "person": reverse("registry:person_detail", args=[person.pk]),
        "at_risk": reverse("membership:at_risk"),
        "claims": reverse("claims:claim_list"),
        "worklist": reverse("fieldwork:worklist"),
        "field_app": reverse("offline:app"),
    }, user.username


def baseline_settings(home: str) -> dict[str, Any]:
    from django.conf import settings

    plain_root = Path(home) / "static-baseline"
    plain_root.mkdir(exist_ok=True)
    return {
        "STORAGES": {**settings.STORAGES,
                     "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        "STATIC_ROOT": str(plain_root),  # empty, as before: everything from the source folders
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        "MIDDLEWARE": [m for m in settings.MIDDLEWARE if m != COMPRESSION_MIDDLEWARE],
    }


def run(*, size: int, database_url: str | None = None) -> None:
    with django_home(database_url) as home:
        from django.db import connection
        from django.test.utils import override_settings

        from jaring.core.staticbuild import static_build
        from jaring.demo import DEMO_PASSWORD, seed_demo

        started = time.perf_counter()
        seed_demo(persons=size)
        progress(f"seeded the demo city with {size:,} persons in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        assert static_build(), "the static files were not built"
        emit("page_weight.build_static", size, time.perf_counter() - started, database=connection.vendor,
             what="collectstatic: hashed names, .gz and .br (once per change of the static files)")
        pages, username = facilitator_pages()
        connection.close()  # the server's threads open their own

        with override_settings(**baseline_settings(home)):
            before = walk(pages, username, DEMO_PASSWORD)
        after = walk(pages, username, DEMO_PASSWORD)

        worst_first = worst_repeat = 0
        for name, url in pages.items():
            new, old = after[name], before[name]
            meets = new.first.bytes <= FIRST_VISIT_BUDGET and new.repeat.bytes <= REPEAT_VISIT_BUDGET
            worst_first, worst_repeat = max(worst_first, new.first.bytes), max(worst_repeat, new.repeat.bytes)
            emit(f"page_weight.{name}", size, new.seconds, baseline_seconds=old.seconds, database=connection.vendor,
                 url=url, baseline=BASELINE,
                 first_visit_bytes=new.first.bytes, baseline_first_visit_bytes=old.first.bytes,
                 first_visit_ratio=round(new.first.bytes / old.first.bytes, 4),
                 repeat_visit_bytes=new.repeat.bytes, baseline_repeat_visit_bytes=old.repeat.bytes,
                 repeat_visit_ratio=round(new.repeat.bytes / old.repeat.bytes, 4),
                 first_visit_html_bytes=new.first.html_bytes, first_visit_static_bytes=new.first.static_bytes,
                 baseline_first_visit_html_bytes=old.first.html_bytes,
                 baseline_first_visit_static_bytes=old.first.static_bytes,
                 first_visit_requests=new.first.requests, repeat_visit_requests=new.repeat.requests,
                 baseline_first_visit_requests=old.first.requests,
                 baseline_repeat_visit_requests=old.repeat.requests,
                 encodings=new.first.encodings, baseline_encodings=old.first.encodings,
                 first_visit_budget_bytes=FIRST_VISIT_BUDGET, repeat_visit_budget_bytes=REPEAT_VISIT_BUDGET,
                 meets_budget=meets,
                 baseline_meets_budget=(old.first.bytes <= FIRST_VISIT_BUDGET
                                        and old.repeat.bytes <= REPEAT_VISIT_BUDGET))
            progress(f"{name:<14} first {new.first.bytes / 1000:6.1f} kB (was {old.first.bytes / 1000:6.1f})  "
                     f"repeat {new.repeat.bytes / 1000:5.1f} kB (was {old.repeat.bytes / 1000:5.1f})  "
                     f"{'within budget' if meets else 'OVER BUDGET'}")
        emit("page_weight", size, sum(f.seconds for f in after.values()),
             baseline_seconds=sum(f.seconds for f in before.values()), database=connection.vendor,
             pages=len(pages), worst_first_visit_bytes=worst_first, worst_repeat_visit_bytes=worst_repeat,
             baseline_worst_first_visit_bytes=max(f.first.bytes for f in before.values()),
             baseline_worst_repeat_visit_bytes=max(f.repeat.bytes for f in before.values()),
             first_visit_budget_bytes=FIRST_VISIT_BUDGET, repeat_visit_budget_bytes=REPEAT_VISIT_BUDGET,
             meets_budget=worst_first <= FIRST_VISIT_BUDGET and worst_repeat <= REPEAT_VISIT_BUDGET)
