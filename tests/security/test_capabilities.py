"""One rulebook: every route declares its capability, every role gets exactly what the table
says, the web and the API agree, and every page that shows persons' data audits the read.

The walk covers every URL pattern of the project (web and ``/api/v1/``) for every persona.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import CITY, REMU
from jaring.accounts.capabilities import CAPABILITIES, can, capability_for
from jaring.accounts.drf import view_capability

ROLES = ("admin_sorong", "operator_sorong", "facilitator_remu", "facilitator_klawasi", "liaison", "auditor")
# Routes open to anyone or handled by Django itself: the login flow, the language switch, the site
# icon, the Django admin (read-only, superusers only) and the API's own schema pages.
EXEMPT = {"login", "logout", "login_otp", "otp_enrol", "password_reset_confirm", "password_reset", "set_language",
          "favicon", "api-schema", "api-docs", "healthz", "readyz"}
NAME = "Yuliana Tapilatu"
PHONE = "081298765432"


def _routes() -> list[tuple[str, str, Any]]:
    """(url name, route regex with placeholders, callback) for every named pattern."""
    found: list[tuple[str, str, Any]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


def _capabilities(callback: Any) -> dict[str, str | None]:
    """Method → capability of a route's view (function views: GET and POST)."""
    cls = getattr(callback, "cls", None)
    if cls is not None:
        methods = [m.upper() for m in ("get", "post", "patch", "put", "delete") if hasattr(cls, m)]
        return {m: view_capability(cls, m) for m in methods}
    declared = getattr(callback, "capability", None)
    if declared is None:
        return {"*": None}
    return {"GET": capability_for(declared, "GET"), "POST": capability_for(declared, "POST")}


def test_every_route_declares_a_capability() -> None:
    missing = []
    for name, route, callback in _routes():
        if name in EXEMPT:
            continue
        for method, capability in _capabilities(callback).items():
            if capability is None or capability not in CAPABILITIES:
                missing.append(f"{name} {method} ({route})")
    assert not missing, f"routes without a known capability: {missing}"


def test_no_inline_role_checks_outside_the_table() -> None:
    """Views, services and templates ask ``can``; none compares roles itself."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "jaring"
    allowed = {"accounts/capabilities.py", "accounts/models.py", "accounts/services.py", "accounts/selectors.py",
               "accounts/backends.py", "accounts/middleware.py", "accounts/views.py", "accounts/otp.py",
               "demo.py", "reports/services.py", "reports/selectors.py"}
    pattern = re.compile(r"\.role\s*(==|!=|in\b|not in\b)")
    offenders = []
    for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
        rel = path.relative_to(root).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "role compared outside accounts.capabilities:\n" + "\n".join(offenders)


@pytest.fixture
def world(personas: dict[str, Any], register_person: Any) -> dict[str, Any]:
    from jaring.membership.services import membership_enrol, payer_create
    from jaring.targeting.services import policy_create

    person = register_person(full_name=NAME, birth_date=dt.date(1988, 4, 2), phone=PHONE, kelurahan=REMU)
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI", name="Mandiri", kind="self",
                         region_code=CITY)
    membership = membership_enrol(actor=personas["operator_sorong"], person=person, payer=payer,
                                  programs=["jkk", "jkm"], declared_income_idr=1_000_000,
                                  start_date=dt.date(2026, 1, 1), kpj="26000000077")
    policy = policy_create(actor=personas["admin_sorong"], code="inpres", name="Inpres", max_decile=4,
                           min_age=18, max_age=64)
    from django.utils import timezone

    from jaring.claims.services import claim_open

    claim = claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                       event_date=timezone.localdate() - dt.timedelta(days=1))
    return {"claim_id": claim.pk,
            "person_id": person.pk, "household_id": person.household_id or 999999, "membership_id": membership.pk,
            "policy_id": policy.pk, "code": payer.code, "candidate_id": 999999, "merge_id": 999999, "job_id": 999999,
            "round_id": 999999, "invoice_id": 999999, "action": "cancel",
            "user_id": personas["facilitator_remu"].pk}


def _path(route: str, world: dict[str, Any]) -> str | None:
    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in world:
            raise KeyError(name)
        return str(world[name])

    try:
        path = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    except KeyError:
        return None
    if not path.startswith("/"):
        path = "/" + path
    return path


def _walk(world: dict[str, Any]) -> list[tuple[str, str, Any, str]]:
    """Every non-exempt route that the world's ids can fill: (name, route, callback, path)."""
    walked = []
    for name, route, callback in _routes():
        path = _path(route, world) if name not in EXEMPT else None
        if path is not None:
            walked.append((name, route, callback, path))
    return walked


def _requests(name: str, route: str, callback: Any) -> list[tuple[str, str]]:
    """(method, capability) pairs to try for a route."""
    caps = _capabilities(callback)
    if getattr(callback, "cls", None) is None and "POST" not in _source(callback):
        caps.pop("POST", None)
    return [(m, c) for m, c in caps.items() if c]


def _source(callback: Any) -> str:
    import inspect

    try:
        return inspect.getsource(getattr(callback, "__wrapped__", callback))
    except (OSError, TypeError):
        return ""


@pytest.mark.parametrize("username", ROLES)
def test_each_role_gets_what_the_table_says(client: Any, api_client_for: Any, personas: dict[str, Any],
                                            world: dict[str, Any], username: str) -> None:
    user = personas[username]
    client.force_login(user)
    api = api_client_for(username)
    wrong = []
    for name, route, callback, path in _walk(world):
        is_api = path.startswith("/api/")
        for method, capability in _requests(name, route, callback):
            if method not in ("GET", "POST"):
                continue
            agent = api if is_api else client
            response = agent.get(path) if method == "GET" else agent.post(path, {}, format="json") \
                if is_api else client.post(path, {})
            allowed = can(user, capability)
            if response.status_code >= 500 or (response.status_code == 403) == allowed:
                wrong.append(f"{method} {path} [{capability}] → {response.status_code} (may: {allowed})")
    assert not wrong, f"{username}:\n" + "\n".join(wrong)


# The same resource on the web and in the API: every role gets the same answer from both.
PAIRS = [
    ("/orang/", "/api/v1/persons/"),
    ("/orang/{person_id}/", "/api/v1/persons/{person_id}/"),
    ("/wadah/", "/api/v1/payers/"),
    ("/dasbor/", "/api/v1/dashboard/"),
    ("/sasaran/kebijakan/", "/api/v1/targeting/policies/"),
    ("/sasaran/kebijakan/{policy_id}/", "/api/v1/targeting/policies/{policy_id}/"),
    ("/sasaran/", "/api/v1/targeting/rounds/"),
    ("/pengguna/", "/api/v1/users/"),
    ("/pengguna/{user_id}/", "/api/v1/users/{user_id}/"),
]


@pytest.mark.parametrize("username", ROLES)
def test_web_and_api_agree(client: Any, api_client_for: Any, personas: dict[str, Any], world: dict[str, Any],
                           username: str) -> None:
    client.force_login(personas[username])
    api = api_client_for(username)
    for web, endpoint in PAIRS:
        web_status = client.get(web.format(**world)).status_code
        api_status = api.get(endpoint.format(**world)).status_code
        assert (web_status == 200) == (api_status == 200), (username, web, web_status, endpoint, api_status)
        assert web_status in (200, 403, 404) and api_status in (200, 403, 404), (web_status, api_status)


def test_every_route_showing_persons_audits_the_auditors_read(client: Any, api_client_for: Any,
                                                              personas: dict[str, Any], world: dict[str, Any]) -> None:
    """A route whose answer to the auditor contains a person's name or phone is marked as
    showing personal data, and the auditor's read of it left an event."""
    from jaring.core.models import AuditEvent

    auditor = personas["auditor"]
    client.force_login(auditor)
    api = api_client_for("auditor")
    unmarked, unlogged = [], []
    for name, _route, callback, path in _walk(world):
        caps = _capabilities(callback)
        if not can(auditor, caps.get("GET") or "session"):
            continue
        before = AuditEvent.objects.count()
        response = (api if path.startswith("/api/") else client).get(path)
        if response.status_code != 200:
            continue
        body = b"".join(response.streaming_content) if response.streaming else response.content
        shows_person = NAME.encode() in body or PHONE.encode() in body
        cls = getattr(callback, "cls", None)
        marked = bool(getattr(cls, "audit_action", "") if cls is not None else getattr(callback, "personal_data", ""))
        if shows_person and not marked:
            unmarked.append(f"{name} {path}")
        if marked and AuditEvent.objects.count() == before:
            unlogged.append(f"{name} {path}")
    assert not unmarked, f"routes show persons' data without @personal_data / PersonalDataMixin: {unmarked}"
    assert not unlogged, f"the auditor's read left no event: {unlogged}"


def test_a_nik_search_is_kept_as_a_blind_index(client: Any, api_client_for: Any, personas: dict[str, Any],
                                               world: dict[str, Any]) -> None:
    from jaring.core.models import AuditEvent
    from jaring.registry.models import Person

    nik = Person.objects.get(pk=world["person_id"]).nik
    client.force_login(personas["auditor"])
    assert client.get("/orang/", {"q": nik}).status_code == 200
    assert api_client_for("auditor").get("/api/v1/persons/", {"q": nik}).status_code == 200
    assert client.get("/orang/", {"q": f"{nik[:6]} {nik[6:12]} {nik[12:]}"}).status_code == 200
    events = list(AuditEvent.objects.filter(actor=personas["auditor"], action="person.list"))
    assert len(events) == 3
    for event in events:
        text = repr(event.after)
        assert nik not in text and nik[:12] not in text, text
        assert "bi:" in text

