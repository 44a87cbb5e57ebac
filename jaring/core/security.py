"""Security headers on every response the application itself makes (decision 0021).

Static files never reach this middleware: WhiteNoise answers them earlier in ``MIDDLEWARE`` and
they keep their long-lived, fingerprinted caching. Everything else is dynamic and may carry
personal data (a person page, an at-risk list, an XLSX export, an API answer), so it is sent
with ``Cache-Control: no-store`` whoever asked, and with a Content-Security-Policy that allows
no inline script, no inline style and nothing from another origin.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

#: No inline script or style anywhere: behaviour lives in ``static/jaring.js``, looks in the CSS
#: files; charts are SVG drawn with presentation attributes (``fill``, ``width``), which CSP does
#: not treat as inline style. ``data:`` images are for Pico's and Swagger UI's inline icons.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

#: Jaring's pages use no device features; field forms are filled in ODK/Kobo, not in the browser.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb",
))


class SecurityHeadersMiddleware:
    """CSP, Permissions-Policy, Cross-Origin-Resource-Policy and no-store on every dynamic response.

    Django's ``SecurityMiddleware`` (first in the chain, so static files get it too) adds HSTS,
    the HTTPS redirect, ``Referrer-Policy``, ``Cross-Origin-Opener-Policy`` and ``nosniff``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Personal pages and exports must not stay in a browser's or a proxy's cache: no-store
        # replaces whatever a view set (Django's never_cache adds "max-age=0, no-cache, ...").
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
        headers.pop("Expires", None)
        return response
