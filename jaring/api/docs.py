"""The OpenAPI schema and its Swagger UI, for signed-in users only (session or Bearer token).

Anonymous callers get the API's 401 JSON for the schema and are sent to the login page for the
docs. The docs use drf-spectacular's split view: its start-up script is a separate request
(``?script``), so the page runs under the same Content-Security-Policy as every other page
(no inline script; the one inline ``<style>`` of the stock template is a static file here).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        # The schema's own renderers are YAML and OpenAPI JSON; an error is the API's JSON shape
        # whatever the client asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
