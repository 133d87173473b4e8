"""Web form pages: the administrators' set-up with the snippet to embed, and the public endpoint sites post to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import may_manage_web_forms
from raccordo.access.throttle import client_ip
from raccordo.core.errors import ApplicationError
from raccordo.web.views.base import apply_errors

from . import selectors, webforms
from .forms import WebFormForm
from .models import WebForm

# Submissions a client address may make to one form in a minute: more is a script, not a visitor.
SUBMISSIONS_PER_MINUTE = 5
# The hidden field a person never sees nor fills; a bot that fills every field gets "thank you" and nothing stored.
HONEYPOT = "website"


def _require_admin(request) -> None:
    if not may_manage_web_forms(request.user):
        raise PermissionDenied


@login_required
@require_GET
def web_form_list_view(request):
    """The web forms (administrators)."""
    _require_admin(request)
    return render(request, "campaigns/web_forms.html", {"forms": selectors.web_form_list(user=request.user)})


@login_required
def web_form_edit_view(request, pk=None):
    """Set up a web form; once saved, the snippet to paste on the site is shown under it."""
    _require_admin(request)
    instance = WebForm() if pk is None else selectors.web_form_list(user=request.user).filter(pk=pk).first()
    if instance is None:
        raise Http404
    form = WebFormForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if pk is None:
                instance = webforms.web_form_create(user=request.user, data=form.service_data())
            else:
                instance = webforms.web_form_update(user=request.user, form=instance, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc, {"fields": "fields_asked"})
        else:
            messages.success(request, _("The web form is saved."))
            return redirect("campaigns:web_form_edit", pk=instance.pk)
    return render(request, "campaigns/web_form_edit.html", {
        "form": form, "web_form": instance if pk else None,
        "snippet": snippet(request, instance) if pk else ""})


def snippet(request, form: WebForm) -> str:
    """The HTML an administrator pastes on the site: a place for the form and the script that draws it."""
    endpoint = request.build_absolute_uri(reverse("campaigns:web_form_submit", args=[form.pk]))
    script = request.build_absolute_uri(static("campaigns/webform.js"))
    return str(format_html(
        '<div data-raccordo-form="{}"></div>\n<script src="{}" data-endpoint="{}" data-fields="{}" '
        'data-consent="{}" data-success-url="{}" defer></script>',
        form.pk, script, endpoint, ",".join(form.fields or []), form.consent_text, form.success_url))


def _cors(response, origin: str):
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _rate_limited(form: WebForm, ip: str) -> bool:
    key = f"raccordo:webform:{form.pk}:{ip}"
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) > SUBMISSIONS_PER_MINUTE
    except ValueError:  # expired between add and incr: this is the first of a new minute
        cache.set(key, 1, timeout=60)
        return False


@csrf_exempt
@require_POST
def web_form_submit_view(request, pk):
    """A visitor's submission from the company's site: only from allowed origins, limited, with a honeypot."""
    form = WebForm.objects.filter(pk=pk, is_active=True).select_related("campaign").first()
    if form is None:
        raise Http404
    origin = request.headers.get("Origin", "")
    if not webforms.origin_allowed(form, origin):
        return JsonResponse({"ok": False, "message": _("This site may not send this form.")}, status=403)
    if _rate_limited(form, client_ip(request)):
        return _cors(JsonResponse({"ok": False, "message": _("Too many submissions; try again in a minute.")},
                                  status=429), origin)
    thanks = {"ok": True, "message": _("Thank you! We will get in touch soon."), "redirect": form.success_url}
    if request.POST.get(HONEYPOT):
        return _cors(JsonResponse(thanks), origin)
    try:
        webforms.web_form_submit(form=form, data=request.POST.dict(), ip=client_ip(request) or None)
    except ValidationError as exc:
        return _cors(JsonResponse({"ok": False, "errors": exc.message_dict}, status=400), origin)
    return _cors(JsonResponse(thanks), origin)
