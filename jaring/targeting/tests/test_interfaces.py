"""Pages, API and CLI of targeting; who may see what; bounded query counts; the demo city."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jaring.core.money import add_months, format_month, month_start
from jaring.membership.models import Membership
from jaring.targeting.models import AllocationEntry, AllocationRound
from jaring.targeting.selectors import RoundInput
from jaring.targeting.services import round_prepare
from jaring.targeting.tests.conftest import BUDGET, unit_cost


def _last_month() -> str:
    """A month that has begun whatever the day: protection from it would be backdated."""
    return format_month(add_months(month_start(timezone.localdate()), -1))


@pytest.fixture
def prepared(city, pool):  # type: ignore[no-untyped-def]
    pool(80)
    data = RoundInput(payer=city["payer"], policy=city["policy"], budget_idr=20 * unit_cost(city["start"], 12),
                      months=12, start=city["start"])
    return round_prepare(actor=city["operator_sorong"], data=data)


def _pages(city, allocation_round):  # type: ignore[no-untyped-def]
    person = AllocationEntry.objects.filter(round=allocation_round).order_by("rank").first().person_id
    return [reverse("targeting:round_list"), reverse("targeting:round_detail", args=[allocation_round.pk]),
            reverse("targeting:round_detail", args=[allocation_round.pk]) + "?status=waitlisted&page=2",
            reverse("targeting:policy_list"), reverse("targeting:policy_detail", args=[city["policy"].pk]),
            reverse("targeting:person_why", args=[person]) + f"?round={allocation_round.pk}",
            reverse("targeting:person_why", args=[person]),
            reverse("targeting:round_new") + f"?payer=APBD-KOTA&policy={city['policy'].pk}&budget_idr={BUDGET}"
            f"&months=12&start={format_month(city['start'])}&quota=proportional&page=2",
            reverse("targeting:scenarios") + f"?payer=APBD-KOTA&policy={city['policy'].pk}&budget_idr=5000000"
            f"&months=12&start={format_month(city['start'])}&max_decile=2"]


def test_office_pages_render_with_bounded_queries(client, city, prepared, django_assert_max_num_queries):
    for username in ("operator_sorong", "admin_sorong", "auditor"):
        client.force_login(city[username])
        for url in _pages(city, prepared):
            with django_assert_max_num_queries(30):
                response = client.get(url)
            assert response.status_code == 200, (username, url)
    client.force_login(city["admin_2"])
    html = client.get(reverse("targeting:round_detail", args=[prepared.pk])).content.decode()
    assert "Setujui" in html
    client.force_login(city["operator_sorong"])
    html = client.get(reverse("targeting:round_detail", args=[prepared.pk])).content.decode()
    assert "Setujui dan buat" not in html and "admin lain" in html


def test_round_page_query_count_does_not_grow_with_the_page(client, city, prepared, django_assert_max_num_queries):
    client.force_login(city["admin_sorong"])
    url = reverse("targeting:round_detail", args=[prepared.pk])
    with django_assert_max_num_queries(20):
        assert client.get(url + "?status=waitlisted").status_code == 200


def test_facilitators_and_liaisons_see_no_targeting(client, api_client_for, city, prepared):
    for username in ("facilitator_remu", "facilitator_klawasi", "liaison"):
        client.force_login(city[username])
        for url in _pages(city, prepared):
            assert client.get(url).status_code == 403, (username, url)
        api = api_client_for(username)
        assert api.get("/api/v1/targeting/rounds/").status_code == 403
        assert api.get(f"/api/v1/targeting/rounds/{prepared.pk}/entries/").status_code == 403
        assert api.post("/api/v1/targeting/preview/", {"payer": "APBD-KOTA", "budget_idr": BUDGET, "months": 12,
                                                       "start": format_month(city["start"])},
                        format="json").status_code == 403


def test_web_flow_prepare_then_another_admin_approves(client, city, pool):
    pool(20)
    client.force_login(city["operator_sorong"])
    form = {"payer": "APBD-KOTA", "policy": city["policy"].pk, "budget_idr": str(10 * unit_cost(city["start"], 12)),
            "months": "12", "start": format_month(city["start"]), "quota": "none"}
    preview = client.get(reverse("targeting:round_new"), form)
    assert preview.status_code == 200 and preview.context["preview"].selected == 10
    response = client.post(reverse("targeting:round_new"), form)
    allocation_round = AllocationRound.objects.get()
    assert response.status_code == 302 and allocation_round.prepared_by == city["operator_sorong"]
    approve = reverse("targeting:round_action", args=[allocation_round.pk, "approve"])
    client.post(approve, {"confirmed": "1"})
    assert AllocationRound.objects.get().status == "prepared"  # an operator cannot approve
    client.force_login(city["auditor"])
    assert client.post(reverse("targeting:round_new"), form).status_code == 403
    client.force_login(city["admin_sorong"])
    client.post(approve, {"confirmed": "1"})
    assert AllocationRound.objects.get().status == "approved"
    assert Membership.objects.filter(status="draft").count() == 10
    bad = client.get(reverse("targeting:round_new"), {**form, "months": "0"})
    assert bad.status_code == 200 and bad.context["form"].errors
    begun = client.post(reverse("targeting:round_new"), {**form, "start": _last_month()})
    assert begun.status_code == 200 and begun.context["form"].errors["start"][0].startswith("Bulan mulai")
    assert AllocationRound.objects.count() == 1


def test_admin_edits_a_policy_into_a_new_version(client, city):
    client.force_login(city["operator_sorong"])
    assert client.get(reverse("targeting:policy_create")).status_code == 403
    client.force_login(city["admin_sorong"])
    url = reverse("targeting:policy_edit", args=[city["policy"].pk])
    data = {"name": "Inpres 4/2022", "basis": "SK", "max_decile": "2", "min_age": "18", "max_age": "64",
            "w_pkh": "25"}
    response = client.post(url, data)
    assert response.status_code == 302
    from jaring.targeting.models import EligibilityPolicy

    current = EligibilityPolicy.objects.get(code="inpres", is_current=True)
    assert current.version == 2 and current.max_decile == 2 and current.weights["pkh"] == 25
    bad = client.post(url.replace(str(city["policy"].pk), str(current.pk)), {**data, "min_age": "70",
                                                                            "max_age": "18"})
    assert bad.status_code == 200 and "bertentangan" in bad.content.decode()


def test_api_preview_prepare_approve_and_error_shape(api_client_for, city, pool):
    pool(20)
    body = {"payer": "APBD-KOTA", "budget_idr": 10 * unit_cost(city["start"], 12), "months": 12,
            "start": format_month(city["start"]), "quota": "proportional"}
    operator, admin = api_client_for("operator_sorong"), api_client_for("admin_sorong")
    preview = operator.post("/api/v1/targeting/preview/", body, format="json")
    assert preview.status_code == 200
    data = preview.json()
    assert {"eligible", "selected", "waitlisted", "cost_idr", "by_distrik"} <= set(data) and data["selected"] == 10
    bad = operator.post("/api/v1/targeting/preview/", {**body, "months": 0}, format="json")
    assert bad.status_code == 400 and "months" in bad.json()["error"]["fields"]
    begun = operator.post("/api/v1/targeting/rounds/", {**body, "start": _last_month()}, format="json")
    assert begun.status_code == 400 and begun.json()["error"]["code"] == "backdated"
    assert begun.json()["error"]["fields"]["start"][0].startswith("Bulan mulai")
    created = operator.post("/api/v1/targeting/rounds/", body, format="json")
    assert created.status_code == 201
    round_id = created.json()["id"]
    assert operator.post(f"/api/v1/targeting/rounds/{round_id}/approve/").status_code == 403
    approved = admin.post(f"/api/v1/targeting/rounds/{round_id}/approve/")
    assert approved.status_code == 200 and approved.json()["enrolled"] == 10
    from rest_framework.test import APIClient

    from jaring.accounts.services import api_token_create

    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=None, user=city['admin_2'])}")
    again = second.post(f"/api/v1/targeting/rounds/{round_id}/approve/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_approved"
    entries = admin.get(f"/api/v1/targeting/rounds/{round_id}/entries/?status=enrolled&limit=5").json()
    assert entries["count"] == 10 and len(entries["results"]) == 5 and entries["results"][0]["membership"]
    policies = admin.get("/api/v1/targeting/policies/").json()
    detail = admin.get(f"/api/v1/targeting/policies/{policies[0]['id']}/").json()
    assert [c["rule"] for c in detail["rule_counts"]][:3] == ["region", "alive", "age"]
    contradiction = admin.post("/api/v1/targeting/policies/", {"code": "x", "name": "X", "min_age": 70,
                                                               "max_age": 18}, format="json")
    assert contradiction.status_code == 400 and contradiction.json()["error"]["code"] == "invalid_policy"


def test_cli_preview_json_and_approve(city, pool, capsys):
    pool(20)
    out = io.StringIO()
    call_command("allocation", "preview", "--payer", "APBD-KOTA", "--budget", str(BUDGET), "--months", "12",
                 "--start", format_month(city["start"]), "--quota", "proportional", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"eligible", "selected", "waitlisted", "cost_idr", "by_distrik"} <= set(data)
    assert data["selected"] == data["eligible"] == 60
    out = io.StringIO()
    call_command("allocation", "prepare", "--payer", "APBD-KOTA", "--budget", "2000000", "--months", "12",
                 "--start", format_month(city["start"]), "--as", "operator_sorong", "--json", stdout=out)
    round_id = json.loads(out.getvalue())["round"]
    with pytest.raises(SystemExit) as refused:
        call_command("allocation", "approve", str(round_id), "--as", "operator_sorong")
    assert refused.value.code == 5
    out = io.StringIO()
    call_command("allocation", "approve", str(round_id), "--json", stdout=out)  # the system admin
    assert json.loads(out.getvalue())["status"] == "approved"
    with pytest.raises(SystemExit) as twice:
        call_command("allocation", "approve", str(round_id))
    assert twice.value.code == 3
    assert "sudah disetujui" in capsys.readouterr().err
    with pytest.raises(SystemExit) as zero:
        call_command("allocation", "preview", "--payer", "APBD-KOTA", "--budget", str(BUDGET), "--months", "0",
                     "--start", format_month(city["start"]))
    assert zero.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit) as begun:
        call_command("allocation", "prepare", "--payer", "APBD-KOTA", "--budget", str(BUDGET), "--months", "12",
                     "--start", _last_month())
    assert begun.value.code == 2 and "Bulan mulai" in capsys.readouterr().err


def test_demo_city_preview_skips_everyone_already_covered(db):
    from jaring.accounts.services import system_user
    from jaring.demo import seed_demo
    from jaring.membership.models import Payer
    from jaring.targeting.demo import seed_demo_targeting
    from jaring.targeting.selectors import allocation_preview

    today = dt.date(2026, 11, 24)
    seed_demo(persons=600, seed=5, today=today)
    policy = seed_demo_targeting()
    assert seed_demo_targeting() == policy
    start = dt.date(2027, 1, 1)
    preview = allocation_preview(actor=system_user(), data=RoundInput(
        payer=Payer.objects.get(code="APBD-KOTA"), policy=policy, budget_idr=BUDGET, months=12, start=start))
    assert 0 < preview.eligible == preview.selected  # a small city: the budget covers everyone eligible
    chosen = {int(i) for i in preview.pool.ids}
    covered = set(Membership.objects.filter(status__in=Membership.OPEN_STATUSES).values_list("person_id", flat=True))
    assert covered and not chosen & covered
