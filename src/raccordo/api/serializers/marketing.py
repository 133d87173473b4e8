"""Serializers of segments, mass e-mails and campaigns (with their ROI on money actually paid)."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.api.fields import UserField
from raccordo.campaigns.models import Campaign, CampaignEvent
from raccordo.segments.models import Mailing, Segment
from raccordo.segments.selectors import mailing_progress

from .base import BaseModelSerializer


class SegmentSerializer(BaseModelSerializer):
    owner = UserField(read_only=True)
    filters = serializers.DictField(required=False, help_text=(
        "Dynamic filters (all optional, combined): tags, kind, country, city, responsible, paid_min with paid_from/"
        "paid_to, bought_after, bought_before, product_groups, open_deal (yes/no), consent (email/sms), "
        "abc_class ([A, B, C]), xyz_class ([X, Y, Z]). An unknown or malformed one is refused by name."))

    class Meta:
        model = Segment
        fields = ["id", "name", "kind", "target", "filters", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]
        create_only_fields = ["kind", "target"]


class SegmentMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SegmentMembersSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many members the caller sees, counted now.")
    results = SegmentMemberSerializer(many=True)


class MailingSerializer(BaseModelSerializer):
    created_by = UserField(read_only=True)
    progress = serializers.SerializerMethodField(help_text="Recipients by status, how many are done, the percent.")
    expected = serializers.IntegerField(write_only=True, required=False,
                                        help_text="The count the sender saw: refused when the segment changed since.")

    class Meta:
        model = Mailing
        fields = ["id", "name", "segment", "campaign", "template", "expected", "status", "created_by", "total",
                  "skipped_opted_out", "skipped_no_email", "skipped_bounced", "skipped_duplicates", "progress",
                  "created_at", "finished_at"]
        read_only_fields = ["id", "status", "created_by", "total", "skipped_opted_out", "skipped_no_email",
                            "skipped_bounced", "skipped_duplicates", "created_at", "finished_at"]
        extra_kwargs = {"name": {"required": False, "help_text": "Defaults to the template's name."}}

    def get_progress(self, obj) -> dict[str, int]:
        return mailing_progress(obj)


class CampaignEventSerializer(BaseModelSerializer):
    owner = UserField(read_only=True)

    class Meta:
        model = CampaignEvent
        fields = ["id", "name", "kind", "starts_on", "ends_on", "owner", "depends_on"]
        read_only_fields = fields


class CampaignSerializer(BaseModelSerializer):
    owner = UserField(required=False, allow_null=True)
    events = CampaignEventSerializer(many=True, read_only=True)
    paid_revenue = serializers.SerializerMethodField(
        help_text="Payments from accounting (not reversed, in the installation's currency) allocated to invoices "
                  "of deals whose source is the campaign, as the caller may see them.")
    roi = serializers.SerializerMethodField(help_text="paid_revenue / actual_cost, two decimals; null with no cost.")

    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "budget", "actual_cost", "starts_on", "ends_on", "owner", "segment",
                  "description", "events", "paid_revenue", "roi", "created_at", "updated_at"]
        read_only_fields = ["id", "events", "paid_revenue", "roi", "created_at", "updated_at"]

    def _roi(self, obj):
        return self.context["roi"].get(str(obj.pk))

    def get_paid_revenue(self, obj) -> str | None:
        line = self._roi(obj)
        return str(line.revenue) if line else None

    def get_roi(self, obj) -> str | None:
        line = self._roi(obj)
        return str(line.roi) if line and line.roi is not None else None
