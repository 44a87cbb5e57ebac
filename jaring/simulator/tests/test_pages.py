import pytest


@pytest.fixture
def facilitator(client, personas):  # type: ignore[no-untyped-def]
    client.force_login(personas["facilitator_remu"])
    return client


def test_simulation_page_shows_contribution_and_protection(facilitator):
    page = facilitator.get("/simulasi/", {"income": "1000000", "payer": "self", "sector": "other",
                                         "period": "2026-04", "months": "3"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rp25.200" in html  # 3 × Rp8.400 under PP 50/2025
    assert "Rp42.000.000" in html  # JKM death
    assert "Nilai belum terverifikasi" not in html  # office notes stay off the family's page


def test_simulation_page_explains_bad_input(facilitator):
    page = facilitator.get("/simulasi/", {"income": "1250001", "period": "2026-04"})
    assert page.status_code == 200
    assert "bukan nominal penghasilan yang sah" in page.content.decode()


def test_parameters_page_shows_values_in_force_with_citations(facilitator):
    html = facilitator.get("/parameter/", {"on": "2026-06-01"}).content.decode()
    assert "PP 50/2025" in html and "Rp6.800" in html
    older = facilitator.get("/parameter/", {"on": "2020-09-01"}).content.decode()
    assert "PP 49/2020" in older and "Maret 2027" not in older  # PP 50/2025 is not yet in force
    assert "tidak sah" in facilitator.get("/parameter/", {"on": "kemarin"}).content.decode()
