"""Funnels, deals, contracts, invoices and payments in the admin.

Invoice and deal lines are shown read-only: their totals, numbering and payment status are kept in
step by the sales services, which the admin does not replace. For the same reason a deal's stage is moved on
the board or the deal's page (`deal_move` keeps its stage visits), not here, and stage visits are only shown.
"""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin

from .models import (
    AccountingShipment,
    Contract,
    Deal,
    DealLine,
    DealStageVisit,
    Funnel,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Stage,
)
from .services.stage_visits import stage_visit_open


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ("order", "name", "kind", "probability")


@admin.register(Funnel)
class FunnelAdmin(JournaledModelAdmin):
    list_display = ("name", "order", "is_default")
    search_fields = ("name",)
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(JournaledModelAdmin):
    list_display = ("name", "funnel", "order", "kind", "probability")
    list_filter = ("funnel", "kind")
    search_fields = ("name",)


class DealLineInline(ReadOnlyInline):
    model = DealLine
    fields = ("position", "description", "quantity", "unit", "price", "discount_percent", "vat_rate", "amount")
    readonly_fields = fields


class DealStageVisitInline(ReadOnlyInline):
    model = DealStageVisit
    fields = ("stage", "manager", "entered_at", "left_at")
    readonly_fields = fields


@admin.register(Deal)
class DealAdmin(JournaledModelAdmin):
    list_display = ("title", "counterparty", "funnel", "stage", "amount", "currency", "manager", "expected_close",
                    "created_at")
    list_filter = ("funnel", "stage", "currency", "manager")
    search_fields = ("title", "counterparty__name", "counterparty__inn")
    list_select_related = ("counterparty", "funnel", "stage", "manager")
    raw_id_fields = ("counterparty", "contact", "manager")
    readonly_fields = ("amount",)
    inlines = [DealLineInline, DealStageVisitInline]

    def get_readonly_fields(self, request, obj=None):
        # A deal's stage moves through deal_move, which closes and opens its stage visits; set only when adding.
        if obj is not None:
            return (*self.readonly_fields, "funnel", "stage", "closed_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            stage_visit_open(deal=obj, at=obj.created_at)


@admin.register(DealStageVisit)
class DealStageVisitAdmin(ReadOnlyModelAdmin):
    """Derived facts the deal services write: browsed here, never changed (the deal's journal is the record)."""

    list_display = ("deal", "funnel", "stage", "manager", "entered_at", "left_at")
    list_filter = ("funnel", "stage")
    search_fields = ("deal__title",)
    list_select_related = ("deal", "funnel", "stage", "manager")
    raw_id_fields = ("deal", "manager")
    list_per_page = 50
    show_full_result_count = False


@admin.register(Contract)
class ContractAdmin(JournaledModelAdmin):
    list_display = ("number", "date", "counterparty", "own_company", "currency", "valid_until")
    search_fields = ("number", "title", "counterparty__name")
    list_select_related = ("counterparty", "own_company")
    raw_id_fields = ("counterparty",)


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("position", "description", "quantity", "unit", "price", "discount_percent", "vat_rate", "amount",
              "vat_amount")
    readonly_fields = fields


class AllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fk_name = "invoice"
    fields = ("payment", "amount")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(JournaledModelAdmin):
    list_display = ("number", "date", "counterparty", "own_company", "status", "total", "paid_amount", "currency",
                    "due_date", "responsible")
    list_filter = ("status", "own_company", "currency")
    search_fields = ("number", "counterparty__name", "counterparty__inn")
    list_select_related = ("counterparty", "own_company", "responsible")
    raw_id_fields = ("counterparty", "deal", "contract", "responsible")
    date_hierarchy = "date"
    readonly_fields = ("number", "status", "subtotal", "vat_amount", "total", "paid_amount")
    inlines = [InvoiceLineInline, AllocationInline]


class PaymentAllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fk_name = "payment"
    fields = ("invoice", "amount")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(JournaledModelAdmin):
    list_display = ("date", "number", "counterparty", "amount", "currency", "comment")
    list_filter = ("currency",)
    search_fields = ("number", "comment", "counterparty__name")
    list_select_related = ("counterparty",)
    raw_id_fields = ("counterparty",)
    date_hierarchy = "date"
    inlines = [PaymentAllocationInline]


@admin.register(AccountingShipment)
class AccountingShipmentAdmin(JournaledModelAdmin):
    """Shipments accounting reported without a Raccordo invoice; the exchange keeps them, so read here."""

    list_display = ("date", "number", "counterparty", "amount", "currency")
    search_fields = ("number", "counterparty__name")
    list_select_related = ("counterparty",)
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
