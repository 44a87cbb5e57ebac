from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages over a changing registry: ``?cursor=…``, ordered by id."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "id"
