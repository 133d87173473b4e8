"""Serializers of telephony: calls (read only: the PBX writes them) and click-to-call."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.api.fields import NamedChoiceField, UserField
from raccordo.telephony.models import Call, CallDirection, CallStatus, Provider

from .base import BaseModelSerializer


class CallSerializer(BaseModelSerializer):
    user = UserField(read_only=True)
    provider = NamedChoiceField(enum_name="CallProviderEnum", choices=Provider.choices, read_only=True)
    direction = NamedChoiceField(enum_name="CallDirectionEnum", choices=CallDirection.choices, read_only=True)
    status = NamedChoiceField(enum_name="CallStatusEnum", choices=CallStatus.choices, read_only=True)

    class Meta:
        model = Call
        fields = ["id", "provider", "call_id", "direction", "status", "from_number", "to_number", "number",
                  "extension", "user", "counterparty", "contact", "started_at", "answered_at", "ended_at",
                  "duration_seconds", "disposition", "recording_url", "task", "created_at", "updated_at"]
        read_only_fields = fields


class ClickToCallSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, help_text="The number to dial, in any format (+7 495 123-45-67).")


class ClickToCallResultSerializer(serializers.Serializer):
    action_id = serializers.CharField(help_text="The ActionID of the Originate sent to Asterisk.")
