"""The SMS panel of the counterparty card: `{% load sms %}{% sms_panel object %}`."""

from __future__ import annotations

from django import template

from raccordo.access.policy import may_mass_send

from ..views import composer_context

register = template.Library()


@register.inclusion_tag("sms/_panel.html", takes_context=True)
def sms_panel(context, counterparty):
    """The composer and the card's numbers with their opt-outs, for those who may text this client."""
    request = context.get("request")
    if request is None:
        return {"sms_allowed": False}
    found = composer_context(request, counterparty)
    found["csrf_token"] = context.get("csrf_token")
    found["request"] = request
    return found


@register.simple_tag(takes_context=True)
def may_mass_sms(context) -> bool:
    """Whether the signed-in user may start a mass SMS (for showing the list's button only)."""
    request = context.get("request")
    return request is not None and may_mass_send(request.user)
