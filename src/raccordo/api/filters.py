"""Filter backends and filter sets of the API.

Filters only narrow a queryset that is already limited to what the caller may see. Foreign keys are
filtered by id with plain UUID filters, never with choice filters over the whole related table: those
would answer "not a valid choice" for an id that exists but is not visible, and so tell that it exists.
"""

from __future__ import annotations

import django_filters
from rest_framework import filters

from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.catalog.models import Price, PriceType, Product, StockLevel, Warehouse
from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.sales.models import Deal, Invoice, Payment, Stage, StageKind


class SearchFilter(filters.SearchFilter):
    """`?search=`: the view's own `search_queryset(queryset, term)` (a selector's search) or its `search_fields`."""

    def filter_queryset(self, request, queryset, view):
        search = getattr(view, "search_queryset", None)
        if search is None:
            return super().filter_queryset(request, queryset, view)
        term = request.query_params.get(self.search_param, "").replace("\x00", "").strip()
        return search(queryset, term) if term else queryset

    def get_schema_operation_parameters(self, view):
        if getattr(view, "search_queryset", None) is None and not getattr(view, "search_fields", None):
            return []
        params = super().get_schema_operation_parameters(view)
        description = getattr(view, "search_description", None)
        if description:
            for param in params:
                param["description"] = description
        return params


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=`: only the fields the view lists; documented only where there are some."""

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "ordering_fields", None):
            return []
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"] = {"type": "string",
                               "enum": [p + f for f in view.ordering_fields for p in ("", "-")]}
        return params


def uuid_filter(field_name: str, help_text: str = "", distinct: bool = False) -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(field_name=field_name, label=help_text or None, distinct=distinct)


class CounterpartyFilter(django_filters.FilterSet):
    responsible = uuid_filter("responsible", "Responsible manager's id")
    tag = uuid_filter("tags", "Tag id")
    price_type = uuid_filter("price_type")

    class Meta:
        model = Counterparty
        fields = ["kind", "is_vip", "is_active", "inn", "kpp", "country", "segment"]


class ContactPersonFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")

    class Meta:
        model = ContactPerson
        fields = ["is_active"]


class ProductFilter(django_filters.FilterSet):
    group = uuid_filter("group")

    class Meta:
        model = Product
        fields = ["article", "barcode", "is_service", "is_active"]


class PriceTypeFilter(django_filters.FilterSet):
    class Meta:
        model = PriceType
        fields = ["currency", "is_default"]


class PriceFilter(django_filters.FilterSet):
    product = uuid_filter("product")
    price_type = uuid_filter("price_type")

    class Meta:
        model = Price
        fields = []


class WarehouseFilter(django_filters.FilterSet):
    class Meta:
        model = Warehouse
        fields = ["is_active"]


class StockLevelFilter(django_filters.FilterSet):
    product = uuid_filter("product")
    warehouse = uuid_filter("warehouse")

    class Meta:
        model = StockLevel
        fields = []


class StageFilter(django_filters.FilterSet):
    funnel = uuid_filter("funnel")

    class Meta:
        model = Stage
        fields = ["kind"]


class DealFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    funnel = uuid_filter("funnel")
    stage = uuid_filter("stage")
    manager = uuid_filter("manager")
    is_open = django_filters.BooleanFilter(method="filter_open", label="Only open (true) or closed (false) deals")

    class Meta:
        model = Deal
        fields = {"currency": ["exact"], "expected_close": ["gte", "lte"]}

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(stage__kind=StageKind.OPEN) if value else queryset.exclude(stage__kind=StageKind.OPEN)


class InvoiceFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")
    own_company = uuid_filter("own_company")
    responsible = uuid_filter("responsible")

    class Meta:
        model = Invoice
        fields = {"status": ["exact"], "currency": ["exact"], "number": ["exact"], "date": ["gte", "lte"],
                  "due_date": ["gte", "lte"]}


class PaymentFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    invoice = uuid_filter("allocations__invoice", "Payments allocated to this invoice", distinct=True)

    class Meta:
        model = Payment
        fields = {"currency": ["exact"], "date": ["gte", "lte"]}


class TaskFilter(django_filters.FilterSet):
    assignee = uuid_filter("assignee")
    author = uuid_filter("author")
    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")

    class Meta:
        model = Task
        fields = {"status": ["exact"], "priority": ["exact"], "due_at": ["gte", "lte"]}


class InteractionFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    contact = uuid_filter("contact")
    deal = uuid_filter("deal")
    author = uuid_filter("author")

    class Meta:
        model = Interaction
        fields = {"kind": ["exact"], "direction": ["exact"], "occurred_at": ["gte", "lte"]}


class ComplaintFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    responsible = uuid_filter("responsible")

    class Meta:
        model = Complaint
        fields = {"status": ["exact"], "deadline": ["gte", "lte"]}


class ReminderFilter(django_filters.FilterSet):
    counterparty = uuid_filter("counterparty")
    user = uuid_filter("user")

    class Meta:
        model = Reminder
        fields = {"is_done": ["exact"], "importance": ["exact"], "start_at": ["gte", "lte"]}
