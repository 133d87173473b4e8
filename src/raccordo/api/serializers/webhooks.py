"""Serializers of webhook subscriptions and their deliveries."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.api.fields import UserField
from raccordo.webhooks.models import EventType, WebhookDelivery, WebhookSubscription

from .base import BaseModelSerializer


class WebhookSubscriptionSerializer(BaseModelSerializer):
    owner = UserField(help_text="Events come only for the records this user may see.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False)
    record_types = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                         help_text='Model labels ("sales.deal") for record.* events; empty: all.')
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                   help_text="HMAC-SHA256 signing secret; generated when not given, never shown.")

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "owner", "events", "record_types", "secret", "is_active", "last_delivery_at",
                  "last_error", "last_error_at", "created_at", "updated_at"]
        read_only_fields = ["id", "last_delivery_at", "last_error", "last_error_at", "created_at", "updated_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event", "seq", "object_type", "object_id", "payload", "status", "attempts",
                  "next_attempt_at", "response_status", "last_error", "created_at", "delivered_at"]
        read_only_fields = fields
