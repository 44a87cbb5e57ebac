"""A payer's funding source (DOMAIN §2.1: the PP 50/2025 discount exclusion follows whose money pays,
not the payer's name): set at creation (service, CLI, API), mapped to the rules engine's class."""

from __future__ import annotations

import json

import pytest

from jaring.core.errors import ValidationFailed
from jaring.membership.models import FUNDING_FROM_KIND, FUNDING_RULES_CLASS, FundingSource, Payer
from jaring.membership.services import payer_create
from jaring.rules import FUNDING_CLASSES
from jaring.testing import run_jaring as _jaring


def test_every_funding_source_has_a_rules_class_the_engine_accepts():
    assert set(FUNDING_RULES_CLASS) == set(FundingSource.values)
    assert FUNDING_RULES_CLASS == {"self": "self", "apbn": "apbn", "apbd_city": "apbd", "apbd_province": "apbd",
                                   "dana_kelurahan": "apbd", "otsus": "apbd", "dana_desa": "apbdes",
                                   "non_state": "non_state"}
    assert set(FUNDING_RULES_CLASS.values()) == set(FUNDING_CLASSES)


def test_payer_create_defaults_from_the_kind_and_validates(personas):
    admin = personas["admin_sorong"]
    for kind in Payer.Kind.values:
        payer = payer_create(actor=admin, code=f"P-{kind}", name=kind, kind=kind)
        assert payer.funding_source == FUNDING_FROM_KIND[kind]
        assert payer.rules_payer == FUNDING_RULES_CLASS[payer.funding_source]
    otsus = payer_create(actor=admin, code="OTSUS", name="Dana Otsus", kind="other", funding_source="otsus")
    assert (otsus.funding_source, otsus.rules_payer) == ("otsus", "apbd")  # Otsus money is managed through APBD
    refused = {("other", "bukan"): "funding_source", ("self", "apbd_city"): "funding_source",
               ("government_city", "self"): "funding_source"}
    for (kind, source), field in refused.items():
        with pytest.raises(ValidationFailed) as bad:
            payer_create(actor=admin, code="X", name="X", kind=kind, funding_source=source)
        assert list(bad.value.fields) == [field], (kind, source)
    with pytest.raises(ValidationFailed) as unknown_kind:  # only the kind is reported
        payer_create(actor=admin, code="X", name="X", kind="alien")
    assert list(unknown_kind.value.fields) == ["kind"]
    assert not Payer.objects.filter(code="X").exists()




def test_cli_and_api_take_the_funding_source(personas, capsys, api_client_for):
    code, out, err = _jaring(capsys, "payer", "add", "--code", "DANA-KEL", "--name", "Dana Kelurahan Remu",
                             "--kind", "village", "--funding-source", "dana_kelurahan", "--json")
    assert code == 0, err
    assert json.loads(out)["funding_source"] == "dana_kelurahan"
    code, _out, err = _jaring(capsys, "payer", "add", "--code", "DESA", "--name", "Desa", "--kind", "village",
                              "--funding-source", "apbdes")
    assert code == 2 and "Sumber dana tidak dikenal" in err
    client = api_client_for("admin_sorong")
    created = client.post("/api/v1/payers/", {"code": "CSR-1", "name": "CSR Bank", "kind": "csr"}, format="json")
    assert created.status_code == 201 and created.json()["funding_source"] == "non_state"
    created = client.post("/api/v1/payers/", {"code": "DESA-1", "name": "Dana Desa", "kind": "village",
                                              "funding_source": "dana_desa"}, format="json")
    assert created.status_code == 201 and created.json()["funding_source"] == "dana_desa"
    bad = client.post("/api/v1/payers/", {"code": "X-1", "name": "X", "kind": "self", "funding_source": "apbn"},
                      format="json")
    assert bad.status_code == 400 and "funding_source" in bad.json()["error"]["fields"]
    listed = {p["code"]: p["funding_source"] for p in client.get("/api/v1/payers/").json()}
    assert listed == {"DANA-KEL": "dana_kelurahan", "CSR-1": "non_state", "DESA-1": "dana_desa"}
