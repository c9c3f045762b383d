from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset paging by id: page cost does not grow with the table."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
