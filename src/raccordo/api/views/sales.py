"""API of funnels, deals, invoices and payments."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.api.serializers.sales import (
    DealSerializer,
    FunnelSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    StageSerializer,
    line_inputs,
)
from raccordo.parties.selectors import default_own_company
from raccordo.sales import selectors, services
from raccordo.sales.filters import DealFilter, InvoiceFilter, PaymentFilter, StageFilter
from raccordo.sales.models import Funnel, Stage

from .base import CreateReadUpdateViewSet, CreateReadViewSet, ReadOnlyViewSet


class FunnelViewSet(ReadOnlyViewSet):
    """Sales funnels with their stages."""

    serializer_class = FunnelSerializer
    ordering_fields = ["order", "name", "created_at"]

    def get_base_queryset(self):
        return Funnel.objects.prefetch_related("stages")


class StageViewSet(ReadOnlyViewSet):
    """Stages of all funnels."""

    serializer_class = StageSerializer
    filterset_class = StageFilter
    ordering_fields = ["order", "name", "created_at"]

    def get_base_queryset(self):
        return Stage.objects.all()


class DealViewSet(CreateReadUpdateViewSet):
    """Deals of the counterparties the caller may see. Changing `stage` moves the deal (a lost stage needs
    `lost_reason`); giving `lines` replaces them and makes the amount their total."""

    serializer_class = DealSerializer
    filterset_class = DealFilter
    ordering_fields = ["title", "amount", "created_at", "updated_at"]
    search_description = "Title or counterparty name."

    def get_base_queryset(self):
        return selectors.deal_list(user=self.request.user).prefetch_related("lines")

    def search_queryset(self, queryset, term):
        return queryset.filter(pk__in=selectors.deal_list(user=self.request.user, search=term).values("pk"))

    def service_create(self, data):
        lines = line_inputs(data.pop("lines", None))
        return services.deal_create(user=self.request.user, data=data, lines=lines)

    def service_update(self, instance, data):
        lines = line_inputs(data.pop("lines", None))
        stage = data.pop("stage", None)
        return services.deal_change(user=self.request.user, deal=instance, data=data, stage=stage, lines=lines)


class InvoiceViewSet(CreateReadUpdateViewSet):
    """Invoices of the counterparties the caller may see. Totals follow from the lines; a draft is issued
    (numbered) with POST .../issue/. An issued invoice changes only its due date and comment."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["date", "total", "created_at", "updated_at"]
    search_description = "Number or counterparty name."

    def get_base_queryset(self):
        return selectors.invoice_list(user=self.request.user).prefetch_related("lines")

    def search_queryset(self, queryset, term):
        return queryset.filter(pk__in=selectors.invoice_list(user=self.request.user, search=term).values("pk"))

    def service_create(self, data):
        lines = line_inputs(data.pop("lines", None)) or []
        if not data.get("own_company"):
            data["own_company"] = default_own_company()
        return services.invoice_create(user=self.request.user, data=data, lines=lines)

    def service_update(self, instance, data):
        lines = line_inputs(data.pop("lines", None))
        return services.invoice_update(user=self.request.user, invoice=instance, data=data, lines=lines)

    def _act(self, service):
        with transaction.atomic():
            invoice = service(user=self.request.user, invoice=self.get_object())
        return Response(self.get_serializer(self.reload(invoice)).data)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Number a draft invoice in its own company's yearly series and mark it issued."""
        return self._act(services.invoice_issue)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an invoice that has no payments allocated to it."""
        return self._act(services.invoice_cancel)


class PaymentViewSet(CreateReadViewSet):
    """Money received from counterparties the caller may see, with its allocation to invoices."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["date", "amount", "created_at"]
    search_fields = ["number", "comment", "counterparty__name"]

    def get_base_queryset(self):
        return selectors.payment_list(user=self.request.user).prefetch_related("allocations")

    def service_create(self, data):
        allocations = data.pop("allocations", None)
        auto_allocate = data.pop("auto_allocate", True)
        pairs = None if allocations is None else [(a["invoice"], a["amount"]) for a in allocations]
        return services.payment_record(user=self.request.user, data=data, allocations=pairs,
                                       auto_allocate=auto_allocate)
