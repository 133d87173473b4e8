"""API of webhook subscriptions (administrators): subscribe, change, remove, read the delivery log, replay."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.api.serializers.webhooks import WebhookDeliverySerializer, WebhookSubscriptionSerializer
from raccordo.webhooks import services
from raccordo.webhooks.models import WebhookDelivery, WebhookSubscription

from .base import CrudViewSet, ReadOnlyViewSet


class WebhookViewSet(CrudViewSet):
    """Webhook subscriptions: signed POSTs of record changes, deal stages, paid invoices and finished exchange runs.

    Each POST carries `X-Raccordo-Event`, `X-Raccordo-Delivery` and `X-Raccordo-Signature: t=<unix time>,v1=<hex>`
    where v1 = HMAC-SHA256(secret, "<t>." + body). Deliveries are retried with backoff and sent in journal order.
    """

    serializer_class = WebhookSubscriptionSerializer
    ordering_fields = ["created_at"]

    def get_base_queryset(self):
        return WebhookSubscription.objects.select_related("owner")

    def service_create(self, data):
        return services.subscription_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.subscription_update(user=self.request.user, subscription=instance, data=data)

    def service_delete(self, instance):
        services.subscription_delete(user=self.request.user, subscription=instance)


class WebhookDeliveryViewSet(ReadOnlyViewSet):
    """The delivery log: what was sent to whom, when, and what the receiver answered. POST .../replay/ resends."""

    serializer_class = WebhookDeliverySerializer
    ordering_fields = ["created_at"]
    filterset_fields = ["subscription", "status", "event"]

    def get_base_queryset(self):
        return WebhookDelivery.objects.all()

    @extend_schema(request=None, responses=WebhookDeliverySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = services.replay(user=request.user, delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)
