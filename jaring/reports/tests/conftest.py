from jaring.reports.tests.fixtures import small_city  # noqa: F401 - a fixture
