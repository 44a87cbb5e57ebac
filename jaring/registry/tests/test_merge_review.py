"""The review screens that prevent false merges (issue 13 point 4): evidence with weights, NIK digits
as positions (never a digit), both persons' memberships and dues, a confirmation naming what moves,
undo from the web, and the old address of a merged person leading to the survivor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from jaring.core.models import AuditEvent
from jaring.registry.evidence import evidence_rows, nik_difference, nik_difference_text
from jaring.registry.models import DuplicateCandidate, Person, PersonMerge
from jaring.registry.services import person_merge

pytestmark = pytest.mark.django_db

EVIDENCE = [
    {"field": "name", "level": "close", "weight": 6.2, "similarity": 91, "people": 3},
    {"field": "nik", "level": "one_keystroke", "weight": 9.5},
    {"field": "birth_date", "level": "same", "weight": 8.0},
    {"field": "sex", "level": "same", "weight": 0.9},
    {"field": "kelurahan", "level": "differs", "weight": -2.4},
    {"field": "phone", "level": "missing", "weight": 0},
    {"field": "shoe_size", "level": "enormous", "weight": "not a number"},  # unknown: shown as written
]


def _url(name: str, *args: Any) -> str:
    return reverse(f"registry:{name}", args=args)


def _digits_of(nik: str, html: str) -> bool:
    """Whether the page holds the NIK or any run of 6+ of its digits (masks show 4 at each end)."""
    return any(nik[i:i + 6] in html for i in range(0, 11))


# --- The pure comparison ---------------------------------------------------------------------------

def test_nik_difference_names_positions_and_swaps() -> None:
    same = nik_difference("9271014405790001", "9271014405790001")
    assert same.comparable and same.positions == () and nik_difference_text(same) == "NIK sama."
    swapped = nik_difference("9271014405790001", "9271014405790010")
    assert swapped.positions == (15, 16) and swapped.swaps == ((15, 16),)
    assert nik_difference_text(swapped) == "digit ke-15 dan ke-16 berbeda; tertukar: ke-15 dan ke-16"
    birth = nik_difference("9271014405790001", "9271014405800001")
    assert birth.positions == (11, 12) and birth.groups_differing() == ["birth"] and not birth.swaps
    assert nik_difference_text(birth) == "digit ke-11 dan ke-12 berbeda"
    three = nik_difference("9271014405790001", "1271014405790012")
    assert three.positions == (1, 15, 16) and "ke-1, ke-15 dan ke-16" in nik_difference_text(three)
    assert [c.group for c in three.cells] == ["region"] * 6 + ["birth"] * 6 + ["serial"] * 4
    for bad in ("", "92710144057900", "92710144057900AB", None):
        assert not nik_difference("9271014405790001", bad).comparable  # type: ignore[arg-type]


def test_every_level_the_model_writes_has_a_label() -> None:
    from jaring.registry.dedup import LEVELS
    from jaring.registry.evidence import FIELD_LABELS, LEVEL_LABELS

    assert set(LEVELS) <= set(FIELD_LABELS)
    assert [(f, level) for f, levels in LEVELS.items() for level in levels if (f, level) not in LEVEL_LABELS] == []


def test_evidence_rows_never_crash_on_odd_input() -> None:
    rows = evidence_rows(EVIDENCE)
    assert [r.field for r in rows] == ["name", "nik", "birth_date", "sex", "kelurahan", "phone", "shoe_size"]
    assert rows[0].text == "nama hampir sama (kemiripan 91%, nama ini dipakai 3 orang)" and rows[0].signed == "+6.2"
    assert rows[4].sign == "-" and rows[4].signed == "−2.4" and rows[5].sign == "0"
    assert (rows[6].label, rows[6].text, rows[6].weight) == ("shoe_size", "enormous", None)
    junks: list[Any] = [None, "text", 5, [None, 3, "x", {}], [{"weight": float("nan")}]]
    for junk in junks:
        evidence_rows(junk)


# --- The pair page -----------------------------------------------------------------------------------

def test_pair_page_shows_weighted_evidence_nik_positions_and_both_persons_money(
        client: Any, personas: dict[str, Any], pair: dict[str, Any]) -> None:
    candidate = pair["candidate"]
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(reasons=EVIDENCE, score=97.3)
    client.force_login(personas["operator_sorong"])
    html = client.get(_url("duplicate_detail", candidate.pk)).content.decode()
    assert "Bukti" in html and "Peluang orang yang sama 97%" in html
    assert "beda satu ketikan" in html and "kelurahan berbeda" in html and "−2.4" in html and "+9.5" in html
    assert "shoe_size" in html and "enormous" in html  # unknown evidence shown as written
    assert 'class="badge badge-gap"' in html and "<meter" in html
    # The NIKs differ in the 16th digit: said as a position, no digit of either NIK on the page.
    assert "digit ke-16 berbeda" in html
    for person in (pair["kept"], pair["other"]):
        assert not _digits_of(person.nik, html)
    # Both persons' memberships and dues, side by side.
    assert "Mandiri" in html and "4 bulan ditagih, 3 lunas" in html and "Belum pernah menjadi peserta." in html
    listing = client.get(_url("duplicate_list")).content.decode()
    assert "97%" in listing and "NIK: beda satu ketikan (+9.5)" in listing


def test_pair_page_still_reads_the_old_reasons(client: Any, personas: dict[str, Any], pair: dict[str, Any]) -> None:
    candidate = pair["candidate"]
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(reasons=["tanggal lahir sama", "nama mirip 93%", "??"])
    client.force_login(personas["operator_sorong"])
    html = client.get(_url("duplicate_detail", candidate.pk)).content.decode()
    assert "tanggal lahir sama" in html and "nama mirip 93%" in html and "??" in html and "Skor" in html


# --- Merge: confirm, then merge ----------------------------------------------------------------------

def test_merge_asks_first_naming_what_moves(client: Any, personas: dict[str, Any], pair: dict[str, Any]) -> None:
    candidate, kept, other = pair["candidate"], pair["kept"], pair["other"]
    client.force_login(personas["operator_sorong"])
    confirm = client.post(_url("duplicate_merge", candidate.pk), {"keep": kept.pk})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and not Person.objects.filter(merged_into__isnull=False).exists()
    assert "Periksa sebelum menggabungkan" in html and kept.full_name in html and other.full_name in html
    assert "Nomor KPJ 26010000042 pindah" in html and "Nomor HP" in html
    for moving in ("1 kepesertaan pindah", "4 iuran bulanan (3 lunas) pindah", "1 klaim pindah", "1 kunjungan pindah",
                   "1 pesan pengingat pindah", "2 kehadiran sosialisasi pindah"):
        assert moving in html
    assert 'name="confirmed" value="1"' in html and not _digits_of(other.nik, html)

    done = client.post(_url("duplicate_merge", candidate.pk),
                       {"keep": kept.pk, "confirmed": "1", "comment": "  Dicek di lapangan  "}, follow=True)
    assert done.redirect_chain[-1][0] == _url("duplicate_list") and "bisa diurungkan" in done.content.decode()
    assert Person.objects.get(pk=other.pk).merged_into_id == kept.pk
    event = AuditEvent.objects.get(action="person.merge")
    assert event.after is not None and event.after["comment"] == "Dicek di lapangan"


def test_a_conflict_is_shown_before_and_refuses(client: Any, personas: dict[str, Any], pair: dict[str, Any],
                                                payers: dict[str, Any]) -> None:
    import datetime as dt

    from jaring.membership.services import membership_enrol

    kept, candidate = pair["kept"], pair["candidate"]
    membership_enrol(actor=personas["operator_sorong"], person=kept, payer=payers["city"], programs="JKK,JKM",
                     declared_income_idr=1_000_000, start_date=dt.date.today().replace(day=1) + dt.timedelta(days=40))
    client.force_login(personas["operator_sorong"])
    html = client.post(_url("duplicate_merge", candidate.pk), {"keep": kept.pk}).content.decode()
    assert "Tidak bisa digabung sekarang" in html and "Kedua orang punya kepesertaan aktif" in html
    assert 'name="confirmed"' not in html


# --- Undo from the web -------------------------------------------------------------------------------

def test_undo_from_the_pair_page_and_the_kept_persons_page(client: Any, personas: dict[str, Any],
                                                           pair: dict[str, Any]) -> None:
    candidate, kept, other = pair["candidate"], pair["kept"], pair["other"]
    person_merge(actor=personas["operator_sorong"], candidate=candidate, keep=kept, comment="Satu orang")
    merge = PersonMerge.objects.get()
    undo_url = _url("merge_undo", merge.pk)
    client.force_login(personas["facilitator_klawasi"])  # outside the area: nothing to see, nothing to undo
    assert client.get(undo_url).status_code == 404 and client.post(undo_url).status_code == 404
    client.force_login(personas["auditor"])
    assert client.post(undo_url).status_code == 403
    assert undo_url not in client.get(_url("duplicate_detail", candidate.pk)).content.decode()

    client.force_login(personas["operator_sorong"])
    assert undo_url in client.get(_url("duplicate_detail", candidate.pk)).content.decode()
    assert undo_url in client.get(_url("person_detail", kept.pk)).content.decode()
    page = client.get(undo_url).content.decode()
    assert "Yang dikembalikan" in page and "Satu orang" in page and 'method="post"' in page
    done = client.post(undo_url, follow=True)
    assert done.redirect_chain[-1][0] == _url("duplicate_detail", candidate.pk)
    assert "Penggabungan diurungkan" in done.content.decode()
    assert Person.objects.get(pk=other.pk).merged_into_id is None
    candidate.refresh_from_db()
    assert candidate.status == "open"
    again = client.post(undo_url, follow=True).content.decode()
    assert "sudah diurungkan" in again
    assert undo_url not in client.get(_url("person_detail", kept.pk)).content.decode()


# --- The old address of a merged person --------------------------------------------------------------

def test_old_address_of_a_merged_person_redirects_to_the_survivor(client: Any, personas: dict[str, Any],
                                                                  pair: dict[str, Any]) -> None:
    kept, other = pair["kept"], pair["other"]
    person_merge(actor=personas["operator_sorong"], candidate=pair["candidate"], keep=kept)
    client.force_login(personas["facilitator_remu"])
    response = client.get(_url("person_detail", other.pk))
    assert response.status_code == 302 and response["Location"] == _url("person_detail", kept.pk)
    followed = client.get(_url("person_detail", other.pk), follow=True).content.decode()
    assert re.search(r"Data ini sudah digabung ke\s+Soekarni Wanma", followed)
    client.force_login(personas["facilitator_klawasi"])
    assert client.get(_url("person_detail", other.pk)).status_code == 404
    assert client.get(_url("person_detail", 999_999)).status_code == 404


def test_api_answers_a_merged_person_with_302_to_the_survivor(api_client_for: Any, personas: dict[str, Any],
                                                              pair: dict[str, Any]) -> None:
    kept, other = pair["kept"], pair["other"]
    person_merge(actor=personas["operator_sorong"], candidate=pair["candidate"], keep=kept)
    api = api_client_for("operator_sorong")
    response = api.get(f"/api/v1/persons/{other.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/api/v1/persons/{kept.pk}/"
    assert response.json() == {"merged_into": kept.pk}
    assert api.get(f"/api/v1/persons/{kept.pk}/").json()["kpj"] == "26010000042"
    assert api.patch(f"/api/v1/persons/{other.pk}/", {"phone": "081211112222"}, format="json").status_code == 404
    outsider = api_client_for("facilitator_klawasi")
    assert outsider.get(f"/api/v1/persons/{other.pk}/").status_code == 404
