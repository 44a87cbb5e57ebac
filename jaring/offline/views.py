"""The field app's pages: the app shell, its web manifest and its service worker (decision 0039).

The shell holds no personal data: the area comes from ``/api/v1/field/snapshot/`` and is kept,
encrypted, in the browser's IndexedDB; the service worker caches only the shell and its static
files. Other roles get a page that says the app is for facilitators, and nothing is registered or
cached for them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import can
from jaring.offline.strings import js_strings

CAPABILITY = "field.offline"
#: A response the service worker may keep as the shell carries this header (never a login page,
#: an error or the page for other roles).
SHELL_HEADER = "X-Jaring-Shell"

#: The static files the shell needs offline, as ``{% static %}`` names: ``static()`` gives their
#: URLs under any storage (plain or with hashed names).
SHELL_STATIC = [
    "vendor/pico.min.css",
    "jaring.css",
    "offline/field.css",
    "vendor/idb.umd.js",
    "offline/field.js",
    "offline/icon.svg",
    "offline/icon-192.png",
    "offline/icon-512.png",
]


def facilitators_only(*, page: bool) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """``field.offline`` or nothing. ``page``: other roles get the page saying the app is the
    facilitators' (403), anonymous users the login; otherwise a bare 403 for both."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path()) if page else HttpResponseForbidden()
            if not can(user, CAPABILITY):
                if page:
                    return render(request, "offline/not_for_role.html", {"nav": "field"}, status=403)
                return HttpResponseForbidden()
            return view(request, *args, **kwargs)

        wrapper.capability = CAPABILITY  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _visits_url() -> str:
    """The visit notes' endpoint, when the fieldwork app provides one."""
    try:
        return reverse("api-visits")
    except NoReverseMatch:
        return ""


def _config() -> dict[str, Any]:
    return {
        "key_url": reverse("api-field-key"),
        "snapshot_url": reverse("api-field-snapshot"),
        "sw_url": reverse("offline:service_worker"),
        "scope": reverse("offline:app"),
        "login_url": f"{reverse('login')}?next={reverse('offline:app')}",
        "time_zone": settings.TIME_ZONE,
        "endpoints": {
            "household": reverse("api-households"),
            "person": reverse("api-persons"),
            "enrolment": reverse("api-memberships"),
            "claim": reverse("api-claims"),
            "visit": _visits_url(),
        },
    }


@facilitators_only(page=True)
def field_app(request: HttpRequest) -> HttpResponse:
    """The app shell: the same for every facilitator, so the service worker may keep it."""
    response = render(request, "offline/app.html", {"config": _config(), "strings": js_strings()})
    response[SHELL_HEADER] = "1"
    return response


@facilitators_only(page=False)
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Jaring Lapangan",
        "short_name": "Lapangan",
        "description": _("Pendaftaran pekerja rentan di lapangan, juga tanpa sinyal."),
        "lang": "id",
        "start_url": reverse("offline:app"),
        "scope": reverse("offline:app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f6f50",
        "icons": [
            {"src": static("offline/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("offline/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("offline/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


def _static_files() -> tuple[tuple[str, str, int], ...]:
    """Each shell file's name, source path and modification time."""
    out = []
    for name in SHELL_STATIC:
        found = finders.find(name)
        path = str(found[0] if isinstance(found, list) else found or "")
        out.append((name, path, Path(path).stat().st_mtime_ns if path else 0))
    return tuple(out)


@lru_cache(maxsize=16)
def _content_digest(files: tuple[tuple[str, str, int], ...]) -> str:
    """A digest of the shell's static files' contents: a changed file makes a new worker even
    when the storage does not put hashes in the names (tests, development)."""
    digest = hashlib.sha256()
    for name, path, _mtime in files:
        digest.update(name.encode())
        if path:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _precache() -> list[str]:
    return [static(name) for name in SHELL_STATIC] + [reverse("offline:manifest")]


@facilitators_only(page=False)
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js`` at the site root (a worker's scope cannot lie above its script); it controls
    ``/lapangan/`` only. Its precache list comes from ``static()``, so it follows the storage."""
    assets = _precache()
    shell = reverse("offline:app")
    template_source = render_to_string("offline/app.html", {"config": _config(), "strings": js_strings()})
    version = hashlib.sha256(json.dumps([assets, shell, _content_digest(_static_files()),
                                         hashlib.sha256(template_source.encode()).hexdigest()]).encode()
                             ).hexdigest()[:16]
    body = render_to_string("offline/sw.js", {
        "version": json.dumps(version), "assets": json.dumps(assets), "shell": json.dumps(shell),
        "shell_header": json.dumps(SHELL_HEADER.lower())})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    return response
