"""API of segments, mass e-mails and campaigns: the same services and selectors as the pages, so the same rules
(whose segments, who may mass-mail, who plans campaigns, whose payments count in an ROI)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.access.policy import may_mass_email
from raccordo.api.serializers.marketing import (
    CampaignSerializer,
    MailingSerializer,
    SegmentMembersSerializer,
    SegmentSerializer,
)
from raccordo.campaigns import selectors as campaign_selectors
from raccordo.campaigns import services as campaign_services
from raccordo.core.errors import PermissionDenied
from raccordo.segments import mailing as mailing_service
from raccordo.segments import selectors, services
from raccordo.segments.models import Mailing, SegmentTarget
from raccordo.segments.tasks import mailing_run_task

from .base import CreateReadUpdateViewSet, CreateReadViewSet, CrudViewSet


class SegmentViewSet(CrudViewSet):
    """Saved choices of clients (or of their contact persons). GET .../members/ lists a segment's members as the
    caller sees them (a manager: only her clients), with the live count."""

    serializer_class = SegmentSerializer
    ordering_fields = ["name", "created_at"]
    search_fields = ["name"]

    def get_base_queryset(self):
        return selectors.segment_list(user=self.request.user)

    def service_create(self, data):
        return services.segment_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.segment_update(user=self.request.user, segment=instance, data=data)

    def service_delete(self, instance):
        services.segment_delete(user=self.request.user, segment=instance)

    @extend_schema(parameters=[OpenApiParameter("offset", int), OpenApiParameter("limit", int)],
                   responses=SegmentMembersSerializer)
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        """The members the caller sees, by name: `count` (live) and `results` from `offset`, at most `limit`
        (100 by default, 1,000 at most)."""
        segment = self.get_object()
        members = selectors.segment_members(user=request.user, segment=segment)
        offset, limit = _bounded(request.GET.get("offset"), 0, 10**9), _bounded(request.GET.get("limit"), 100, 1000)
        contacts = segment.target == SegmentTarget.CONTACTS
        rows = [{"id": m.pk, "name": str(m) if contacts else m.name} for m in members[offset:offset + limit]]
        return Response(SegmentMembersSerializer({"count": members.count(), "results": rows}).data)


def _bounded(raw, default: int, most: int) -> int:
    try:
        return max(0, min(int(raw), most))
    except (TypeError, ValueError):
        return default


class MailingViewSet(CreateReadViewSet):
    """Mass e-mails. POST starts one (segment, e-mail template, optional campaign and the expected count); the
    worker sends it at the configured rate; GET follows its progress."""

    serializer_class = MailingSerializer
    queryset = Mailing.objects.none()   # the schema's types only; get_base_queryset reads through the policy
    ordering_fields = ["created_at"]

    def get_base_queryset(self):
        if not may_mass_email(self.request.user):
            raise PermissionDenied("You may not send mass e-mail.", code="segments.mailing.denied")
        return selectors.mailing_list(user=self.request.user)

    def service_create(self, data):
        return mailing_service.mailing_start(user=self.request.user, segment=data["segment"],
                                             template=data["template"], name=data.get("name", ""),
                                             expected=data.get("expected"), campaign=data.get("campaign"),
                                             queue=mailing_run_task)


class CampaignViewSet(CreateReadUpdateViewSet):
    """Campaigns with their events and ROI on money actually paid (the caller's part of it). Administrators,
    marketers and heads of sales plan them."""

    serializer_class = CampaignSerializer
    ordering_fields = ["starts_on", "name"]
    search_fields = ["name"]

    def get_base_queryset(self):
        return campaign_selectors.campaign_list(user=self.request.user).prefetch_related("events__owner",
                                                                                         "events__depends_on")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return {**context, "roi": {}}
        lines = campaign_selectors.roi_by_campaign(user=self.request.user)
        return {**context, "roi": {line.key: line for line in lines}}

    def service_create(self, data):
        return campaign_services.campaign_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return campaign_services.campaign_update(user=self.request.user, campaign=instance, data=data)
