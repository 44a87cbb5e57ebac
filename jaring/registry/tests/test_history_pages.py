"""Issue 15 point 5: the history of a person, a household, a membership and a claim on their pages,
for the roles holding ``history.read`` (the office and the auditor): who changed what, when. The
facilitator and BPJSTK's liaison get no section, and their page asks nothing of the trail."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import REMU
from jaring.core.trail import HISTORY_SIZE

pytestmark = pytest.mark.django_db

SECTION = "Riwayat perubahan"
TRAIL_LINK = "Lihat semua di jejak audit"


def page(client: Any, personas: dict[str, Any], username: str, url: str, **params: str) -> str:
    client.force_login(personas[username])
    response = client.get(url, params)
    assert response.status_code == 200, (username, url)
    return response.content.decode()


def cut(html: str, anchor: str) -> str:
    """The history section ``anchor`` of a page (its ``details``)."""
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</details>", start)]


def history_queries(queries: CaptureQueriesContext) -> list[str]:
    """SELECTs of the trail by object (the history's query), not the INSERT of an auditor's read."""
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT") and "core_auditevent" in q["sql"]
            and "object_type" in q["sql"]]


def update_phone(personas: dict[str, Any], person: Any, phone: str, actor: str = "admin_sorong") -> Any:
    from jaring.registry.services import PersonInput, person_update

    return person_update(actor=personas[actor], person=person, data=PersonInput.of(phone=phone))


@pytest.mark.parametrize(("username", "trail_link"), [("admin_sorong", True), ("operator_sorong", False),
                                                      ("auditor", True)])
def test_office_and_auditor_see_who_changed_what_on_the_person_page(client, personas, register_person, username,
                                                                    trail_link):
    person = register_person(full_name="Markus Osok", phone="081234567890")
    update_phone(personas, person, "081299998888")
    html = page(client, personas, username, person.get_absolute_url())
    section = cut(html, "riwayat-registry-person")
    assert SECTION in section
    update = section[:section.index("Didaftarkan")]  # newest first: the edit above the registration
    assert "Data diubah" in update and "admin_sorong" in update and "Nomor HP" in update
    assert "<del>081234567890</del>" in update and "<ins>081299998888</ins>" in update
    assert "operator_sorong" in section[section.index("Didaftarkan"):]  # who registered
    assert person.nik not in html and person.nik_masked in section  # the registration's NIK, masked
    assert (TRAIL_LINK in section) is trail_link
    if trail_link:
        assert f"?object_type=registry.person&amp;object_id={person.pk}" in section


def test_an_auditors_reads_are_not_history(client, personas, register_person):
    person = register_person()
    for _ in range(2):
        html = page(client, personas, "auditor", person.get_absolute_url())
    section = cut(html, "riwayat-registry-person")
    assert "person.view" not in section and section.count('id="riwayat-registry-person-') == 1


@pytest.mark.parametrize("username", ["facilitator_remu", "liaison"])
def test_facilitator_and_liaison_get_no_history_and_no_query(client, personas, payers, register_person, username):
    from jaring.claims.services import claim_open
    from jaring.membership.services import membership_enrol

    person = register_person(kk_number="9271010203150007")
    update_phone(personas, person, "081299998888")
    membership_enrol(actor=personas["operator_sorong"], person=person, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=timezone.localdate())
    claim = claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                       event_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(personas[username])
    for url in (person.get_absolute_url(), reverse("registry:household_detail", args=[person.household_id]),
                reverse("claims:claim_detail", args=[claim.pk])):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert SECTION not in html and "riwayat-" not in html and TRAIL_LINK not in html, url
        assert history_queries(queries) == [], url
    client.force_login(personas["operator_sorong"])  # the control: the office's page does ask
    with CaptureQueriesContext(connection) as queries:
        assert client.get(person.get_absolute_url()).status_code == 200
    assert len(history_queries(queries)) >= 2  # the person's own, the memberships'


def test_a_person_outside_the_area_is_still_404(client, personas, register_person):
    from jaring.claims.services import claim_open

    person = register_person(kelurahan=REMU, kk_number="9271010203150007")
    claim = claim_open(actor=personas["operator_sorong"], person=person, type="jkk",
                       event_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(personas["facilitator_klawasi"])
    for url in (person.get_absolute_url(), reverse("registry:household_detail", args=[person.household_id]),
                reverse("claims:claim_detail", args=[claim.pk])):
        response = client.get(url, {"riwayat": "semua"})
        assert response.status_code == 404, url
        assert "Markus" not in response.content.decode()


def test_newest_first_limit_and_the_longer_list(client, personas, register_person):
    person = register_person(phone="081200000000")
    for i in range(1, HISTORY_SIZE + 1):
        update_phone(personas, person, f"0812000000{i:02d}", actor="operator_sorong")
    html = page(client, personas, "operator_sorong", person.get_absolute_url())
    section = cut(html, "riwayat-registry-person")
    assert len(re.findall(r'<li id="riwayat-registry-person-\d+"', section)) == HISTORY_SIZE
    newest, older = section.index(f"<ins>0812000000{HISTORY_SIZE:02d}</ins>"), section.index("<ins>081200000001</ins>")
    assert newest < older
    assert "Didaftarkan" not in section  # the oldest event is beyond the limit
    assert 'href="?riwayat=semua#riwayat-registry-person"' in section and f"({HISTORY_SIZE}+)" in section

    full = page(client, personas, "operator_sorong", person.get_absolute_url(), riwayat="semua")
    section = cut(full, "riwayat-registry-person")
    assert len(re.findall(r'<li id="riwayat-registry-person-\d+"', section)) == HISTORY_SIZE + 1
    assert "Didaftarkan" in section and "riwayat=semua" not in section
    assert 'id="riwayat-registry-person" open' in section


def test_household_page_shows_its_changes(client, personas, register_person):
    from jaring.registry.models import Household
    from jaring.registry.services import HouseholdInput, household_update

    register_person(kk_number="9271010203150007")
    household = Household.objects.get()
    household_update(actor=personas["operator_sorong"], household=household,
                     data=HouseholdInput.of(address="Jl. Basuki Rahmat 7"))
    html = page(client, personas, "auditor", reverse("registry:household_detail", args=[household.pk]))
    section = cut(html, "riwayat-registry-household")
    assert "Data keluarga diubah" in section and "operator_sorong" in section
    assert "Alamat" in section and "<ins>Jl. Basuki Rahmat 7</ins>" in section
    assert "9271010203150007" not in html
    assert f"?object_type=registry.household&amp;object_id={household.pk}" in section


def test_membership_changes_in_the_person_pages_membership_panel(client, personas, payers, register_person):
    from jaring.membership.models import Membership
    from jaring.membership.services import membership_end, membership_enrol

    person = register_person()
    membership_enrol(actor=personas["operator_sorong"], person=person, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=timezone.localdate())
    membership = Membership.objects.get(person=person)
    membership_end(actor=personas["admin_sorong"], membership=membership, reason="moved",
                   ended_on=timezone.localdate())
    html = page(client, personas, "admin_sorong", person.get_absolute_url())
    section = cut(html, "riwayat-membership-membership")
    assert "Riwayat perubahan kepesertaan" in section
    assert section.index("Kepesertaan diakhiri") < section.index("Didaftarkan sebagai peserta")
    assert "admin_sorong" in section and "operator_sorong" in section
    assert f"?object_type=membership.membership&amp;object_id={membership.pk}" in section
    # The person's own history is its own section, without the membership's events.
    own = cut(html, "riwayat-registry-person")
    assert "Kepesertaan diakhiri" not in own


def test_claim_page_shows_its_steps(client, personas, register_person):
    from jaring.claims.services import claim_open, claim_outcome

    person = register_person()
    claim = claim_open(actor=personas["facilitator_remu"], person=person, type="jkk",
                       event_date=timezone.localdate() - dt.timedelta(days=3))
    claim_outcome(actor=personas["operator_sorong"], claim=claim, outcome="recovered",
                  outcome_date=timezone.localdate() - dt.timedelta(days=1))
    for username in ("operator_sorong", "auditor"):
        html = page(client, personas, username, reverse("claims:claim_detail", args=[claim.pk]))
        section = cut(html, "riwayat-claims-claim")
        assert section.index("Akibat kejadian dicatat") < section.index("Klaim dilaporkan")
        assert "facilitator_remu" in section and "operator_sorong" in section
        assert ("<ins>recovered</ins>" in section), username
