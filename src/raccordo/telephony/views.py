"""Telephony pages: the ringing phone's pop-up (polled by htmx from every page), click-to-call, and the
administrators' settings page (PBX connection, webhook secrets, everyone's extension, each adapter's state)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import may_configure_telephony, visible
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Phone
from raccordo.web.views.base import apply_errors, safe_next

from . import selectors, services
from .forms import ExtensionForm, TelephonySettingsForm

DISMISSED = "telephony_dismissed"


def _popup_response(request, popup):
    return render(request, "telephony/_popup.html", {"popup": popup, "state": popup.state if popup else ""})


# htmx stops polling on this status: a tab whose session ended must not swap the sign-in page into the slot.
STOP_POLLING = 286


def popup_view(request):
    """The pop-up slot, polled every 2 s: 204 while nothing changed (htmx then swaps nothing), else the slot
    anew with the state it shows, so an unchanged pop-up never flickers or loses a click."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    popup = selectors.call_popup(user=request.user)
    if popup is not None and str(popup.call.pk) in request.session.get(DISMISSED, []):
        popup = None
    if "shown" in request.GET and request.GET["shown"] == (popup.state if popup else ""):
        return HttpResponse(status=204)
    return _popup_response(request, popup)


@login_required
@require_POST
def popup_dismiss_view(request, pk):
    """Close the pop-up of this call for the rest of it (kept in the session: the call itself is untouched)."""
    dismissed = request.session.get(DISMISSED, [])[-20:]
    request.session[DISMISSED] = [*dismissed, str(pk)]
    return _popup_response(request, None)


@login_required
@require_POST
def call_phone_view(request, pk):
    """Click-to-call from the card: dial a client's phone from the user's own extension."""
    phone = get_object_or_404(visible(Phone.objects.select_related("counterparty"), request.user), pk=pk)
    try:
        services.call_originate(user=request.user, number=phone.number, counterparty=phone.counterparty)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your phone rings now; pick it up to call %(number)s.") % {"number": phone})
    return redirect(safe_next(request, reverse("web:counterparty_detail", args=[phone.counterparty_id])))


def _require_configure(request) -> None:
    if not may_configure_telephony(request.user):
        raise Http404


@login_required
def settings_view(request):
    """Settings → Telephony: the connection, the secrets, the extensions, and what each adapter last said."""
    _require_configure(request)
    row = services.telephony_settings()
    form = TelephonySettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.telephony_settings_update(user=request.user, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Telephony settings saved."))
            return redirect("telephony:settings")
    return render(request, "telephony/settings.html", {
        "form": form, "states": selectors.pbx_states(), "people": selectors.people_with_extensions(),
        "events_url": request.build_absolute_uri(reverse("telephony:events")),
        "mango_url": request.build_absolute_uri(reverse("telephony:mango_base")),
    })


@login_required
@require_POST
def extension_view(request, user_pk):
    """Give one person an extension (or take it away), from the settings page."""
    _require_configure(request)
    employee = get_object_or_404(get_user_model(), pk=user_pk)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_set(user=request.user, employee=employee, number=form.cleaned_data["number"])
        except (ValidationError, ApplicationError) as exc:
            text = exc.message if isinstance(exc, ApplicationError) else "; ".join(exc.messages)
            messages.error(request, _("%(name)s: %(error)s") % {"name": employee, "error": text})
        else:
            messages.success(request, _("Extension of %(name)s saved.") % {"name": employee})
    return redirect(reverse("telephony:settings") + "#extensions")
