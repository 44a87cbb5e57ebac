"""The site's icon (issue 14, point 7): ``/favicon.ico`` answers with an image on every server, every
page links the icon of the static build, and the build hashes and compresses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

from jaring.core.tests.test_page_weight import production_static

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_an_image_for_anybody() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert Client().head("/favicon.ico").status_code == 200
    assert Client().post("/favicon.ico").status_code == 405


def test_pages_link_the_icons(client: Client) -> None:
    page = Client().get("/masuk/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    for name, kind in (("favicon.ico", "image/"), ("favicon.svg", "image/svg+xml")):
        response = Client().get(f"/static/{name}")
        assert response.status_code == 200 and response["Content-Type"].startswith(kind)


def test_the_static_build_hashes_and_compresses_the_icons(tmp_path: Path) -> None:
    from jaring.core.staticbuild import static_build

    root = tmp_path / "static"
    root.mkdir()
    with override_settings(**production_static(root)):
        assert static_build()
        page = Client().get("/masuk/").content.decode()
    for name in ("favicon.svg", "favicon.ico"):
        hashed = sorted(path for path in root.glob(name.replace(".", ".*.")) if path.suffix in (".svg", ".ico"))
        assert len(hashed) == 1, list(root.iterdir())
        assert f"/static/{hashed[0].name}" in page
        assert hashed[0].with_name(hashed[0].name + ".gz").exists()
