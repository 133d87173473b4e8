"""Serializers of SMS: messages, mass sends, a mass send's preview."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.api.fields import UserField
from raccordo.sms.campaigns import campaign_progress
from raccordo.sms.models import SmsCampaign, SmsMessage

from .base import BaseModelSerializer


class SmsMessageSerializer(BaseModelSerializer):
    sent_by = UserField(read_only=True)
    to = serializers.CharField(max_length=30, required=False, allow_blank=True,
                               help_text="A phone number; defaults to the client's (contact's) mobile number.")

    class Meta:
        model = SmsMessage
        fields = ["id", "to", "text", "status", "provider_id", "error", "segments", "counterparty", "contact",
                  "sent_by", "campaign", "sent_at", "status_at", "created_at"]
        read_only_fields = ["id", "status", "provider_id", "error", "segments", "sent_by", "campaign", "sent_at",
                            "status_at", "created_at"]


class SmsCampaignSerializer(BaseModelSerializer):
    created_by = UserField(read_only=True)
    progress = serializers.SerializerMethodField(help_text="Messages by status, and how many are done.")
    search = serializers.CharField(write_only=True, required=False, allow_blank=True)
    expected = serializers.IntegerField(write_only=True, required=False,
                                        help_text="The preview's count: refused when the segment changed since.")

    class Meta:
        model = SmsCampaign
        fields = ["id", "name", "text", "filters", "search", "expected", "status", "created_by", "total",
                  "skipped_opted_out", "skipped_no_mobile", "skipped_duplicates", "progress", "created_at",
                  "finished_at"]
        read_only_fields = ["id", "status", "created_by", "total", "skipped_opted_out", "skipped_no_mobile",
                            "skipped_duplicates", "created_at", "finished_at"]

    def get_progress(self, obj) -> dict[str, int]:
        return campaign_progress(obj)


class SmsPreviewRequestSerializer(serializers.Serializer):
    filters = serializers.DictField(child=serializers.CharField(), required=False,
                                    help_text="The counterparty list's filters (kind, responsible, tag, vip, ...).")
    search = serializers.CharField(required=False, allow_blank=True)


class SmsPreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    clients = serializers.IntegerField()
    no_mobile = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    duplicates = serializers.IntegerField()
