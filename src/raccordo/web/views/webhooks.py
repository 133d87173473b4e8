"""The webhook delivery log's one action: send a delivery again (the list and form are settings pages)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import may_manage_webhooks
from raccordo.webhooks.models import WebhookDelivery
from raccordo.webhooks.services import replay


@login_required
@require_POST
def webhook_replay_view(request, pk: int):
    """Queue a delivery to be sent again; back to its webhook's page."""
    if not may_manage_webhooks(request.user):
        raise Http404
    delivery = WebhookDelivery.objects.filter(pk=pk).select_related("subscription").first()
    if delivery is None:
        raise Http404
    replay(user=request.user, delivery=delivery)
    messages.success(request, _("Delivery #%(id)s will be sent again within a minute.") % {"id": delivery.pk})
    return redirect(reverse("web:settings_webhooks_edit", args=[delivery.subscription_id]))
