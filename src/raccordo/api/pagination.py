"""Cursor pagination: stable pages at any table size, no COUNT(*) over a million rows."""

from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # UUIDv7 keys grow with creation time, so "-created_at" with the key as tie-break is stable.
    ordering = "-created_at"
