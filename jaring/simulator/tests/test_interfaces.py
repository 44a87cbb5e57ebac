"""The simulators through the CLI and the API: same shapes, clear refusals."""

import io
import json

import pytest

from jaring.testing import run_jaring


def cli(capsys, monkeypatch, *argv, stdin=None):  # type: ignore[no-untyped-def]
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_jaring(capsys, *argv)


def test_contribution_json_crosses_discount_boundary(capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "simulate", "contribution", "--income", "1000000",
                       "--programs", "JKK,JKM", "--period", "2026-03", "--months", "3", "--payer", "self",
                       "--sector", "other", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"total_idr", "items", "eligible", "reasons", "notes"}
    assert [i["amount_idr"] for i in data["items"]] == [10_000, 6_800, 5_000, 3_400, 5_000, 3_400]
    assert data["total_idr"] == 33_600
    assert {i["code"] for i in data["items"]} == {"jkk", "jkm"}


def test_contribution_government_is_never_discounted(capsys, monkeypatch):
    _code, out, _ = cli(capsys, monkeypatch, "simulate", "contribution", "--income", "1000000",
                       "--period", "2026-06", "--payer", "government", "--json")
    assert json.loads(out)["total_idr"] == 16_800


def test_contribution_table_is_indonesian(capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "simulate", "contribution", "--income", "1000000",
                       "--programs", "JKK,JKM,JHT", "--period", "2026-01", "--payer", "self")
    assert code == 0 and "Jumlah" in out and "Rp36.800" in out


@pytest.mark.parametrize("args, field", [
    (["--income", "1250001"], "declared_income_idr"),
    (["--period", "2010-01"], "period"),
    (["--programs", "JKK,JKM,JKN"], "programs"),
    (["--income", "-5"], "declared_income_idr"),
    (["--months", "5"], "months"),
    (["--payer", "mayor"], "payer"),
])
def test_contribution_bad_input_exit_2(capsys, monkeypatch, args, field):
    base = {"--income": "1000000", "--period": "2026-03", "--payer": "self"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, _out, err = cli(capsys, monkeypatch, "simulate", "contribution",
                         *[x for kv in base.items() for x in kv])
    assert code == 2 and err.startswith(f"error: {field}") and "Traceback" not in err


def test_benefit_from_stdin(capsys, monkeypatch):
    case = {"event": "work_accident", "event_date": "2026-05-01", "declared_income_idr": 1_000_000,
            "contribution_months": 10, "work_accident": {"outcome": "total_disability",
                                                         "transport_idr": {"sea": 3_000_000}}}
    _code, out, _ = cli(capsys, monkeypatch, "simulate", "benefit", "--input", "-", "--json",
                       stdin=json.dumps(case))
    data = json.loads(out)
    amounts = {i["code"]: i["amount_idr"] for i in data["items"]}
    assert amounts["jkk_total_disability"] == 56_000_000
    assert amounts["jkk_transport_sea"] == 2_000_000
    assert amounts["jkk_medical"] is None
    assert data["total_idr"] == sum(a for a in amounts.values() if a is not None)


@pytest.mark.parametrize("case, field", [
    ({"event": "death", "event_date": "2026-05-01", "declared_income_idr": 1_000_000,
      "contribution_months": 40, "work_accident": {"outcome": "death"}}, "work_accident"),
    ({"event": "death", "event_date": "2026-05-01", "declared_income_idr": 1_000_000,
      "contribution_months": 40, "children": [{"birth_date": "2015-01-01", "level": "SD", "chosen": "yes"}]},
     "children.0.chosen"),
])
def test_benefit_bad_input_exit_2(capsys, monkeypatch, case, field):
    code, _, err = cli(capsys, monkeypatch, "simulate", "benefit", "--input", "-",
                       stdin=json.dumps(case))
    assert code == 2 and field in err


def test_benefit_unreadable_input(capsys, monkeypatch, tmp_path):
    assert cli(capsys, monkeypatch, "simulate", "benefit", "--input", str(tmp_path / "none.json"))[0] == 2
    assert cli(capsys, monkeypatch, "simulate", "benefit", "--input", "-", stdin="{not json")[0] == 2


def test_api_contribution_and_benefit(api_client_for):  # type: ignore[no-untyped-def]
    client = api_client_for("facilitator_remu")
    response = client.post("/api/v1/simulations/contribution", {
        "declared_income_idr": 1000000, "programs": ["JKK", "JKM"], "period": "2026-04",
        "months": 1, "payer": "self", "sector": "other"}, format="json")
    assert response.status_code == 200
    assert response.json()["total_idr"] == 8_400
    bad = client.post("/api/v1/simulations/contribution", {
        "declared_income_idr": 1250001, "programs": ["JKK", "JKM"], "period": "2026-04",
        "payer": "self"}, format="json")
    assert bad.status_code == 400
    assert "declared_income_idr" in bad.json()["error"]["fields"]
    death = client.post("/api/v1/simulations/benefit", {
        "event": "death", "event_date": "2026-05-01", "declared_income_idr": 1000000,
        "contribution_months": 12}, format="json")
    assert death.status_code == 200 and death.json()["total_idr"] == 42_000_000
    third = client.post("/api/v1/simulations/benefit", {
        "event": "death", "event_date": "2026-05-01", "declared_income_idr": 1000000,
        "contribution_months": 40, "children": [{"birth_date": "2015-01-01", "level": "SD"}] * 3},
        format="json")
    # Three children: never refused — two are taken and the answer says so.
    assert third.status_code == 200, third.json()
    assert third.json()["total_idr"] == 42_000_000 + 2 * 1_500_000
    assert sum(item["code"].startswith("scholarship") for item in third.json()["items"]) == 2


def test_extra_parameter_file_from_settings(settings, tmp_path, capsys, monkeypatch):
    """A deployment adds the confirmed bracket table by configuration, without a code change."""
    from jaring.core import parameters

    extra = tmp_path / "brackets_full.toml"
    extra.write_text('id = "income-brackets-full"\nfamily = "income_brackets"\ntitle = "Tabel lengkap"\n'
                     'replaces = ["income-brackets-bpu-2015"]\neffective_from = 2015-07-01\n\n'
                     '[values.brackets_idr]\nvalue = [1_000_000, 1_500_000, 2_000_000]\n'
                     'citation = "PP 44/2015 Lampiran II (tabel lengkap, uji)"\n')
    settings.JARING_RULES_EXTRA = [str(extra)]
    parameters._load.cache_clear()
    try:
        code, out, _ = cli(capsys, monkeypatch, "simulate", "contribution", "--income", "1500000",
                           "--period", "2026-03", "--payer", "self", "--json")
        assert code == 0 and json.loads(out)["total_idr"] == 15_000 + 6_800
    finally:
        settings.JARING_RULES_EXTRA = []
        parameters._load.cache_clear()
