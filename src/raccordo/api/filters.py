"""Search and ordering backends of the API.

The filter sets are not here: each list has one, in its app's `filters.py` (e.g. `sales.filters.DealFilter`),
which the app's selector, the web list and the API viewset's `filterset_class` all use.
"""

from __future__ import annotations

from rest_framework import filters

from raccordo.core.inputs import search_term


class SearchFilter(filters.SearchFilter):
    """`?search=`: the view's own `search_queryset(queryset, term)` (a selector's search) or its `search_fields`.

    The term is cleaned and cut to SEARCH_TERM_MAX characters either way (core.inputs.search_term).
    """

    def get_search_terms(self, request):
        term = search_term(request.query_params.get(self.search_param, ""))
        return super().get_search_terms(_OneParam(self.search_param, term))

    def filter_queryset(self, request, queryset, view):
        search = getattr(view, "search_queryset", None)
        if search is None:
            return super().filter_queryset(request, queryset, view)
        term = search_term(request.query_params.get(self.search_param, ""))
        return search(queryset, term) if term else queryset

    def get_schema_operation_parameters(self, view):
        if getattr(view, "search_queryset", None) is None and not getattr(view, "search_fields", None):
            return []
        params = super().get_schema_operation_parameters(view)
        description = getattr(view, "search_description", None)
        if description:
            for param in params:
                param["description"] = description
        return params


class _OneParam:
    """A stand-in request whose query string holds only the cleaned search term (for DRF's term splitting)."""

    def __init__(self, name: str, value: str):
        self.query_params = {name: value}


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=`: only the fields the view lists; documented only where there are some."""

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "ordering_fields", None):
            return []
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"] = {"type": "string",
                               "enum": [p + f for f in view.ordering_fields for p in ("", "-")]}
        return params
