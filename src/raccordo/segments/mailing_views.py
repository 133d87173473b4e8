"""The mass e-mail pages: the count and the template, the progress (polled by htmx), and the unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from raccordo.access.policy import may_mass_email
from raccordo.comms.models import Channel
from raccordo.comms.services import opt_out
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Counterparty
from raccordo.web.views.base import apply_errors, get_or_404

from . import mailing as service
from .forms import MailingForm
from .models import MailingStatus
from .selectors import mailing_get, mailing_list, mailing_progress, mailing_recipients, segment_get
from .tasks import mailing_run_task

SERVICE_ERRORS = (ValidationError, ApplicationError)
RECIPIENT_ROWS = 200


def _require_mass_email(request):
    if not may_mass_email(request.user):
        raise PermissionDenied


@login_required
@require_GET
def mailing_list_view(request):
    """The mass e-mails the user may see, newest first."""
    _require_mass_email(request)
    return render(request, "segments/mailing_list.html", {"mailings": mailing_list(user=request.user)[:100]})


@login_required
def mailing_new_view(request, pk):
    """The segment's recipients counted, the template chosen, and "Send"."""
    _require_mass_email(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk)
    preview = service.mailing_preview(user=request.user, segment=segment)
    form = MailingForm(request.POST or None, user=request.user,
                       initial={"expected": preview.count, "campaign": request.GET.get("campaign") or None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mailing = service.mailing_start(user=request.user, segment=segment, template=data["template"],
                                            name=data["name"], expected=data.get("expected"),
                                            campaign=data.get("campaign"), queue=mailing_run_task)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, ngettext("Sending to %(n)s recipient.", "Sending to %(n)s recipients.",
                                               mailing.total) % {"n": mailing.total})
            return redirect("segments:mailing_detail", pk=mailing.pk)
    return render(request, "segments/mailing_new.html", {"form": form, "preview": preview, "segment": segment})


@login_required
@require_GET
def mailing_detail_view(request, pk):
    """A mailing's progress and each recipient's status (the first ones, for a big mailing)."""
    _require_mass_email(request)
    mailing = get_or_404(mailing_get, user=request.user, pk=pk)
    template = ("segments/_mailing_progress.html" if request.GET.get("part") == "progress"
                else "segments/mailing_detail.html")
    return render(request, template, {
        "mailing": mailing, "progress": mailing_progress(mailing),
        "rows": mailing_recipients(user=request.user, mailing=mailing)[:RECIPIENT_ROWS],
        "running": mailing.status == MailingStatus.RUNNING})


@login_required
@require_POST
def mailing_cancel_view(request, pk):
    """Stop a running mailing."""
    _require_mass_email(request)
    mailing = get_or_404(mailing_get, user=request.user, pk=pk)
    if mailing.status == MailingStatus.RUNNING:
        service.mailing_cancel(user=request.user, mailing=mailing)
    return redirect("segments:mailing_detail", pk=mailing.pk)


# No login: the link comes from the e-mail; the signed token is the permission. No CSRF token either: mail
# programs post the one-click unsubscribe (RFC 8058) with no page to take one from, and all it can do is opt out.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token):
    """GET: a page asking to confirm; POST (the button, or a mail program's one-click): the opt-out is recorded."""
    try:
        data = service.read_unsubscribe_token(token)
    except ApplicationError as exc:
        return render(request, "segments/unsubscribe.html", {"error": exc.message}, status=400)
    done = False
    if request.method == "POST":
        counterparty = Counterparty.objects.filter(pk=data.get("c") or None).first()
        opt_out(user=None, channel=Channel.EMAIL, address=data["a"], counterparty=counterparty,
                reason="unsubscribe link")
        done = True
    return render(request, "segments/unsubscribe.html", {"address": data["a"], "done": done})
