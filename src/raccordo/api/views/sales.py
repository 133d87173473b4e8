"""API of funnels, deals, invoices and payments."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.api.serializers.sales import (
    DealSerializer,
    FunnelSerializer,
    InvoicePaymentSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    ReasonSerializer,
    StageSerializer,
    line_inputs,
)
from raccordo.parties.selectors import default_own_company
from raccordo.sales import selectors, services
from raccordo.sales.filters import DealFilter, InvoiceFilter, PaymentFilter, StageFilter
from raccordo.sales.models import Funnel, Stage

from .base import CreateReadViewSet, CrudViewSet, ReadOnlyViewSet


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


class DealViewSet(CrudViewSet):
    """Deals of the counterparties the caller may see. Changing `stage` moves the deal (a lost stage needs
    `lost_reason`); giving `lines` replaces them and makes the amount their total. DELETE removes a deal with
    its lines; one with invoices is refused (409): close it as lost instead."""

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

    def service_delete(self, instance):
        services.deal_delete(user=self.request.user, deal=instance)


class InvoiceViewSet(CrudViewSet):
    """Invoices of the counterparties the caller may see. Totals follow from the lines; a draft is issued
    (numbered) with POST .../issue/. An issued invoice changes only its due date and comment, and is cancelled
    with a reason (POST .../cancel/); DELETE removes a draft only (409 for an issued one)."""

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

    def service_delete(self, instance):
        services.invoice_delete(user=self.request.user, invoice=instance)

    def _act(self, service):
        with transaction.atomic():
            invoice = service(user=self.request.user, invoice=self.get_object())
        return Response(self.get_serializer(self.reload(invoice)).data)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Number a draft invoice in its own company's yearly series and mark it issued."""
        return self._act(services.invoice_issue)

    @extend_schema(request=ReasonSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an invoice, with the reason (kept with it and journaled). 409 when it has payments (reverse
        them first) or is already cancelled."""
        invoice = self.get_object()   # a record the caller does not see is 404 whatever the body says
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            invoice = services.invoice_cancel(user=request.user, invoice=invoice, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.reload(invoice)).data)

    @extend_schema(request=InvoicePaymentSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def payment(self, request, pk=None):
        """Record a payment against this invoice. More than it is owed is refused (409
        `sales.payment.overpayment`, with what is owed) unless `overpayment` is true."""
        invoice = self.get_object()
        body = InvoicePaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            payment = services.invoice_payment_record(user=request.user, invoice=invoice, **body.validated_data)
        return Response(PaymentSerializer(payment, context=self.get_serializer_context()).data, status=201)


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

    @extend_schema(request=ReasonSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse a payment recorded by mistake, with the reason: its allocations are removed, the invoices
        owe again, and the payment stays on record as reversed. 403 without the right to delete payments, 409
        when it is already reversed."""
        payment = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            payment = services.payment_reverse(user=request.user, payment=payment, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.reload(payment)).data)
