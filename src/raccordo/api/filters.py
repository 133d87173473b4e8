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
from raccordo.core.inputs import BoundedDatesMixin, search_term
from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.sales.models import Deal, Invoice, Payment, Stage, StageKind


class SearchFilter(filters.SearchFilter):
    """`?search=`: the view's own `search_queryset(queryset, term)` (a selector's search) or its `search_fields`.

    The term is cleaned and cut to SEARCH_TERM_MAX characters either way (core.inputs.search_term).
    """

    def get_search_terms(self, request):
        term = search_term(request.query_params.get(self.search_param, ""))
        return super().get_search_terms(_OneParam(self.search_param, term))

    def filter_queryset(self, request, queryset, view):
        search = getattr(view, "search_queryset", None)
        if search is None:
            return super().filter_queryset(request, queryset, view)
        term = search_term(request.query_params.get(self.search_param, ""))
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


class _OneParam:
    """A stand-in request whose query string holds only the cleaned search term (for DRF's term splitting)."""

    def __init__(self, name: str, value: str):
        self.query_params = {name: value}


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


class FilterSet(django_filters.FilterSet):
    """A filter set whose date and date-time filters accept 1900-2999 only (`?due_at__gte=0001-01-01` is a 400)."""

    def get_form_class(self):
        return type(f"{super().get_form_class().__name__}Bounded", (BoundedDatesMixin, super().get_form_class()), {})


def uuid_filter(field_name: str, help_text: str = "", distinct: bool = False) -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(field_name=field_name, label=help_text or None, distinct=distinct)


class CounterpartyFilter(FilterSet):
    responsible = uuid_filter("responsible", "Responsible manager's id")
    tag = uuid_filter("tags", "Tag id")
    price_type = uuid_filter("price_type")

    class Meta:
        model = Counterparty
        fields = ["kind", "is_vip", "is_active", "inn", "kpp", "country", "segment"]


class ContactPersonFilter(FilterSet):
    counterparty = uuid_filter("counterparty")

    class Meta:
        model = ContactPerson
        fields = ["is_active"]


class ProductFilter(FilterSet):
    group = uuid_filter("group")

    class Meta:
        model = Product
        fields = ["article", "barcode", "is_service", "is_active"]


class PriceTypeFilter(FilterSet):
    class Meta:
        model = PriceType
        fields = ["currency", "is_default"]


class PriceFilter(FilterSet):
    product = uuid_filter("product")
    price_type = uuid_filter("price_type")

    class Meta:
        model = Price
        fields = []


class WarehouseFilter(FilterSet):
    class Meta:
        model = Warehouse
        fields = ["is_active"]


class StockLevelFilter(FilterSet):
    product = uuid_filter("product")
    warehouse = uuid_filter("warehouse")

    class Meta:
        model = StockLevel
        fields = []


class StageFilter(FilterSet):
    funnel = uuid_filter("funnel")

    class Meta:
        model = Stage
        fields = ["kind"]


class DealFilter(FilterSet):
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


class InvoiceFilter(FilterSet):
    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")
    own_company = uuid_filter("own_company")
    responsible = uuid_filter("responsible")

    class Meta:
        model = Invoice
        fields = {"status": ["exact"], "currency": ["exact"], "number": ["exact"], "date": ["gte", "lte"],
                  "due_date": ["gte", "lte"]}


class PaymentFilter(FilterSet):
    counterparty = uuid_filter("counterparty")
    invoice = uuid_filter("allocations__invoice", "Payments allocated to this invoice", distinct=True)

    class Meta:
        model = Payment
        fields = {"currency": ["exact"], "date": ["gte", "lte"]}


class TaskFilter(FilterSet):
    assignee = uuid_filter("assignee")
    author = uuid_filter("author")
    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")

    class Meta:
        model = Task
        fields = {"status": ["exact"], "priority": ["exact"], "due_at": ["gte", "lte"]}


class InteractionFilter(FilterSet):
    counterparty = uuid_filter("counterparty")
    contact = uuid_filter("contact")
    deal = uuid_filter("deal")
    author = uuid_filter("author")

    class Meta:
        model = Interaction
        fields = {"kind": ["exact"], "direction": ["exact"], "occurred_at": ["gte", "lte"]}


class ComplaintFilter(FilterSet):
    counterparty = uuid_filter("counterparty")
    responsible = uuid_filter("responsible")

    class Meta:
        model = Complaint
        fields = {"status": ["exact"], "deadline": ["gte", "lte"]}


class ReminderFilter(FilterSet):
    counterparty = uuid_filter("counterparty")
    user = uuid_filter("user")

    class Meta:
        model = Reminder
        fields = {"is_done": ["exact"], "importance": ["exact"], "start_at": ["gte", "lte"]}
