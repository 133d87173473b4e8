"""The SMS pages: the card's composer and opt-outs, the provider's settings and state, the delivery callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import can_send_sms, may_configure
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.core.ids import parse_uuid
from raccordo.parties.selectors import contact_get, counterparty_get
from raccordo.web.views.base import apply_errors, get_or_404, is_htmx

from . import services
from .composer import card_numbers, filled_template, sms_templates
from .feed import sms_feed_items
from .forms import SmsComposeForm, SmsSettingsForm, SmsTestForm
from .models import SmsStatus
from .segments import count_segments

SERVICE_ERRORS = (ValidationError, ApplicationError)


def composer_context(request, counterparty, form=None, sent=None) -> dict:
    """What the card's SMS panel shows (also used by the card's template tag)."""
    numbers = card_numbers(user=request.user, counterparty=counterparty)
    templates = list(sms_templates(user=request.user))
    if form is None:
        form = SmsComposeForm(numbers=[(n.number, n.label) for n in numbers],
                              templates=[(str(t.pk), t.name) for t in templates])
    text = form["text"].value() or ""
    return {"object": counterparty, "sms_form": form, "sms_numbers": numbers, "sms_sent": sent,
            "sms_configured": services.sms_settings().configured, "sms_count": count_segments(text),
            "sms_allowed": can_send_sms(request.user, counterparty),
            "compose_url": reverse("sms:compose", args=[counterparty.pk])}


def _counterparty(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    if not can_send_sms(request.user, counterparty):
        raise Http404
    return counterparty


def _form(request, counterparty, data=None) -> SmsComposeForm:
    numbers = card_numbers(user=request.user, counterparty=counterparty)
    return SmsComposeForm(data, numbers=[(n.number, n.label) for n in numbers],
                          templates=[(str(t.pk), t.name) for t in sms_templates(user=request.user)])


def _contact_for(request, counterparty, number):
    for n in card_numbers(user=request.user, counterparty=counterparty):
        if n.number == number and n.contact_id:
            try:
                return contact_get(user=request.user, pk=n.contact_id)
            except NotFound:
                return None
    return None


@login_required
@require_GET
def compose_view(request, pk):
    """The composer again, its text filled from the chosen template for this client (htmx, on choosing one)."""
    counterparty = _counterparty(request, pk)
    form = _form(request, counterparty)
    to, chosen = request.GET.get("to", ""), (request.GET.get("template") or "").strip()
    template = sms_templates(user=request.user).filter(pk=chosen).first() if parse_uuid(chosen) else None
    form.initial = {"to": to, "text": request.GET.get("text", "")[:1000], "template": chosen if template else ""}
    if template is not None:
        form.initial["text"] = filled_template(user=request.user, template=template, counterparty=counterparty,
                                               contact=_contact_for(request, counterparty, to))
    return render(request, "sms/_composer.html", composer_context(request, counterparty, form))


@login_required
@require_POST
def send_view(request, pk):
    """Send the composer's SMS to one of the card's numbers; the new line goes on top of the feed."""
    counterparty = _counterparty(request, pk)
    form = _form(request, counterparty, request.POST)
    sent = None
    if form.is_valid():
        to = form.cleaned_data["to"]
        try:
            sent = services.sms_send(user=request.user, to=to, text=form.cleaned_data["text"],
                                     counterparty=counterparty, contact=_contact_for(request, counterparty, to))
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
    if sent is not None and sent.status in (SmsStatus.REFUSED, SmsStatus.FAILED):
        form.add_error(None, _("Not sent: %(error)s") % {"error": sent.error})
    ok = sent is not None and not form.errors
    if not is_htmx(request):
        if ok:
            messages.success(request, _("SMS sent."))
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=activity")
    context = composer_context(request, counterparty, None if ok else form, sent=sent)
    if sent is not None:
        context["new_items"] = sms_feed_items(user=request.user, counterparty=counterparty, limit=1)
    return render(request, "sms/_composer.html", context)


@login_required
@require_POST
def opt_out_view(request, pk):
    """Record (or lift, with `undo`) a number's opt-out from the card."""
    counterparty = _counterparty(request, pk)
    number = request.POST.get("number", "")
    try:
        if request.POST.get("undo"):
            services.sms_opt_in(user=request.user, counterparty=counterparty, number=number)
            messages.success(request, _("%(number)s gets SMS again.") % {"number": number})
        else:
            services.sms_opt_out(user=request.user, counterparty=counterparty, number=number,
                                 reason=request.POST.get("reason", "")[:255] or _("Asked on the card"))
            messages.success(request, _("%(number)s gets no more mass SMS.") % {"number": number})
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=activity")


def _require_configure(request):
    if not may_configure(request.user):
        raise Http404


@login_required
def settings_view(request):
    """The provider's settings (administrators), what state it is in, and a test message."""
    _require_configure(request)
    current = services.sms_settings()
    form = SmsSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.sms_settings_update(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("SMS settings saved."))
            return redirect("sms:settings")
    callback = request.build_absolute_uri(reverse("sms:callback")) + "?secret=…"
    return render(request, "sms/settings.html", {"form": form, "state": current, "test_form": SmsTestForm(),
                                                 "callback_url": callback})


@login_required
@require_POST
def settings_test_view(request):
    """Send the test SMS and say how it went."""
    _require_configure(request)
    form = SmsTestForm(request.POST)
    if form.is_valid():
        try:
            sent = services.sms_test_send(user=request.user, to=form.cleaned_data["to"])
        except SERVICE_ERRORS as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            if sent.status == SmsStatus.SENT:
                messages.success(request, _("Test SMS sent to %(to)s.") % {"to": sent.to})
            else:
                messages.error(request, _("Test SMS not sent: %(error)s") % {"error": sent.error})
    return redirect("sms:settings")


@login_required
@require_POST
def settings_balance_view(request):
    """Ask the provider for the balance."""
    _require_configure(request)
    try:
        services.sms_balance_refresh(user=request.user)
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("sms:settings")


@csrf_exempt
@require_POST
def callback_view(request):
    """The provider's delivery reports: taken only with the callback secret and the provider's signature."""
    answer = services.sms_delivery_reports(data=request.POST, secret=request.GET.get("secret", ""),
                                           remote=request.META.get("REMOTE_ADDR", ""))
    if answer is None:
        return HttpResponseForbidden("refused", content_type="text/plain")
    return HttpResponse(answer, content_type="text/plain")
