import pytest


@pytest.fixture
def api_for(api_client_for):  # type: ignore[no-untyped-def]
    return api_client_for
