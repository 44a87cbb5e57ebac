"""Words people can understand (issue 14 point 5): the glossary, the words linked to it where they
appear, and the parameters page written for people with the technical view for admins only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template

from jaring.core.glossary import TERMS
from jaring.core.parameters import current_parameters

REQUIRED = ("bpu", "kpj", "wadah", "desil", "jkk", "jkm", "jht", "stmb", "pbi", "dtsen", "p3ke", "tunggakan",
            "kedaluwarsa")
DAY = "2026-06-01"


def keys_in_force() -> set[str]:
    return {row["key"] for row in current_parameters().on(dt.date(2026, 6, 1), field="on").rows()}


def login(client, personas, who):  # type: ignore[no-untyped-def]
    client.force_login(personas[who])
    return client


def test_the_glossary_explains_each_word(client, personas):  # type: ignore[no-untyped-def]
    html = login(client, personas, "facilitator_remu").get("/istilah/").content.decode()
    assert {t.key for t in TERMS} >= set(REQUIRED)
    for key in REQUIRED:
        assert f'id="{key}"' in html
    assert "Bukan Penerima Upah" in html and "Nomor kepesertaan BPJS Ketenagakerjaan" in html
    assert "Jaminan Kecelakaan Kerja" in html and "Data Tunggal Sosial dan Ekonomi Nasional" in html
    # The periods that are parameters come from the parameters in force, never a placeholder.
    assert "paling banyak 3 bulan" in html and "lebih dari 3 bulan berturut-turut" in html and "%(" not in html


def test_the_glossary_is_reachable_from_every_page(client, personas):  # type: ignore[no-untyped-def]
    html = login(client, personas, "liaison").get("/simulasi/").content.decode()
    assert 'href="/istilah/"' in html


def test_the_glossary_needs_a_session(client):  # type: ignore[no-untyped-def]
    assert client.get("/istilah/").status_code == 302


def test_term_tag_links_a_word_to_its_entry():  # type: ignore[no-untyped-def]
    html = Template('{% load glossary %}{% term "kpj" %} {% term "desil" label %} {% term "nope" bad %}').render(
        Context({"label": "Desil kesejahteraan", "bad": "<x>"}))
    assert '<a class="term" href="/istilah/#kpj" title="Nomor kepesertaan BPJS Ketenagakerjaan">KPJ</a>' in html
    assert 'href="/istilah/#desil"' in html and ">Desil kesejahteraan</a>" in html
    assert html.endswith("&lt;x&gt;")  # an unknown key: the text, escaped, no link


def test_term_links_where_the_words_first_appear(client, personas, payers, register_person):  # type: ignore[no-untyped-def]
    from jaring.membership.services import membership_enrol
    from jaring.registry.models import Household
    from jaring.registry.services import household_deciles_record

    operator = personas["operator_sorong"]
    person = register_person(kk_number="9271010203150007")
    membership_enrol(actor=operator, person=person, payer=payers["self"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=dt.date(2026, 1, 1), kpj="26010000001")
    household = Household.objects.get()
    household_deciles_record([(household.pk, 2, "DTSEN", dt.date(2025, 6, 30))], None)
    login(client, personas, "operator_sorong")
    person_page = client.get(f"/orang/{person.pk}/").content.decode()
    assert 'href="/istilah/#kpj"' in person_page and 'href="/istilah/#desil"' in person_page
    assert 'href="/istilah/#desil"' in client.get(f"/keluarga/{household.pk}/").content.decode()
    assert 'href="/istilah/#wadah"' in client.get("/wadah/").content.decode()
    simulation = client.get("/simulasi/").content.decode()
    for key in ("bpu", "jkk", "jkm", "jht", "stmb", "tunggakan", "kedaluwarsa"):
        assert f'href="/istilah/#{key}"' in simulation


@pytest.mark.parametrize("who", ["facilitator_remu", "operator_sorong", "liaison", "auditor", "admin_sorong"])
def test_the_parameters_page_speaks_to_people(client, personas, who):  # type: ignore[no-untyped-def]
    html = login(client, personas, who).get("/parameter/", {"on": DAY}).content.decode()
    keys = [k for k in keys_in_force() if "_" in k or "." in k]
    assert keys and not [k for k in keys if k in html]
    assert "<code>" not in html
    for raw in ("[CONFLICT]", "[UNVERIFIED]", "DOMAIN.md", "Local programme practice", "Secondary source"):
        assert raw not in html
    assert "belum dipastikan" in html  # the plain badge for a value still being checked
    assert "Iuran JKM per bulan" in html and "Rp6.800" in html and "Rp1.000.000 sampai Rp20.700.000" in html
    assert "sejak 1 Juli 2015" in html and "Januari 2026 sampai Maret 2027" in html  # dates written out
    assert "PP 50/2025" in html and "Permenaker 5/2021" in html  # the citations
    assert ("teknis=1" in html) == (who == "admin_sorong")  # only admins see the toggle


@pytest.mark.parametrize("who", ["facilitator_remu", "operator_sorong", "liaison", "auditor"])
def test_the_technical_view_is_not_for_others(client, personas, who):  # type: ignore[no-untyped-def]
    html = login(client, personas, who).get("/parameter/", {"on": DAY, "teknis": "1"}).content.decode()
    assert "jkm_flat_idr" not in html and "[CONFLICT]" not in html and "Rp6.800" in html


def test_the_technical_view_for_admins(client, personas):  # type: ignore[no-untyped-def]
    html = login(client, personas, "admin_sorong").get("/parameter/", {"on": DAY, "teknis": "1"}).content.decode()
    assert "<code>jkm_flat_idr</code>" in html and "[CONFLICT]" in html and "brackets_idr[]" in html
    assert "Tampilan biasa" in html
    assert re.search(r'<input type="hidden" name="teknis" value="1">', html)  # a new date keeps the view
