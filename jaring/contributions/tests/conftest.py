from typing import Any

import pytest

from jaring.membership.services import payer_create


@pytest.fixture
def payers(personas: dict[str, Any]) -> dict[str, Any]:
    admin = personas["admin_sorong"]
    return {
        "self": payer_create(actor=admin, code="MANDIRI", name="Mandiri", kind="self"),
        "city": payer_create(actor=admin, code="APBD-KOTA", name="APBD Kota Sorong", kind="government_city",
                             wadah_code="SG", region_code="96.71"),
        "province": payer_create(actor=admin, code="APBD-PROV", name="APBD Provinsi Papua Barat Daya",
                                 kind="government_province", wadah_code="SG", region_code="96"),
    }
