"""Page weight (issue 12, decision 0037): compressed, hashed, long-cached static files; gzip pages.

The rest of the suite renders with plain static names from the source folders (``TESTING``); the
tests here build the static files as ``jaring serve`` does — once per session, into a temporary
``STATIC_ROOT`` — and run with the production storage and WhiteNoise settings, so a ``{% static %}``
naming a file that does not exist fails here, not in production.
"""

from __future__ import annotations

import gzip
import io
import mimetypes
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from conftest import REMU
from jaring.core.compression import compressible
from jaring.core.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[3]
FIRST_VISIT_BUDGET = 150_000  # bytes over the wire, ARCHITECTURE §8 and issue 12
REPEAT_VISIT_BUDGET = 20_000
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
YEAR_IMMUTABLE = "max-age=315360000, public, immutable"  # WhiteNoise: ten years for a hashed name
BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_SEC_FETCH_SITE": "same-origin"}


def production_static(root: Path) -> dict[str, Any]:
    """The static settings of a server (``TESTING`` off), with ``STATIC_ROOT`` in a temporary folder."""
    return {
        "STORAGES": {**settings.STORAGES, "staticfiles": {"BACKEND": "jaring.core.staticbuild.StaticStorage"}},
        "STATIC_ROOT": str(root), "WHITENOISE_USE_FINDERS": True, "WHITENOISE_AUTOREFRESH": False,
    }


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jaring.core.staticbuild import static_build

    root = tmp_path_factory.mktemp("home") / "static"
    root.mkdir()
    with override_settings(**production_static(root)):
        assert static_build()
    return root


@pytest.fixture
def served(static_root: Path) -> Iterator[Path]:
    """Production static settings for one test (the test client loads WhiteNoise on its first request)."""
    with override_settings(**production_static(static_root)):
        yield static_root


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(response: Any) -> bytes:
    raw, encoding = body(response), response.get("Content-Encoding", "")
    return bytes(brotli.decompress(raw)) if encoding == "br" else gzip.decompress(raw) if encoding == "gzip" else raw


def wire_bytes(response: Any) -> int:
    """Status line, headers and body as sent (what the phone downloads)."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + 2
    head += sum(len(f"{name}: {value}\r\n") for name, value in response.items())
    head += sum(len(f"Set-Cookie: {morsel.OutputString()}\r\n") for morsel in response.cookies.values())
    return head + len(body(response))


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link" and values.get("href") and ({"stylesheet", "icon"} & set(values.get("rel", "").split())):
            self.urls.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.urls.append(values["src"])


def assets(html: str) -> list[str]:
    links = Links()
    links.feed(html)
    return [u for u in links.urls if not u.startswith("data:")]


# --- The build ---------------------------------------------------------------------------------------

def test_a_server_builds_hashed_compressed_static_files_and_gzips_pages(tmp_path):
    """The settings a server runs with (not the tests'): manifest storage, gzip after WhiteNoise."""
    env = {k: v for k, v in os.environ.items() if k not in ("JARING_TESTING", "DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(JARING_HOME=str(tmp_path), SECRET_KEY="x" * 50, JARING_DATA_KEY=settings.JARING_DATA_KEY)
    code = ("import json; from jaring import settings as s; print(json.dumps([s.STORAGES['staticfiles']['BACKEND'], "
            "s.WHITENOISE_USE_FINDERS, s.WHITENOISE_AUTOREFRESH, s.WHITENOISE_KEEP_ONLY_HASHED_FILES, s.MIDDLEWARE]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60)
    backend, finders, autorefresh, only_hashed, middleware = __import__("json").loads(out.stdout)
    assert backend == "jaring.core.staticbuild.StaticStorage"
    assert (finders, autorefresh, only_hashed) == (True, False, True)
    whitenoise = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert middleware[whitenoise + 1] == "jaring.core.compression.CompressionMiddleware"
    assert "django.middleware.gzip.GZipMiddleware" not in middleware


def test_the_build_runs_once_per_change(served, tmp_path):
    from jaring.core.staticbuild import fingerprint_path, is_current, static_build

    static_build()  # up to date, should a static file have changed since the session's build
    assert is_current() and static_build() is False  # nothing changed: nothing done
    stamp = fingerprint_path()
    assert stamp.exists() and stamp.parent == served.parent  # beside STATIC_ROOT: WhiteNoise never serves it
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.css").write_text("p{}")
    with override_settings(STATICFILES_DIRS=[*settings.STATICFILES_DIRS, str(extra)]):
        assert not is_current()  # a new file: the next `jaring serve` builds again


def test_tests_use_plain_names_and_build_nothing():
    from jaring.core.staticbuild import static_build, uses_manifest

    assert not uses_manifest() and static_build() is False


def test_every_static_reference_in_every_template_is_in_the_build(served):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.template import engines

    tag = re.compile(r"{%\s*static\s+(.+?)\s*%}")
    # Jaring's template folders as Django finds them (the project's and each installed app's).
    folders = [Path(d) for d in engines["django"].template_dirs if Path(d).is_relative_to(ROOT / "jaring")]
    templates = sorted({t for folder in folders for t in folder.rglob("*") if t.suffix in (".html", ".js", ".txt")})
    assert len(templates) > 50
    found: dict[str, list[str]] = {}
    problems = []
    for template in templates:
        for argument in tag.findall(template.read_text()):
            literal = re.fullmatch(r"""(['"])([^'"]+)\1(?:\s+as\s+\w+)?""", argument)
            where = str(template.relative_to(ROOT))
            if literal is None:
                problems.append(f"{where}: {{% static {argument} %}} is not a literal name; list it here")
                continue
            found.setdefault(literal.group(2), []).append(where)
    for name, where in sorted(found.items()):
        try:
            url = staticfiles_storage.url(name)
        except ValueError as error:
            problems.append(f"{', '.join(where)}: {error}")
            continue
        hashed = served / url.removeprefix(settings.STATIC_URL)
        if not HASHED.search(url) or not hashed.exists():
            problems.append(f"{name}: {url} is not a hashed file in the build")
        elif compressible(mimetypes.guess_type(name)[0] or "") and not all(
                Path(f"{hashed}.{ext}").exists() for ext in ("gz", "br")):
            problems.append(f"{name}: no .gz or .br beside {url}")
    assert problems == []
    assert {"vendor/pico.min.css", "vendor/htmx.min.js", "jaring.css", "jaring.js"} <= set(found)
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("vendor/nothing.css")  # what a wrong name would do in production: a 500


def test_pages_rendered_with_the_build_find_all_their_files(served, client, personas):
    """Every file the login page, a facilitator's pages, the admin's login and the API docs link to is served."""
    pages = [("", reverse("login")), ("", "/admin/login/"), ("facilitator_remu", reverse("home")),
             ("facilitator_remu", reverse("registry:person_list")), ("auditor", "/api/v1/docs/")]
    seen = set()
    for username, url in pages:
        client.logout()
        if username:
            client.force_login(personas[username])
        page = client.get(url, **BROWSER)
        assert page.status_code == 200, url
        links = assets(decoded(page).decode())
        assert links, url
        for link in links:
            response = client.get(link, **BROWSER)
            assert response.status_code == 200, f"{url} links to {link}: {response.status_code}"
            if link.startswith(settings.STATIC_URL):
                assert HASHED.search(link) and response["Cache-Control"] == YEAR_IMMUTABLE, link
            seen.add(link)
    assert any("swagger-ui" in link for link in seen)  # drf-spectacular's sidecar files are in the build too


# --- Static files -----------------------------------------------------------------------------------

def test_static_files_are_precompressed_and_cached_for_a_year(served, client):
    from django.contrib.staticfiles.storage import staticfiles_storage

    source = (ROOT / "jaring" / "static" / "vendor" / "pico.min.css").read_bytes()
    url = staticfiles_storage.url("vendor/pico.min.css")
    assert HASHED.search(url)
    for accept, encoding in [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None)]:
        response = client.get(url, HTTP_ACCEPT_ENCODING=accept)
        assert response.status_code == 200
        assert response.get("Content-Encoding") == encoding, accept
        assert response["Cache-Control"] == YEAR_IMMUTABLE
        assert "Accept-Encoding" in response["Vary"]
        assert decoded(response) == source
        if encoding:
            assert len(body(response)) < len(source) / 4, (encoding, len(body(response)))
    assert "no-store" not in response["Cache-Control"] and "Pragma" not in response
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware is before WhiteNoise
    # Only hashed names are in the build; the plain name (which no page names once there is a build)
    # comes from the source folder, as before: uncompressed, for a minute.
    assert not (served / "vendor" / "pico.min.css").exists()
    plain = client.get("/static/vendor/pico.min.css", HTTP_ACCEPT_ENCODING="gzip, br")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert plain["Cache-Control"] == "max-age=60, public"


def test_before_the_first_build_pages_name_the_plain_files(tmp_path, client, personas, monkeypatch, caplog):
    """A server started without `jaring serve` or `jaring build-static`: slower, never broken."""
    from jaring.core.staticbuild import StaticStorage

    monkeypatch.setattr(StaticStorage, "_warned", False)
    with override_settings(**production_static(tmp_path)):
        client.force_login(personas["facilitator_remu"])
        page = client.get(reverse("home"), **BROWSER)
        assert page.status_code == 200
        links = assets(decoded(page).decode())
        assert "/static/vendor/pico.min.css" in links and "/static/jaring.js" in links
        assert all(client.get(link).status_code == 200 for link in links)
        assert client.get("/tidak-ada/").status_code == 404  # the 404 page renders too
    assert "never built" in caplog.text


# --- Pages ------------------------------------------------------------------------------------------

def test_pages_and_json_are_gzipped_when_asked(client, personas, register_person, api_client_for):
    client.force_login(personas["facilitator_remu"])
    plain = client.get(reverse("home"))
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    page = client.get(reverse("home"), **BROWSER)
    assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    assert decoded(page).decode().lstrip().lower().startswith("<!doctype html>")
    assert len(page.content) < len(plain.content) / 2
    # The security headers of decision 0021 are on the compressed page too.
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert page["Cache-Control"] == "no-store" and page["Pragma"] == "no-cache"
    # An htmx fragment is a page too.
    for _ in range(3):
        register_person(full_name="Yohanes Kalami", kelurahan=REMU)
    rows = client.get(reverse("registry:person_list") + "?q=Kalami", HTTP_HX_REQUEST="true", **BROWSER)
    assert rows["Content-Encoding"] == "gzip" and b"Kalami" in decoded(rows)
    api = api_client_for("facilitator_remu")
    answer = api.get("/api/v1/persons/", HTTP_ACCEPT_ENCODING="gzip")
    assert answer.status_code == 200 and answer["Content-Encoding"] == "gzip"
    assert b"Kalami" in decoded(answer)


def test_a_request_another_site_made_gets_the_page_uncompressed(client, personas):
    """BREACH needs the attacker's page to make the victim's browser ask for ours and to measure
    the compressed length; such requests say ``Sec-Fetch-Site: cross-site`` (or ``same-site``)."""
    client.force_login(personas["facilitator_remu"])
    for site, compressed in [("cross-site", False), ("same-site", False), ("same-origin", True), ("none", True)]:
        response = client.get(reverse("home"), HTTP_ACCEPT_ENCODING="gzip", HTTP_SEC_FETCH_SITE=site)
        assert ("Content-Encoding" in response) is compressed, site


def test_the_secrets_in_a_page_do_not_repeat_and_the_session_cookie_stays_home(client, personas):
    """The other two legs of decision 0037's BREACH reasoning: Django masks the CSRF token anew in
    every response, and the session cookie is SameSite=Lax (no cross-site subrequest carries it)."""
    login = client.get(reverse("login"), **BROWSER)
    assert login.cookies["csrftoken"]["samesite"] == "Lax"
    client.force_login(personas["facilitator_remu"])
    tokens = [re.search(r'"X-CSRFToken": "([^"]+)"', decoded(client.get(reverse("home"), **BROWSER)).decode())
              for _ in range(2)]
    assert all(tokens) and tokens[0].group(1) != tokens[1].group(1)  # type: ignore[union-attr]
    assert settings.SESSION_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_SAMESITE == "Lax"
    response = Client().post(reverse("login"), {"username": "facilitator_remu", "password": "rahasia-jaring-2026"})
    assert response.status_code == 302 and response.cookies["sessionid"]["samesite"] == "Lax"


def test_files_that_are_compressed_already_are_sent_as_they_are(client, personas):
    client.force_login(personas["operator_sorong"])
    workbook = client.get(reverse("registry:import_template"), **BROWSER)
    assert workbook.status_code == 200 and workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "Content-Encoding" not in workbook
    for kind in ("application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "application/zip", "image/png", "application/octet-stream", ""):
        assert not compressible(kind), kind
    for kind in ("text/html; charset=utf-8", "text/csv", "application/json", "application/problem+json",
                 "application/vnd.oai.openapi+json", "application/javascript", "image/svg+xml"):
        assert compressible(kind), kind


# --- The budget -------------------------------------------------------------------------------------

def test_a_facilitator_home_page_is_within_the_budget(served, client, personas):
    """First visit (empty cache) ≤ 150 kB, repeat visit ≤ 20 kB: its files are immutable for a year,
    so a repeat visit is the page alone. `python -m bench page_weight` measures it over HTTP."""
    client.force_login(personas["facilitator_remu"])
    page = client.get(reverse("home"), **BROWSER)
    files = [client.get(link, **BROWSER) for link in assets(decoded(page).decode())]
    assert len(files) >= 4 and all(f.status_code == 200 and f["Cache-Control"] == YEAR_IMMUTABLE for f in files)
    first = wire_bytes(page) + sum(wire_bytes(f) for f in files)
    assert first <= FIRST_VISIT_BUDGET, first
    assert wire_bytes(client.get(reverse("home"), **BROWSER)) <= REPEAT_VISIT_BUDGET


def test_jaring_serve_builds_the_static_files_before_serving(monkeypatch):
    from django.core.management import call_command

    calls: list[str] = []
    monkeypatch.setattr("jaring.core.staticbuild.static_build", lambda **_: calls.append("build") or True)
    monkeypatch.setattr("waitress.serve", lambda app, **options: calls.append(f"serve {options['port']}"))
    call_command("serve", port=8123, stdout=io.StringIO())
    assert calls == ["build", "serve 8123"]
