"""What every web view shares: 404 for invisible records, service errors onto forms, sortable paged lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from raccordo.core import keyset
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.core.inputs import search_term

PAGE_SIZE = 25
# Lists count their rows up to this many; past it they say "10,000+" (counting a million rows of a
# million-row table is the slow part of a list page, and nobody reads that number).
COUNT_LIMIT = 10_000


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


def safe_next(request: HttpRequest, default: str = "") -> str:
    """Where a form goes back to: its `next` if that is a path on this site, else `default` (a URL or URL name).

    Only an absolute local path ("/deals/?page=2") is taken. Anything else, an outside address or a bare
    word, gives the default: `redirect()` would read a bare word as a URL name and fail after the record was
    saved, and a retry would save it again (finding L5).
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (target.startswith("/") and not target.startswith(("//", "/\\")) and all(ch >= " " for ch in target)
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return target
    return resolve_url(default) if default else ""


def error_text(exc: Exception) -> str:
    """One line saying why a service refused, for a toast."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, ApplicationError):
        return exc.message
    return str(exc)


class ListWindow:
    """One page of a list, as templates see it (`page`): its rows, where it sits, links to its neighbours.

    The total is counted up to COUNT_LIMIT rows only; beyond that it reads "10,000+". Kept compatible
    with Django's Page where templates and tests use it (`object_list`, `start_index`, `paginator.count`).
    """

    ELLIPSIS = Paginator.ELLIPSIS

    def __init__(self, *, rows: list, start: int, total: int, exact: bool, has_next: bool, has_previous: bool,
                 page_size: int, urls: dict[str, str]):
        self.object_list = rows
        self.start = start
        self.count = total
        self.count_exact = exact
        self.has_next_page = has_next
        self.has_previous_page = has_previous
        self.page_size = page_size
        self.urls = urls

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    @property
    def paginator(self) -> ListWindow:
        return self

    def has_next(self) -> bool:
        return self.has_next_page

    def has_previous(self) -> bool:
        return self.has_previous_page

    def has_other_pages(self) -> bool:
        return self.has_next_page or self.has_previous_page

    def start_index(self) -> int:
        return self.start + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start + len(self.object_list)

    @property
    def number(self) -> int | None:
        """The page number, when the page starts on a page boundary (a keyset page normally does)."""
        return self.start // self.page_size + 1 if self.start % self.page_size == 0 else None

    @property
    def num_pages(self) -> int | None:
        return max(1, -(-self.count // self.page_size)) if self.count_exact else None

    @property
    def count_label(self) -> str:
        """The total for people: "1,234", or "10,000+" past the counting limit, in the user's number format."""
        number = number_format(self.count, force_grouping=True)
        if self.count_exact:
            return number
        return gettext("%(count)s+") % {"count": number}

    def page_range(self) -> list:
        """Page numbers to link (with ELLIPSIS gaps): all of them when the total is known, else the first
        page and the current one."""
        if self.count_exact:
            return list(Paginator(range(self.count), self.page_size).get_elided_page_range(self.number or 1))
        current = self.number
        pages = [1] if current != 1 else []
        if current and current > 2:
            pages.append(self.ELLIPSIS)
        return [*pages, current] if current else pages

    def page_links(self) -> list[dict]:
        """The numbered links: {"number", "url", "current", "gap"} (a gap is the "…" between numbers)."""
        links = []
        for n in self.page_range():
            if n == self.ELLIPSIS:
                links.append({"number": n, "url": "", "current": False, "gap": True})
            else:
                url = self.urls["first"] if n == 1 else self.urls["page"].replace("__page__", str(n))
                links.append({"number": n, "url": url, "current": n == self.number, "gap": False})
        return links

    @property
    def next_url(self) -> str:
        return self.urls.get("next", "")

    @property
    def previous_url(self) -> str:
        return self.urls.get("previous", "")


class ListPage:
    """A sortable, searchable, paged list: `?q=`, `?sort=key|-key`, `?page=N` or `?after=` / `?before=`.

    Sort keys are whitelisted. The first page and every "next" / "previous" link are keyset queries
    (`?after=<cursor>`: the rows after the last one shown, found through the sort index), so paging stays
    as fast on page 4,000 as on page 1; `?page=N` (the numbered links) uses OFFSET and is capped at
    COUNT_LIMIT rows. Sorts through a nullable column fall back to OFFSET paging, within the same cap.
    """

    PAGING = ("page", "after", "before")

    def __init__(self, request: HttpRequest, *, sorts: Mapping[str, str | tuple[str, ...]], default_sort: str,
                 page_size: int = PAGE_SIZE):
        self.request = request
        self.sorts = sorts
        self.page_size = page_size
        self.q = search_term(request.GET.get("q"))   # no NUL, at most SEARCH_TERM_MAX characters
        sort = request.GET.get("sort", default_sort)
        if sort.lstrip("-") not in sorts:
            sort = default_sort
        self.sort = sort

    def keys(self) -> list[keyset.SortKey]:
        fields = self.sorts[self.sort.lstrip("-")]
        fields = (fields,) if isinstance(fields, str) else fields
        prefix = "-" if self.sort.startswith("-") else ""
        return keyset.sort_keys([prefix + f for f in fields])

    def order(self, qs):
        # The key ends with the primary key in the same direction, so one index serves both directions.
        return qs.order_by(*(k.order_by for k in self.keys()))

    def _url(self, **changes) -> str:
        params = self.request.GET.copy()
        for key in self.PAGING:
            params.pop(key, None)
        for key, value in changes.items():
            params[key] = value
        return "?" + params.urlencode()

    def _page_number(self) -> int:
        try:
            return max(1, int(self.request.GET.get("page", "1")))
        except ValueError:
            return 1

    def window(self, qs) -> ListWindow:
        """The page of `qs` the request asks for."""
        keys = self.keys()
        size = self.page_size
        model = qs.model
        use_keyset = keyset.keyset_supported(model, keys)
        ordered = qs.order_by(*(k.order_by for k in keys))
        rows, start, has_previous, has_next = None, 0, False, False
        after, before = self.request.GET.get("after"), self.request.GET.get("before")
        if use_keyset and after:
            cursor = keyset.decode_cursor(after, model, keys)
            if cursor is not None:
                found = list(ordered.filter(keyset.after_q(keys, cursor.values))[:size + 1])
                if found:
                    has_next = len(found) > size
                    rows, start, has_previous = found[:size], cursor.position + 1, True
        elif use_keyset and before:
            cursor = keyset.decode_cursor(before, model, keys)
            if cursor is not None:
                back = [k.reversed() for k in keys]
                found = list(qs.order_by(*(k.order_by for k in back)).filter(
                    keyset.after_q(back, cursor.values))[:size + 1])
                # Reaching the first rows (or a position that drifted below a page) shows page 1 instead.
                if len(found) > size and cursor.position - size > 0:
                    rows, start = found[:size][::-1], cursor.position - size
                    has_previous, has_next = True, True
        if rows is None:
            # Numbered pages: OFFSET, but never past the counting limit.
            number = min(self._page_number(), max(1, COUNT_LIMIT // size))
            start = (number - 1) * size
            rows = list(ordered[start:start + size + 1])
            if not rows and number > 1:
                total, exact = keyset.capped_count(qs, COUNT_LIMIT)
                number = max(1, -(-total // size))
                start = (number - 1) * size
                rows = list(ordered[start:start + size + 1])
            has_previous, has_next = start > 0, len(rows) > size
            rows = rows[:size]
        if start == 0 and not has_next:
            total, exact = len(rows), True      # everything is on this page: nothing to count
        else:
            total, exact = keyset.capped_count(qs, COUNT_LIMIT)
            if exact:
                total = max(total, start + len(rows))
        urls = {"page": self._url(page="__page__"), "first": self._url()}
        if use_keyset and rows:
            if has_next:
                urls["next"] = self._url(after=keyset.encode_cursor(keyset.row_values(rows[-1], keys),
                                                                    start + len(rows) - 1))
            if has_previous:
                urls["previous"] = (self._url(before=keyset.encode_cursor(keyset.row_values(rows[0], keys), start))
                                    if start > size else self._url())
        else:
            number = start // size + 1
            if has_next:
                urls["next"] = self._url(page=number + 1)
            if has_previous:
                urls["previous"] = self._url(page=number - 1) if number > 2 else self._url()
        return ListWindow(rows=rows, start=start, total=total, exact=exact, has_next=has_next,
                          has_previous=has_previous, page_size=size, urls=urls)

    def render(self, qs, *, template: str, partial: str, context: dict[str, Any] | None = None,
               prepare=None) -> HttpResponse:
        """The list page (or its table alone for htmx); `prepare(rows)` may add to the page's rows in one go."""
        page = self.window(qs)
        if prepare is not None:
            prepare(page.object_list)
        ctx = {"page": page, "rows": page.object_list, "q": self.q, "sort": self.sort,
               "filtered": bool(self.q) or any(k not in (*self.PAGING, "sort") and v not in ("", "0")
                                               for k, v in self.request.GET.items()),
               "partial_template": partial, **(context or {})}
        return render(self.request, partial if is_htmx(self.request) else template, ctx)


def with_defaults(params, defaults: Mapping[str, str]) -> dict:
    """A list's query string with the values the screen starts from where the user chose none (`?state=` kept).

    One value per key is kept (the last, as `QueryDict.get` gives it), as the lists' filters read one value each.
    """
    return {**defaults, **{key: params.get(key) for key in params}}
