"""Cursor pages for every API list: nothing is ever cut silently at a fixed number of rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    """Stable pages over a changing registry: ``?cursor=…``, ordered by id."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "id"


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The page cursor from `next` or `previous`"),
    OpenApiParameter("page_size", int, description="Rows per page (at most 200; default 50)"),
]


def paged(name: str) -> Any:
    """The OpenAPI shape of a cursor page of free-form objects (for plain ``APIView`` lists)."""
    return inline_serializer(name=name, fields={
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializers.ListField(child=serializers.DictField()),
    })


def paginate(request: Request, view: Any, queryset: Any, render: Callable[[Any], dict[str, Any]], *,
             ordering: str | Iterable[str] = "id",
             render_page: Callable[[list[Any]], list[dict[str, Any]]] | None = None) -> Response:
    """One cursor page of ``queryset`` (``next``/``previous`` links and ``results``). ``render_page``,
    when given, renders the whole page at once (facts read for all its rows in a few queries)."""
    paginator = CursorPagination()
    # DRF accepts a tuple of fields; its stubs only know a string.
    paginator.ordering = ordering if isinstance(ordering, str) else tuple(ordering)  # type: ignore[assignment]
    page: list[Any] = paginator.paginate_queryset(queryset, request, view=view) or []
    return paginator.get_paginated_response(render_page(page) if render_page else [render(row) for row in page])
