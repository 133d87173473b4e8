"""Template helpers of the report pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from raccordo.web.templatetags.raccordo_ui import money

register = template.Library()


@register.simple_tag
def money_lines(amounts) -> str:
    """A {currency: amount} map as one line per currency (amounts in different currencies are never added);
    an em dash when there is nothing."""
    if not amounts:
        return format_html('<span class="rc-muted">{}</span>', "—")
    return format_html_join("", '<span class="rc-money-line">{}</span>',
                            ((money(v, c),) for c, v in sorted(amounts.items())))
