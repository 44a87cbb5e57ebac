"""Every form, submitted unchanged, changes nothing (issue 9, point 0).

Each page with a POST form is rendered in Indonesian and in English for every role that may use
it; the form is read back the way a browser would (inputs with their values, checked boxes,
selected options) and posted unchanged. Edit forms must save nothing new; blank "new" forms must be
refused without writing. The database is compared table by table, audit and session tables aside.

A page with a POST form that is not listed in ``PAGES`` fails ``test_every_form_page_is_listed``,
so a new form cannot skip this check.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import CITY, REMU

SKIP_TABLES = {"core_auditevent", "django_session", "core_job"}
EDITORS = ("admin_sorong", "operator_sorong", "facilitator_remu")


class _FormReader(HTMLParser):
    """The fields a browser would send for each ``<form method="post">`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v or "") for k, v in attrs_list}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self._form = {"action": attrs.get("action", ""), "fields": [], "date_fields": {}}
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            value = attrs.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind == "date":
                self._form["date_fields"][name] = value
            self._form["fields"].append((name, value))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._form["fields"].append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def _read_forms(html: str) -> list[dict[str, Any]]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def _database() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in SKIP_TABLES or model._meta.proxy or not model._meta.managed:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        state[table] = sorted(model.objects.order_by().values_list(*fields), key=repr)
    return state


def _changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    """Per changed table, the columns whose values differ (by position in the model's fields)."""
    changed = {}
    for table, rows in before.items():
        if rows == after[table]:
            continue
        old = [r for r in rows if r not in after[table]]
        new = [r for r in after[table] if r not in rows]
        if len(old) == len(new) == 1:
            model = next(m for m in apps.get_models() if m._meta.db_table == table)
            names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
            changed[table] = {names[i]: (a, b) for i, (a, b) in enumerate(zip(old[0], new[0], strict=True))
                              if a != b}
        else:
            changed[table] = {"removed": old[:3], "added": new[:3]}
    return changed


@pytest.fixture
def world(personas: dict[str, Any], register_person: Any) -> dict[str, Any]:
    """One person of each kind a form edits, with every date field filled."""
    from jaring.membership.services import membership_enrol, payer_create
    from jaring.registry.services import HouseholdInput, household_create
    from jaring.registry.testing import make_kk
    from jaring.targeting.services import policy_create

    operator = personas["operator_sorong"]
    household = household_create(actor=operator, data=HouseholdInput.of(
        kk_number=make_kk(issued=dt.date(2019, 5, 2), serial=77), address="Jl. Basuki Rahmat 12",
        kelurahan=REMU, welfare_decile=2,
        decile_source="P3KE", decile_date=dt.date(2025, 6, 30), pkh_beneficiary=True))
    person = register_person(full_name="Yuliana Mobalen", birth_date=dt.date(1990, 9, 15), sex="F",
                             kk_number=household.kk_number, relationship="head",
                             consent_basis="consent", consent_date=dt.date(2026, 3, 2),
                             declared_income_idr=1_000_000)
    policy = policy_create(actor=personas["admin_sorong"], code="inpres", name="Inpres 4/2022",
                           max_decile=4, min_age=18, max_age=64, basis="Inpres 4/2022",
                           occupation_codes=["ojek_driver", "fisher"])
    payer = payer_create(actor=personas["admin_sorong"], code="MANDIRI-T", name="Mandiri",
                         kind="self", region_code=CITY)
    membership_enrol(actor=operator, person=person, payer=payer, programs=["jkk", "jkm"],
                     declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26000000001")
    return {"person": person, "household": household, "policy": policy, "payer": payer,
            "facilitator": personas["facilitator_remu"], "admin": personas["admin_sorong"]}


# url name → (how to build the path, roles that may use it, what an unchanged submit must do)
PAGES: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "registry:person_edit": (lambda w: f"/orang/{w['person'].pk}/ubah/", EDITORS, "edit"),
    "registry:household_edit": (lambda w: f"/keluarga/{w['household'].pk}/ubah/", EDITORS, "edit"),
    "targeting:policy_edit": (lambda w: f"/sasaran/kebijakan/{w['policy'].pk}/ubah/", ("admin_sorong",), "edit"),
    "registry:person_create": (lambda w: "/orang/baru/", EDITORS, "blank"),
    "registry:household_create": (lambda w: "/keluarga/baru/", EDITORS, "blank"),
    "registry:person_change_nik": (lambda w: f"/orang/{w['person'].pk}/nik/ubah/", EDITORS, "blank"),
    "registry:household_change_kk": (lambda w: f"/keluarga/{w['household'].pk}/kk/ubah/", EDITORS, "blank"),
    "registry:household_members": (lambda w: f"/keluarga/{w['household'].pk}/anggota/", EDITORS, "blank"),
    "registry:person_move": (lambda w: f"/orang/{w['person'].pk}/keluarga/", EDITORS, "blank"),
    "membership:payment_create": (lambda w: f"/orang/{w['person'].pk}/bayar/", EDITORS, "blank"),
    "membership:person_enrol": (lambda w: f"/orang/{w['person'].pk}/daftar/", EDITORS, "blank"),
    "membership:membership_end": (lambda w: f"/orang/{w['person'].pk}/akhiri/", ("admin_sorong", "operator_sorong"),
                                  "blank"),
    "claims:claim_report": (lambda w: f"/orang/{w['person'].pk}/klaim/baru/", EDITORS, "blank"),
    "user_detail": (lambda w: f"/pengguna/{w['facilitator'].pk}/", ("admin_sorong",), "edit"),
    "user_create": (lambda w: "/pengguna/baru/", ("admin_sorong",), "blank"),
    "password_change": (lambda w: "/akun/kata-sandi/", EDITORS, "blank"),
}
# Pages whose POST form is an action, not a record to edit: submitting it is meant to change data
# (create a round, a policy, a target, run a job) or only to read (login, language, simulation).
ACTIONS = {
    "login", "logout", "set_language", "simulation", "registry:import_start", "registry:duplicate_scan",
    "registry:duplicate_merge", "registry:duplicate_dismiss", "registry:merge_undo", "registry:import_cancel",
    "registry:import_confirm", "registry:import_discard",
    "registry:person_reveal_nik", "targeting:round_new", "targeting:round_action", "targeting:policy_create",
    "targeting:scenarios", "targeting:round_detail", "reports:target_set", "reports:dashboard", "target_set",
    "dashboard", "login_otp", "otp_enrol", "membership:invoice_issue", "membership:invoice_pay",
    "membership:bpjstk_exchange", "membership:bpjstk_review", "membership:payer_reactivate",
    "claims:claim_document", "claims:claim_submit", "claims:claim_settle", "claims:claim_reject",
    "claims:claim_outcome", "claims:claim_reported", "claims:claim_heir", "claims:claim_child",
    "claims:claim_scan_upload", "reports:claims", "fieldwork:event_attendee", "fieldwork:event_create",
    "fieldwork:visit_record", "users", "user_deactivate", "user_reactivate", "user_reset_link",
    "user_reset_password", "user_revoke_tokens", "user_totp_reset", "user_unlock", "account_otp_reset",
    "account_token_create", "account_token_revoke", "password_reset", "password_reset_confirm",
}


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_unchanged_submit_changes_nothing(client: Any, personas: dict[str, Any], world: dict[str, Any],
                                          url_name: str, language: str) -> None:
    from django.conf import settings

    build, roles, expect = PAGES[url_name]
    path = build(world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for username in roles:
        client.force_login(personas[username])
        page = client.get(path)
        assert page.status_code == 200, (username, path, page.status_code)
        forms = [f for f in _read_forms(page.content.decode()) if f["action"] in ("", path)]
        assert forms, f"no POST form on {path}"
        form = forms[0]
        for value in form["date_fields"].values():
            if value:
                dt.date.fromisoformat(value)  # a browser shows any other format as an empty field
        if expect == "edit":
            assert all(form["date_fields"].values()), (username, language, form["date_fields"])
        before = _database()
        response = client.post(path, dict(_group(form["fields"])))
        after = _database()
        assert response.status_code in (200, 302), (username, language, response.status_code)
        assert before == after, (username, language, _changes(before, after))
        if expect == "edit":
            assert response.status_code == 302, (username, language, _form_errors(response))


def _group(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


def _form_errors(response: Any) -> Any:
    form = (response.context or {}).get("form")
    return form.errors if form is not None else response.content[:500]


def _post_form_url_names() -> set[str]:
    """Every URL name in the project whose view renders or accepts a POST form (by its template
    or its code mentioning ``request.method == "POST"``)."""
    import inspect

    names = set()

    def walk(patterns: list[Any], namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin",) or str(pattern.pattern).startswith("api/"):
                    continue
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                callback = getattr(pattern.callback, "__wrapped__", pattern.callback)
                try:
                    source = inspect.getsource(callback)
                except (OSError, TypeError):
                    source = ""
                if "POST" in source or "Form(" in source:
                    names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_form_page_is_listed() -> None:
    unlisted = _post_form_url_names() - set(PAGES) - ACTIONS
    assert not unlisted, f"pages with a POST form missing from this test: {sorted(unlisted)}"
