"""Serializers of funnels, deals, invoices and payments."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from raccordo.api.fields import UserField, VisibleRelatedField
from raccordo.parties.models import OwnCompany
from raccordo.sales.models import (
    Deal,
    DealLine,
    Funnel,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Stage,
)
from raccordo.sales.services import LineInput, payment_unallocated

from .base import BaseModelSerializer

LINE_FIELDS = ["id", "product", "description", "quantity", "unit", "price", "discount_percent", "vat_rate",
               "amount", "vat_amount", "position"]
LINE_READ_ONLY = ["id", "amount", "vat_amount", "position"]
LINE_EXTRA = {"description": {"required": False, "allow_blank": True,
                              "help_text": "Defaults to the product's name."}}


class StageSerializer(BaseModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "funnel", "name", "order", "kind", "probability"]
        read_only_fields = fields


class FunnelSerializer(BaseModelSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = Funnel
        fields = ["id", "name", "order", "is_default", "stages"]
        read_only_fields = fields


class DealLineSerializer(BaseModelSerializer):
    class Meta:
        model = DealLine
        fields = LINE_FIELDS
        read_only_fields = LINE_READ_ONLY
        extra_kwargs = LINE_EXTRA


class InvoiceLineSerializer(BaseModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS
        read_only_fields = LINE_READ_ONLY
        extra_kwargs = LINE_EXTRA


def line_inputs(lines: list[dict] | None) -> list[LineInput] | None:
    """Validated line dicts -> the services' LineInput (None stays None: lines not given)."""
    if lines is None:
        return None
    return [LineInput(**{k: v for k, v in line.items() if k in LineInput.__dataclass_fields__}) for line in lines]


def _current(serializer, attrs: dict, name: str):
    if name in attrs:
        return attrs[name]
    return getattr(serializer.instance, name, None) if serializer.instance is not None else None


def check_same_counterparty(serializer, attrs: dict, *names: str) -> None:
    """Related records (contact, deal, contract) must belong to the record's own counterparty."""
    counterparty = _current(serializer, attrs, "counterparty")
    errors = {}
    for name in names:
        related = attrs.get(name)
        if related is not None and counterparty is not None and related.counterparty_id != counterparty.pk:
            errors[name] = [_("It belongs to another counterparty.")]
    if errors:
        raise serializers.ValidationError(errors)


class DealSerializer(BaseModelSerializer):
    manager = UserField(required=False, allow_null=True,
                        help_text="Only administrators set it; others are the manager of their deals.")
    lines = DealLineSerializer(many=True, required=False,
                               help_text="When given, they replace the deal's lines and its amount is their total.")

    class Meta:
        model = Deal
        fields = ["id", "title", "counterparty", "contact", "manager", "funnel", "stage", "amount", "currency",
                  "expected_close", "probability", "closed_at", "lost_reason", "description", "lines",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "closed_at", "created_at", "updated_at"]
        extra_kwargs = {
            "funnel": {"required": False, "help_text": "Defaults to the stage's funnel or the default funnel."},
            "stage": {"required": False,
                      "help_text": "Defaults to the funnel's first stage; changing it moves the deal."},
        }
        admin_only_fields = ["manager"]
        create_only_fields = ["funnel"]

    def validate(self, attrs):
        check_same_counterparty(self, attrs, "contact")
        return attrs


class InvoiceSerializer(BaseModelSerializer):
    responsible = UserField(required=False, allow_null=True,
                            help_text="Only administrators set it; others are responsible for their invoices.")
    lines = InvoiceLineSerializer(many=True, required=False, help_text="Required on create.")
    own_company = VisibleRelatedField(queryset=OwnCompany.objects.all(), required=False,
                                      help_text="Defaults to the default own company.")
    outstanding = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "own_company", "counterparty", "deal", "contract", "date", "due_date", "currency",
                  "vat_included", "discount_percent", "status", "subtotal", "vat_amount", "total", "paid_amount",
                  "outstanding", "comment", "responsible", "lines", "cancel_reason", "created_at", "updated_at"]
        read_only_fields = ["id", "number", "status", "subtotal", "vat_amount", "total", "paid_amount",
                            "cancel_reason", "created_at", "updated_at"]
        extra_kwargs = {"date": {"required": False, "help_text": "Defaults to today."}}
        admin_only_fields = ["responsible"]
        # Uniqueness of the number is the model's (checked by the service's full_clean); it is read-only here.
        validators: list = []

    def validate(self, attrs):
        check_same_counterparty(self, attrs, "deal", "contract")
        return attrs


class PaymentAllocationSerializer(BaseModelSerializer):
    class Meta:
        model = PaymentAllocation
        fields = ["id", "invoice", "amount"]
        read_only_fields = ["id"]


class PaymentSerializer(BaseModelSerializer):
    allocations = PaymentAllocationSerializer(
        many=True, required=False,
        help_text="Invoices this payment settles; when omitted, the oldest open invoices (see auto_allocate).")
    auto_allocate = serializers.BooleanField(
        write_only=True, default=True,
        help_text="Without allocations, settle the counterparty's oldest open invoices in the payment's currency.")
    unallocated = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "counterparty", "date", "amount", "currency", "number", "comment", "allocations",
                  "auto_allocate", "unallocated", "reversed_at", "reversal_reason", "created_at", "updated_at"]
        read_only_fields = ["id", "reversed_at", "reversal_reason", "created_at", "updated_at"]

    @extend_schema_field(serializers.DecimalField(max_digits=18, decimal_places=2))
    def get_unallocated(self, obj: Payment) -> str:
        return f"{payment_unallocated(obj):.2f}"

    def validate(self, attrs):
        counterparty = attrs.get("counterparty")
        errors = []
        for allocation in attrs.get("allocations") or []:
            if counterparty is not None and allocation["invoice"].counterparty_id != counterparty.pk:
                errors.append({"invoice": [_("It belongs to another counterparty.")]})
            else:
                errors.append({})
        if any(errors):
            raise serializers.ValidationError({"allocations": errors})
        return attrs


class ReasonSerializer(serializers.Serializer):
    """Why an invoice is cancelled or a payment reversed: kept with the record and in its history."""

    reason = serializers.CharField(max_length=255, help_text="Why; required.")


class InvoicePaymentSerializer(serializers.Serializer):
    """A payment against one invoice. More than the invoice is owed is refused (409
    `sales.payment.overpayment`) unless `overpayment` is true: the rest then stays on the payment."""

    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    date = serializers.DateField()
    number = serializers.CharField(max_length=50, required=False, default="", allow_blank=True)
    comment = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    overpayment = serializers.BooleanField(required=False, default=False,
                                           help_text="Record what is above the amount due as an overpayment.")
