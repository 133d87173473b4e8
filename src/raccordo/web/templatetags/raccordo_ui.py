"""Template helpers of the web interface: money for the user's language, sortable headers, form fields."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms, template
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from raccordo.access import policy
from raccordo.access.history import changed_fields
from raccordo.core.money import default_currency, format_money
from raccordo.web.exports import xlsx_max_rows
from raccordo.web.views.base import ListWindow

register = template.Library()

BABEL_LOCALES = {"en": "en", "it": "it_IT", "ru": "ru_RU"}


def babel_locale() -> str:
    return BABEL_LOCALES.get((get_language() or "en").split("-")[0], "en")


@register.filter
def money(value, currency: str = "") -> str:
    """`{{ invoice.total|money:invoice.currency }}` -> "1 234,50 ₽" in Russian, "RUB 1,234.50" in English."""
    if value in (None, ""):
        return ""
    return _spaced(format_money(Decimal(value), currency or default_currency(), locale=babel_locale()))


def _spaced(text: str) -> str:
    # CLDR's English pattern glues an ISO code to the number ("RUB1,000.00"); a no-break space reads better.
    return re.sub(r"(?<![A-Za-z])([A-Z]{3})(?=[\d-])", "\\1\xa0", text)


@register.simple_tag
def money_map(amounts) -> str:
    """A {currency: amount} dict as "1 200,00 ₽ · 50,00 €"; an em dash when nothing is owed."""
    if not amounts:
        return "—"
    return " · ".join(_spaced(format_money(v, c, locale=babel_locale())) for c, v in sorted(amounts.items()))


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one); the position in a paged
    list (page, after, before) resets on any change but its own."""
    params = context["request"].GET.copy()
    for key in ("page", "after", "before"):
        params.pop(key, None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"


@register.simple_tag(takes_context=True)
def pager(context, page):
    """`page` as the pagination include reads it: a list's ListWindow as is; a Django Page (lists that page
    a small, bounded set, like a run's records) adapted with numbered links."""
    if isinstance(page, ListWindow) or page is None:
        return page
    number = page.number
    urls = {"first": query(context), "page": query(context, page="__page__")}
    if page.has_next():
        urls["next"] = query(context, page=number + 1)
    if page.has_previous():
        urls["previous"] = query(context, page=number - 1) if number > 2 else query(context)
    return ListWindow(rows=list(page.object_list), start=page.start_index() - 1 if page.object_list else 0,
                      total=page.paginator.count, exact=True, has_next=page.has_next(),
                      has_previous=page.has_previous(), page_size=page.paginator.per_page, urls=urls)


@register.inclusion_tag("web/includes/sort_th.html", takes_context=True)
def sort_th(context, key: str, label, css: str = ""):
    """A column header that sorts by `key`, toggling ascending/descending; says its state to screen readers."""
    current = context.get("sort", "")
    state = "ascending" if current == key else "descending" if current == "-" + key else "none"
    next_sort = "-" + key if current == key else key
    return {"label": label, "state": state, "url": query(context, sort=next_sort), "css": css}


@register.inclusion_tag("web/includes/field.html")
def field(bound, label_hidden: bool = False, css: str = "", **attrs):
    """Label, widget with Bootstrap classes, help text and the field's own errors right under it."""
    widget = bound.field.widget
    if isinstance(widget, forms.CheckboxInput):
        kind, cls = "check", "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        kind, cls = "input", "form-select form-select-sm"
    else:
        kind, cls = "input", "form-control form-control-sm"
    if bound.errors:
        cls += " is-invalid"
    widget_attrs = {"class": cls, **{k.replace("_", "-"): v for k, v in attrs.items()}}
    described = []
    if bound.help_text:
        described.append(f"{bound.auto_id}_help")
    if bound.errors:
        described.append(f"{bound.auto_id}_error")
        widget_attrs["aria-invalid"] = "true"
    if described:
        widget_attrs["aria-describedby"] = " ".join(described)
    return {"f": bound, "kind": kind, "widget": bound.as_widget(attrs=widget_attrs),
            "label_hidden": label_hidden, "css": css}


STATUS_COLOURS = {
    "draft": "secondary", "issued": "primary", "partly_paid": "warning", "paid": "success", "cancelled": "dark",
    "open": "primary", "in_progress": "info", "done": "success", "won": "success", "lost": "danger",
    "high": "danger", "normal": "secondary", "low": "light",
    # exchange runs
    "running": "info", "succeeded": "success", "partial": "warning", "failed": "danger", "stopped": "dark",
}


@register.simple_tag
def xlsx_limit() -> int:
    """Rows an XLSX export holds at most (CSV has them all): for the note on export buttons."""
    return xlsx_max_rows()


@register.simple_tag
def badge(value: str, label) -> str:
    colour = STATUS_COLOURS.get(value, "secondary")
    return format_html('<span class="badge rounded-pill badge-soft-{}">{}</span>', colour, label)


@register.filter
def is_past(value) -> bool:
    """True for a date or datetime before now: overdue."""
    if value is None:
        return False
    if hasattr(value, "hour"):
        return value < timezone.now()
    return value < timezone.localdate()


@register.simple_tag
def kind_icon(kind: str) -> str:
    icons = {"call": "bi-telephone", "email": "bi-envelope", "meeting": "bi-people", "note": "bi-sticky",
             "legal": "bi-building", "sole_trader": "bi-briefcase", "individual": "bi-person"}
    return icons.get(kind, "bi-dot")


@register.simple_tag
def feed_icon(kind: str) -> str:
    """The icon of a line of the counterparty's activity feed (activities.feed)."""
    icons = {"stage": "bi-kanban", "invoice": "bi-receipt", "payment": "bi-cash-coin", "task": "bi-check2-square",
             "exchange": "bi-arrow-left-right", "sms": "bi-chat-text"}
    return icons.get(kind) or kind_icon(kind)


@register.simple_tag
def yes_no(value) -> str:
    return _("Yes") if value else _("No")


@register.filter
def journal_fields(entry) -> str:
    """An audit entry's changed fields in words ("legal address, phone"), never their values."""
    return ", ".join(changed_fields(entry))


@register.simple_tag(takes_context=True)
def may(context, action: str, obj) -> bool:
    """Whether the signed-in user may `action` `obj`, as the access policy says: for showing a button only (the
    service checks again when it writes). `{% may "delete" object as can_delete %}`."""
    request = context.get("request")
    return request is not None and policy.can(request.user, action, obj)


# sales.services.lines.line_summary: "description × quantity @ price -discount% = amount".
_LINE_SUMMARY = re.compile(r"^(?P<what>.*) × (?P<qty>[\d.]+) @ (?P<price>[\d.]+) -(?P<disc>[\d.]+)% = (?P<amount>[\d.]+)$")


def _number(text: str, *, trim: bool = False) -> str:
    # Quantities drop their trailing zeros (1, not 1.000); money keeps its cents.
    number = Decimal(text)
    if trim:
        number = number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()
    return number_format(number, use_l10n=True, force_grouping=True)


def _history_line(text) -> str:
    match = _LINE_SUMMARY.match(str(text))
    if not match:
        return str(text)
    parts = {"what": match["what"], "qty": _number(match["qty"], trim=True), "price": _number(match["price"]),
             "amount": _number(match["amount"])}
    if Decimal(match["disc"]):
        parts["disc"] = _number(match["disc"], trim=True)
        return _("%(what)s: %(qty)s × %(price)s, discount %(disc)s %%, amount %(amount)s") % parts
    return _("%(what)s: %(qty)s × %(price)s, amount %(amount)s") % parts


@register.filter
def history_value(value) -> str:
    """A value from the history in words: a list one item a line (an invoice's lines as sentences), numbers,
    dates and times in the reader's locale, anything else as text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        if not value:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((_history_line(item),) for item in value))
    if isinstance(value, dt.datetime):
        return date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


@register.filter
def chart_rows(chart: dict) -> list[tuple[str, list[str]]]:
    """A chart's figures (web.charts.chart_data) as table rows: each label with its series' figures in words,
    formatted as the chart formats them (money in its currency, shares with %, counts); an em dash for none."""
    def text(value, series: dict) -> str:
        if value is None:
            return "—"
        if series["axis"] == "percent" or chart["unit"] == "percent":
            return f"{number_format(value)}\xa0%"
        if chart["unit"] == "money":
            return money(str(value), chart["currency"])
        return number_format(value)
    return [(label, [text(s["values"][i] if i < len(s["values"]) else None, s) for s in chart["series"]])
            for i, label in enumerate(chart["labels"])]
