"""Cursor pagination on a full keyset: stable pages at any table size, no COUNT(*), no OFFSET.

The cursor holds the sort values of the last row of a page (and the row's primary key, which makes the
key unique), so the next page is "the rows after this one", found through the index on the sort
columns. Unlike a cursor holding only the first sort value plus an offset, it stays cheap when thousands
of rows share a value (records imported in one batch share their `created_at`).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination as BaseCursorPagination
from rest_framework.utils.urls import replace_query_param

from raccordo.core import keyset


class CursorPagination(BaseCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # UUIDv7 keys grow with creation time, so "-created_at" with the key as tie-break is stable.
    ordering = "-created_at"
    cursor_query_description = ("Opaque position in the list, from the `next` or `previous` link of a page. "
                                "Pages never skip or repeat a record, however large the list.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.keys = keyset.sort_keys(self.get_ordering(request, queryset, view))
        if not keyset.keyset_supported(queryset.model, self.keys):
            raise ImproperlyConfigured(f"{type(view).__name__}: ordering by {self.keys} goes through a column that may "
                                       "be NULL; only NOT NULL columns can page with a cursor.")
        token = request.query_params.get(self.cursor_query_param)
        cursor = None
        if token:
            cursor = keyset.decode_cursor(token, queryset.model, self.keys)
            if cursor is None:
                raise NotFound(self.invalid_cursor_message)
        backwards = cursor is not None and cursor.backwards
        walk = [k.reversed() for k in self.keys] if backwards else self.keys
        qs = queryset.order_by(*(k.order_by for k in walk))
        if cursor is not None:
            qs = qs.filter(keyset.after_q(walk, cursor.values))
        rows = list(qs[:self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[:self.page_size]
        if backwards:
            rows.reverse()
        self.has_next = True if backwards else more
        self.has_previous = more if backwards else cursor is not None
        self.page = rows
        return rows

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        token = keyset.encode_cursor(keyset.row_values(self.page[-1], self.keys))
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def get_previous_link(self):
        if not (self.has_previous and self.page):
            return None
        token = keyset.encode_cursor(keyset.row_values(self.page[0], self.keys), backwards=True)
        return replace_query_param(self.base_url, self.cursor_query_param, token)
