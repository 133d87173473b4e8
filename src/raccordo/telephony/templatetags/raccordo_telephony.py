"""`{% call_popup_slot %}` in the base template: the polled pop-up slot, only for people with an extension."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from raccordo.core.phones import format_phone

from ..selectors import own_extension
from ..services import telephony_settings

register = template.Library()


@register.inclusion_tag("telephony/_popup.html", takes_context=True)
def call_popup_slot(context):
    """An empty slot that starts polling; nothing at all for people without a phone of their own."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not own_extension(user=user):
        return {"off": True}
    return {"popup": None, "state": ""}


@register.filter
def phone_text(number: str) -> str:
    """A number as people read it (+7 495 123-45-67), or "a hidden number" when the PBX gave none."""
    return format_phone(number) if number else _("a hidden number")


def _dialling_extension(request) -> str:
    """The user's extension when Raccordo may dial through Asterisk for them ("" otherwise); once per request."""
    cached = getattr(request, "_rc_dialling_extension", None)
    if cached is None:
        cached = ""
        extension = own_extension(user=request.user)
        if extension and telephony_settings().ami_enabled:
            cached = extension
        request._rc_dialling_extension = cached
    return cached


@register.inclusion_tag("telephony/_call_button.html", takes_context=True)
def call_button(context, phone):
    """A "call" button next to a client's phone: dials it from the user's own phone (click-to-call)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not _dialling_extension(request):
        return {"phone": None}
    return {"phone": phone, "csrf_token": context.get("csrf_token"), "next": request.get_full_path()}
