from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """``?page=2&page_size=200``: 100 a page by default, at most 500."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
