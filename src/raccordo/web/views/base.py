"""What every web view shares: 404 for invisible records, service errors onto forms, sortable paged lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from raccordo.core.errors import ApplicationError, NotFound

PAGE_SIZE = 25


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def get_or_404(selector: Callable, **kwargs):
    """Call a `*_get` selector; a record that does not exist or is not visible is a 404, never a 403."""
    try:
        return selector(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def apply_errors(form, exc: Exception, field_map: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError next to the form's fields, and anything else on top of the form."""
    field_map = field_map or {}
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                target = field_map.get(name, name)
                form.add_error(target if target in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    elif isinstance(exc, ApplicationError):
        form.add_error(None, exc.message)
    else:  # pragma: no cover - only the two error kinds above are expected from services
        raise exc


def error_text(exc: Exception) -> str:
    """One line saying why a service refused, for a toast."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, ApplicationError):
        return exc.message
    return str(exc)


class ListPage:
    """A sortable, searchable, paged list: `?q=`, `?sort=key|-key`, `?page=N`, whitelisted sort keys."""

    def __init__(self, request: HttpRequest, *, sorts: Mapping[str, str | tuple[str, ...]], default_sort: str):
        self.request = request
        self.sorts = sorts
        self.q = request.GET.get("q", "").strip()
        sort = request.GET.get("sort", default_sort)
        if sort.lstrip("-") not in sorts:
            sort = default_sort
        self.sort = sort

    def order(self, qs):
        key = self.sort.lstrip("-")
        fields = self.sorts[key]
        fields = (fields,) if isinstance(fields, str) else fields
        prefix = "-" if self.sort.startswith("-") else ""
        return qs.order_by(*(prefix + f for f in fields), "pk")

    def render(self, qs, *, template: str, partial: str, context: dict[str, Any] | None = None) -> HttpResponse:
        page = Paginator(self.order(qs), PAGE_SIZE).get_page(self.request.GET.get("page"))
        ctx = {"page": page, "rows": page.object_list, "q": self.q, "sort": self.sort,
               "filtered": bool(self.q) or any(k not in ("page", "sort") and v not in ("", "0")
                                               for k, v in self.request.GET.items()),
               "partial_template": partial, **(context or {})}
        return render(self.request, partial if is_htmx(self.request) else template, ctx)
