"""The dashboard page, its XLSX export and the API, per role; the query count is bounded."""

import io

import pytest
from django.urls import reverse

from conftest import PASSWORD
from jaring.core.models import AuditEvent
from jaring.reports.models import SnapshotMonth
from jaring.reports.services import snapshot_refresh

# Session, user, scope (areas, whole-region check, region ids), snapshot months, areas, four
# breakdowns, trend, households, target, three facilitator queries, an auditor's audit event, and
# the staleness check on the running month: 18 at most, whatever the number of persons and dues.
MAX_QUERIES = 18


def login(client, personas, username):  # type: ignore[no-untyped-def]
    assert client.login(username=username, password=PASSWORD)


@pytest.fixture
def refreshed(small_city, personas):  # type: ignore[no-untyped-def]
    snapshot_refresh(actor=personas["operator_sorong"], months=9, today=small_city["today"])
    return small_city


def month_param(city):  # type: ignore[no-untyped-def]
    return {"bulan": f"{city['r']:%Y-%m}"}


@pytest.mark.parametrize("username", ["admin_sorong", "operator_sorong", "facilitator_remu", "liaison", "auditor"])
def test_dashboard_renders_for_every_role(client, personas, refreshed, username, django_assert_max_num_queries):
    login(client, personas, username)
    with django_assert_max_num_queries(MAX_QUERIES - 1):  # a past month: no staleness check
        response = client.get(reverse("reports:dashboard"), month_param(refreshed))
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("chart-area", "chart-payer", "chart-occupation", "chart-sex", "chart-trend"):
        assert f'id="{chart}"' in html
    for table in ("table-area", "table-payer", "table-occupation", "table-sex", "table-trend"):
        assert f'id="{table}"' in html
    assert ('id="card-decile"' in html) == (username != "liaison")
    assert "Inpres 4/2022" not in html or username != "liaison"
    if username == "facilitator_remu":
        assert "Klawasi" not in html and "Sorong Barat" not in html and "Siti Aisyah" not in html
        assert "Remu" in html
    else:
        assert "Sorong Barat" in html and "Siti Aisyah" in html
    assert len(response.content) < 150_000


def test_query_count_does_not_grow_with_data(client, personas, refreshed, register_person,
                                             django_assert_num_queries):
    login(client, personas, "admin_sorong")
    client.get(reverse("reports:dashboard"), month_param(refreshed))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(reverse("reports:dashboard"), month_param(refreshed))
    for i in range(5):
        register_person(full_name=f"Tambahan {i}", kelurahan="96.71.05.1001" if i % 2 else "96.71.02.1001",
                        occupation=["driver", "courier", "farmer", "fisher", "other"][i])
    snapshot_refresh(actor=personas["operator_sorong"], months=9, today=refreshed["today"])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(reverse("reports:dashboard"), month_param(refreshed))


def test_opening_the_dashboard_refreshes_a_stale_running_month(client, personas, small_city, settings,
                                                              django_assert_max_num_queries):
    login(client, personas, "facilitator_remu")
    assert not SnapshotMonth.objects.exists()
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    month = SnapshotMonth.objects.get()
    assert month.refreshed_by.username == "system"
    event = AuditEvent.objects.get(action="reports.snapshot")
    assert event.after["trigger"] == "dashboard:facilitator_remu"
    with django_assert_max_num_queries(MAX_QUERIES):  # fresh: nothing refreshed again
        client.get(reverse("reports:dashboard"))
    assert AuditEvent.objects.filter(action="reports.snapshot").count() == 1
    settings.JARING_SNAPSHOT_MAX_AGE = 0
    settings.JARING_SNAPSHOT_INLINE_SECONDS = -1  # as if a refresh were too slow for a request
    client.get(reverse("reports:dashboard"))
    assert AuditEvent.objects.filter(action="reports.snapshot").count() == 1


def test_auditor_reads_are_logged(client, personas, refreshed):
    login(client, personas, "auditor")
    client.get(reverse("reports:dashboard"), month_param(refreshed))
    assert AuditEvent.objects.filter(action="dashboard.view", actor=personas["auditor"]).count() == 1


@pytest.mark.parametrize("username", ["admin_sorong", "facilitator_klawasi", "liaison"])
def test_xlsx_export_opens_and_is_audited(client, personas, refreshed, username):
    from openpyxl import load_workbook

    login(client, personas, username)
    response = client.get(reverse("reports:dashboard_xlsx"), month_param(refreshed))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dasbor-cakupan-')
    book = load_workbook(io.BytesIO(response.content))
    names = book.sheetnames
    assert names[0] == "Ringkasan" and "Pembayar" in names and "Tren 24 bulan" in names and "Pendamping" in names
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(values_only=True)}
    payers = {row[0]: row[1:] for row in book["Pembayar"].iter_rows(min_row=2, values_only=True)}
    if username == "admin_sorong":
        assert summary["Terlindungi bulan ini"] == 3 and summary["Keluarga desil 1"] == 2
        assert payers["Mandiri"][:2] == (3, 1) and payers["Jumlah"][:2] == (6, 3)
        assert "Distrik" in names
    elif username == "facilitator_klawasi":
        assert summary["Terlindungi bulan ini"] == 0 and summary["Berisiko"] == 1
        assert "Kelurahan" in names
        assert [r[0] for r in book["Kelurahan"].iter_rows(min_row=2, values_only=True)] == ["Klawasi", "Jumlah"]
    else:
        assert "Keluarga desil 1" not in summary
    event = AuditEvent.objects.get(action="reports.export")
    assert event.actor == personas[username] and event.after["poverty"] == (username != "liaison")


def test_only_an_admin_sets_the_target(client, personas, refreshed):
    login(client, personas, "operator_sorong")
    assert client.post(reverse("reports:target_set"), {"year": 2026, "workers": 10, "source": "x"}).status_code == 403
    login(client, personas, "admin_sorong")
    response = client.post(reverse("reports:target_set"), {"year": refreshed["r"].year, "workers": 12,
                                                           "source": "RPJMD"})
    assert response.status_code == 302
    page = client.get(reverse("reports:dashboard"), month_param(refreshed)).content.decode()
    assert "25,0% dari target 12" in page


def test_api_dashboard_is_scoped(api_client_for, refreshed):
    r = f"{refreshed['r']:%Y-%m}"
    admin = api_client_for("admin_sorong").get("/api/v1/dashboard/", {"period": r}).json()
    assert admin["totals"]["protected"] == 3 and admin["totals"]["members"] == 6
    assert admin["decile"]["protected_pct"] == 50.0
    assert {row["key"] for row in admin["by_area"]["rows"]} >= {"96.71.01", "96.71.03"}
    remu = api_client_for("facilitator_remu").get("/api/v1/dashboard/", {"period": r}).json()
    assert remu["totals"] == {"key": "total", "label": "Jumlah", "members": 4, "protected": 3, "at_risk": 1,
                              "lapsed": 0}
    assert remu["by_area"] == {"level": "kelurahan", "rows": [
        {"key": "96.71.01.1004", "label": "Remu", "members": 4, "protected": 3, "at_risk": 1, "lapsed": 0}]}
    assert [f["username"] for f in remu["facilitators"]] == ["facilitator_remu"]
    liaison = api_client_for("liaison").get("/api/v1/dashboard/", {"period": r}).json()
    assert liaison["decile"] is None
    bad = api_client_for("admin_sorong").get("/api/v1/dashboard/", {"period": "2026-13"})
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["period"]
    assert api_client_for("admin_sorong").get("/api/v1/dashboard/").status_code == 200
