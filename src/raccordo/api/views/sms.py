"""API of SMS: send one message, list them; preview, start and follow a mass send."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.access.policy import may_mass_send
from raccordo.api.serializers.sms import (
    SmsCampaignSerializer,
    SmsMessageSerializer,
    SmsPreviewRequestSerializer,
    SmsPreviewSerializer,
)
from raccordo.comms.channels import recipient_address
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.sms import campaigns, selectors, services
from raccordo.sms.filters import SmsCampaignFilter, SmsMessageFilter
from raccordo.sms.tasks import campaign_run_task

from .base import CreateReadViewSet


class SmsMessageViewSet(CreateReadViewSet):
    """SMS to the clients the caller may see (or sent by the caller). POST sends one now: the answer says whether
    the provider took it (status "sent") or refused it (status "refused", with its reason in "error")."""

    serializer_class = SmsMessageSerializer
    filterset_class = SmsMessageFilter
    ordering_fields = ["created_at"]
    search_fields = ["to", "text"]

    def get_base_queryset(self):
        return selectors.sms_list(user=self.request.user)

    def service_create(self, data):
        counterparty, contact = data.get("counterparty"), data.get("contact")
        to = (data.get("to") or "").strip()
        if not to and counterparty is not None:
            to = recipient_address("sms", counterparty, contact)
        if not to:
            raise ApplicationError("Give a number or a client with a phone on the card.", code="sms.no_address")
        return services.sms_send(user=self.request.user, to=to, text=data.get("text", ""),
                                 counterparty=counterparty, contact=contact)


class SmsCampaignViewSet(CreateReadViewSet):
    """Mass SMS: POST .../preview/ counts a segment (the counterparty list's filters); POST starts a send to it
    (sent by the worker at the provider's rate); GET follows its progress."""

    serializer_class = SmsCampaignSerializer
    filterset_class = SmsCampaignFilter
    ordering_fields = ["created_at"]

    def _allowed(self) -> None:
        if not may_mass_send(self.request.user):
            raise PermissionDenied("You may not send mass SMS.", code="sms.campaign.denied")

    def get_base_queryset(self):
        return selectors.campaign_list(user=self.request.user)

    def service_create(self, data):
        self._allowed()
        filters = campaigns.segment_filters(data.get("filters") or {})
        return campaigns.campaign_start(user=self.request.user, name=data.get("name", ""), text=data.get("text", ""),
                                        filters=filters, search=data.get("search", ""),
                                        expected=data.get("expected"), queue=campaign_run_task)

    @extend_schema(request=SmsPreviewRequestSerializer, responses=SmsPreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """How many a send to this segment would reach, and why the rest would not."""
        self._allowed()
        body = SmsPreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preview = campaigns.campaign_preview(user=request.user,
                                             filters=campaigns.segment_filters(body.validated_data.get("filters", {})),
                                             search=body.validated_data.get("search", ""))
        return Response(SmsPreviewSerializer({"count": preview.count, "clients": preview.clients,
                                              "no_mobile": preview.no_mobile, "opted_out": preview.opted_out,
                                              "duplicates": preview.duplicates}).data)
