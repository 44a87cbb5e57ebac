"""Snapshot figures against the hand-counted small city (see conftest.py), per role."""

import datetime as dt

import pytest

from jaring.contributions.selectors import at_risk
from jaring.core.errors import PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.core.money import add_months
from jaring.reports.models import CoverageSnapshot, FacilitatorSnapshot, HouseholdSnapshot, SnapshotMonth
from jaring.reports.selectors import dashboard
from jaring.reports.services import coverage_target_set, snapshot_refresh


def figures(row):  # type: ignore[no-untyped-def]
    return (row.members, row.protected, row.at_risk, row.lapsed)


def by_key(rows):  # type: ignore[no-untyped-def]
    return {r.key: figures(r) for r in rows}


@pytest.fixture
def refreshed(small_city, personas):  # type: ignore[no-untyped-def]
    snapshot_refresh(actor=personas["operator_sorong"], months=6 + 3, today=small_city["today"])
    return small_city


def test_admin_sees_the_hand_counted_city(refreshed, personas):
    r = refreshed["r"]
    d = dashboard(actor=personas["admin_sorong"], period=r)
    # members, protected, at risk, lapsed
    assert figures(d.totals) == (6, 3, 2, 1)
    assert d.area_level == "district"
    areas = by_key(d.by_area)
    assert areas["96.71.01"] == (4, 3, 1, 0)  # Sorong: A, B, D, F
    assert areas["96.71.03"] == (2, 0, 1, 1)  # Sorong Barat: C, E
    assert areas["96.71.02"] == (0, 0, 0, 0)  # listed with zeros
    assert len(d.by_area) == 10
    assert by_key(d.by_payer) == {"self": (3, 1, 1, 1), "city": (2, 2, 0, 0), "province": (1, 0, 1, 0),
                                  "other": (0, 0, 0, 0)}
    assert by_key(d.by_sex) == {"F": (3, 2, 1, 0), "M": (3, 1, 1, 1)}
    assert by_key(d.by_occupation) == {"market_trader": (2, 1, 0, 1), "ojek_driver": (2, 1, 1, 0),
                                       "farmer": (1, 0, 1, 0), "fisher": (1, 1, 0, 0)}
    assert (d.decile.households, d.decile.protected, d.decile.pct) == (2, 1, 50.0)
    # The month before, seen from its last day: C's late payment was not yet made (at risk then, and
    # not protected then: protection, like arrears, is counted as known on the day — decision 0032);
    # E had three unpaid months, D two.
    previous = {t.period: t for t in d.trend}[add_months(r, -1)]
    assert (previous.members, previous.protected, previous.at_risk, previous.lapsed) == (6, 3, 3, 0)
    assert [t.present for t in d.trend][-6:] == [True] * 6
    assert not d.trend[0].present


def test_at_risk_agrees_with_the_contributions_selector(refreshed, personas):
    d = dashboard(actor=personas["admin_sorong"], period=refreshed["r"])
    live = at_risk(actor=personas["admin_sorong"], today=refreshed["today"])
    assert d.totals.at_risk == len(live) == 2


def test_facilitators_see_their_kelurahan_only(refreshed, personas):
    r = refreshed["r"]
    remu = dashboard(actor=personas["facilitator_remu"], period=r)
    assert remu.area_level == "kelurahan"
    assert figures(remu.totals) == (4, 3, 1, 0)
    assert [(a.key, a.label) for a in remu.by_area] == [("96.71.01.1004", "Remu")]
    assert (remu.decile.households, remu.decile.protected) == (1, 1)
    assert remu.target is None
    assert [f.username for f in remu.facilitators] == ["facilitator_remu"]
    assert (remu.facilitators[0].protected, remu.facilitators[0].at_risk) == (3, 1)
    klawasi = dashboard(actor=personas["facilitator_klawasi"], period=r)
    assert figures(klawasi.totals) == (2, 0, 1, 1)
    assert (klawasi.decile.households, klawasi.decile.protected) == (1, 0)
    assert "Remu" not in str(klawasi.as_dict())


def test_liaison_sees_no_poverty_figures(refreshed, personas):
    d = dashboard(actor=personas["liaison"], period=refreshed["r"])
    assert figures(d.totals) == (6, 3, 2, 1)
    assert d.decile is None and d.as_dict()["decile"] is None


def test_facilitator_table_counts_registrations_and_enrolments(small_city, personas):
    snapshot_refresh(actor=personas["operator_sorong"])  # the running month: F was registered today
    admin = dashboard(actor=personas["admin_sorong"])
    rows = {f.username: f for f in admin.facilitators}
    assert set(rows) == {"facilitator_remu", "facilitator_klawasi"}
    assert (rows["facilitator_remu"].registrations, rows["facilitator_remu"].enrolments) == (1, 1)
    assert (rows["facilitator_remu"].registrations_12m, rows["facilitator_remu"].enrolments_12m) == (1, 1)
    assert (rows["facilitator_klawasi"].registrations, rows["facilitator_klawasi"].enrolments) == (0, 0)


def test_refresh_is_idempotent_and_audited(small_city, personas):
    operator = personas["operator_sorong"]
    r, today = small_city["r"], small_city["today"]
    first = snapshot_refresh(actor=operator, period=r, today=today)
    rows = sorted(CoverageSnapshot.objects.filter(period=r).values_list(
        "kelurahan_id", "payer_kind", "occupation_id", "sex", "members", "protected", "at_risk", "lapsed"))
    again = snapshot_refresh(actor=operator, period=r, today=today)
    assert sorted(CoverageSnapshot.objects.filter(period=r).values_list(
        "kelurahan_id", "payer_kind", "occupation_id", "sex", "members", "protected", "at_risk", "lapsed")) == rows
    assert first.months[0].as_dict()["protected"] == again.months[0].as_dict()["protected"] == 3
    assert HouseholdSnapshot.objects.filter(period=r).count() == 2
    assert FacilitatorSnapshot.objects.filter(period=r).count() == 2
    assert SnapshotMonth.objects.get(period=r).as_of == today
    assert AuditEvent.objects.filter(action="reports.snapshot", object_id=f"{r:%Y-%m}").count() == 2


def test_refresh_refusals(small_city, personas):
    with pytest.raises(PermissionDenied):
        snapshot_refresh(actor=personas["facilitator_remu"])
    with pytest.raises(PermissionDenied):
        snapshot_refresh(actor=personas["auditor"])
    with pytest.raises(ValidationFailed):
        snapshot_refresh(actor=personas["operator_sorong"], period=dt.date(2999, 1, 1))


def test_target_is_set_by_an_admin_and_shown_to_the_whole_region(refreshed, personas, settings):
    r = refreshed["r"]
    settings.JARING_COVERAGE_TARGET = 0
    assert dashboard(actor=personas["admin_sorong"], period=r).target is None
    settings.JARING_COVERAGE_TARGET = 12
    d = dashboard(actor=personas["admin_sorong"], period=r)
    assert (d.target.workers, d.target_pct) == (12, 25.0)
    with pytest.raises(PermissionDenied):
        coverage_target_set(actor=personas["operator_sorong"], year=r.year, workers=10, source="x")
    with pytest.raises(ValidationFailed):
        coverage_target_set(actor=personas["admin_sorong"], year=r.year, workers=10, source=" ")
    coverage_target_set(actor=personas["admin_sorong"], year=r.year, workers=6, source="RPJMD Kota Sorong")
    d = dashboard(actor=personas["admin_sorong"], period=r)
    assert (d.target.workers, d.target.source, d.target_pct) == (6, "RPJMD Kota Sorong", 50.0)
    assert AuditEvent.objects.filter(action="reports.target_set").count() == 1


def test_cli_refreshes_and_prints_json(small_city, personas, capsys):
    import json

    from django.core.management import call_command

    from jaring.cli import resolve

    assert resolve(["reports", "snapshot", "--months", "3"]) == ("reports_snapshot", ["--months", "3"])
    call_command("reports_snapshot", "--period", f"{small_city['r']:%Y-%m}", "--json", "--as", "operator_sorong")
    out = json.loads(capsys.readouterr().out)
    assert [m["period"] for m in out["months"]] == [f"{small_city['r']:%Y-%m}"]
    call_command("reports_snapshot", "--months", "2")
    assert SnapshotMonth.objects.count() == 3
    with pytest.raises(SystemExit):
        call_command("reports_snapshot", "--period", "2026-13")
