"""gzip for the application's own responses (decision 0037).

Static files are compressed ahead of time (``.br`` and ``.gz`` beside each hashed file, sent by
WhiteNoise, which answers before this middleware). Here: Django's ``GZipMiddleware``, which
already pads each response with up to 100 random bytes ("Heal The BREACH"), for text only —
pages, htmx fragments, JSON, CSV — and only for requests the user's own pages or address bar
made. Files that are compressed already (XLSX is a zip, PDF streams are deflated, images) pass
untouched: compressing them again costs CPU and saves nothing.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

#: Media types worth compressing, besides every ``text/*`` and ``…+json``/``…+xml`` type.
COMPRESSIBLE_TYPES = frozenset({
    "application/json", "application/javascript", "application/xml", "application/vnd.oai.openapi",
    "image/svg+xml",
})

#: ``Sec-Fetch-Site`` values of requests a Jaring page or the user made: ``same-origin`` (a link, a
#: form, htmx) and ``none`` (the address bar, a bookmark, a link from another app). A request
#: another site makes the browser send (``cross-site``, ``same-site``) is how a BREACH attacker
#: would probe a page; it gets the page uncompressed, so its length says nothing about a secret.
#: Browsers that send no ``Sec-Fetch-Site`` (before 2020) and API clients are compressed.
OWN_REQUESTS = frozenset({"same-origin", "none"})


def compressible(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (media_type.startswith("text/") or media_type in COMPRESSIBLE_TYPES
            or media_type.endswith(("+json", "+xml")))


class CompressionMiddleware(GZipMiddleware):
    """``GZipMiddleware`` for text responses to the site's own requests (see the module)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not compressible(response.get("Content-Type", "")):
            return response
        if request.headers.get("Sec-Fetch-Site", "none").lower() not in OWN_REQUESTS:
            return response
        return super().process_response(request, response)
