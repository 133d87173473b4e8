"""The run page's conflicts section (exchange/_run_conflicts.html) reads its rows through this tag."""

from __future__ import annotations

from django import template

from raccordo.exchange.conflict_review import conflict_list, conflict_rows
from raccordo.exchange.views import record_url

register = template.Library()


@register.simple_tag(takes_context=True)
def run_conflicts(context, run):
    """The conflicts of `run` the page's user may see, ready to show (see conflicts.conflict_rows)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if run is None or user is None:
        return []

    rows = conflict_rows(conflict_list(user=user, run=run))
    for row in rows:
        row.url = record_url(row.item.object_type, row.item.object_id) if row.record else None  # type: ignore[attr-defined]  # the page's link, set on the row for the template
    return rows
