"""Approving a round is confirmed after a page of figures, with an optional comment kept in the
audit event (issue 14, point 3); maker-checker stays."""

from typing import Any

import pytest
from django.urls import reverse

from jaring.core.models import AuditEvent
from jaring.membership.models import Membership
from jaring.targeting.models import AllocationRound
from jaring.targeting.selectors import RoundInput
from jaring.targeting.services import round_approve, round_prepare
from jaring.targeting.tests.conftest import BUDGET, unit_cost

HOSTILE = "<script>alert(1)</script>\x00\x1b[31m\u2028" + "é" * 10_000


@pytest.fixture
def prepared(city: dict[str, Any], pool: Any) -> AllocationRound:
    pool(10)
    data = RoundInput(payer=city["payer"], policy=city["policy"], budget_idr=8 * unit_cost(city["start"], 12),
                      months=12, start=city["start"])
    return round_prepare(actor=city["operator_sorong"], data=data)


def _url(allocation_round: AllocationRound) -> str:
    return reverse("targeting:round_action", args=[allocation_round.pk, "approve"])


def test_the_first_post_and_a_get_show_the_figures_and_change_nothing(client, city, prepared):
    client.force_login(city["admin_sorong"])
    cost = prepared.cost_idr
    for response in (client.get(_url(prepared)), client.post(_url(prepared), {"comment": "lihat dulu"})):
        assert response.status_code == 200
        page = response.content.decode()
        assert "8 kepesertaan" in page and 'name="confirmed" value="1"' in page
        assert "Komentar (opsional)" in page and "Anggaran tersisa tahun" in page
        assert f"Rp{cost:,}".replace(",", ".") in page
        left = BUDGET - cost
        assert f"Rp{left:,}".replace(",", ".") in page
    assert "lihat dulu</textarea>" in page
    assert AllocationRound.objects.get().status == "prepared"
    assert not Membership.objects.exists() and not AuditEvent.objects.filter(action="targeting.round_approve").exists()


def test_a_confirmed_post_approves_and_keeps_the_comment(client, city, prepared):
    client.force_login(city["admin_sorong"])
    response = client.post(_url(prepared), {"confirmed": "1", "comment": "  Sesuai DPA 2027,\n nota dinas 12  "})
    assert response.status_code == 302
    assert AllocationRound.objects.get().status == "approved"
    assert Membership.objects.filter(status="draft").count() == 8
    event = AuditEvent.objects.get(action="targeting.round_approve")
    assert event.after["comment"] == "Sesuai DPA 2027, nota dinas 12" and event.after["enrolled"] == 8
    page = client.get(reverse("targeting:round_detail", args=[prepared.pk])).content.decode()
    assert "Sesuai DPA 2027, nota dinas 12" in page


def test_no_comment_adds_no_key(city, prepared):
    round_approve(actor=city["admin_sorong"], allocation_round=prepared)
    assert "comment" not in AuditEvent.objects.get(action="targeting.round_approve").after


def test_a_hostile_comment_is_cleaned_and_escaped(client, city, prepared):
    client.force_login(city["admin_sorong"])
    shown = client.post(_url(prepared), {"comment": HOSTILE})
    assert shown.status_code == 200 and "<script>alert" not in shown.content.decode()
    assert client.post(_url(prepared), {"confirmed": "1", "comment": HOSTILE}).status_code == 302
    comment = AuditEvent.objects.get(action="targeting.round_approve").after["comment"]
    assert len(comment) == 500 and comment.startswith("<script>alert(1)</script> [31m é")
    assert not any(ord(ch) < 32 for ch in comment)
    page = client.get(reverse("targeting:round_detail", args=[prepared.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_maker_checker_stays(client, city, prepared):
    client.force_login(city["operator_sorong"])  # the maker: an operator, and the one who prepared it
    page = client.get(_url(prepared)).content.decode()
    assert 'name="confirmed"' not in page and "Hanya admin yang dapat menyetujui" in page
    client.post(_url(prepared), {"confirmed": "1", "comment": "saya sendiri"})
    assert AllocationRound.objects.get().status == "prepared"


def test_the_admin_who_prepared_cannot_approve_their_own_round(client, city, pool):
    pool(10)
    data = RoundInput(payer=city["payer"], policy=city["policy"], budget_idr=4 * unit_cost(city["start"], 12),
                      months=12, start=city["start"])
    mine = round_prepare(actor=city["admin_sorong"], data=data)
    client.force_login(city["admin_sorong"])
    page = client.get(_url(mine)).content.decode()
    assert 'name="confirmed"' not in page and "admin lain" in page
    client.post(_url(mine), {"confirmed": "1"})
    assert AllocationRound.objects.get().status == "prepared" and not Membership.objects.exists()
    client.force_login(city["admin_2"])
    assert client.post(_url(mine), {"confirmed": "1"}).status_code == 302
    assert AllocationRound.objects.get().status == "approved"


def test_the_cli_approval_takes_a_comment(city, prepared):
    import io

    from django.core.management import call_command

    call_command("allocation", "approve", str(prepared.pk), "--comment", " Nota dinas\x0012 ", "--json",
                 stdout=io.StringIO())
    assert AuditEvent.objects.get(action="targeting.round_approve").after["comment"] == "Nota dinas 12"
