"""The one filter definition of each sales list (deals, invoices, payments, stages), for selectors, web and API.

"Open deal" is defined here once (`open_deal`), and used by the deal list, the board and the API alike.
"""

from __future__ import annotations

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import team_members
from raccordo.activities.filters import OPEN_TASK_STATUSES
from raccordo.activities.models import Reminder, Task
from raccordo.core.filters import FilterSet, chip, chip_on, uuid_filter

from .models import Deal, Invoice, InvoiceStatus, Payment, Stage, StageKind

OPEN_INVOICE_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID]


def open_deal() -> Exists:
    """A deal is open while its stage is of the open kind.

    A per-row test rather than a join: a list then walks its (created_at, id) index and stops after a page,
    where SQLite would otherwise collect every open deal by stage and sort them all.
    """
    return Exists(Stage.objects.filter(pk=OuterRef("stage_id"), kind=StageKind.OPEN))


def deals_open(queryset: QuerySet[Deal], is_open: bool = True) -> QuerySet[Deal]:
    """Only the open deals of `queryset` (or, with `is_open=False`, only the closed ones)."""
    return queryset.filter(open_deal() if is_open else ~open_deal())


def deals_without_next_step(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    """The open deals of `queryset` with nothing planned on them: no open task and no pending reminder on the deal.

    What a head chases first (the "no next step" chip and the team dashboard count the same deals)."""
    task = Task.objects.filter(deal_id=OuterRef("pk"), status__in=OPEN_TASK_STATUSES)
    reminder = Reminder.objects.filter(target_type=ContentType.objects.get_for_model(Deal), target_id=OuterRef("pk"),
                                       is_done=False)
    return deals_open(queryset).filter(~Exists(task), ~Exists(reminder))


class DealFilter(FilterSet):
    """Deals: by counterparty, funnel, stage, manager, currency, expected close; open/closed; the web's chips."""

    STATES = [("open", _("Open")), ("won", _("Won")), ("lost", _("Lost")), ("all", _("All"))]

    counterparty = uuid_filter("counterparty")
    funnel = uuid_filter("funnel")
    stage = uuid_filter("stage")
    manager = uuid_filter("manager")
    is_open = django_filters.BooleanFilter(method="filter_open", label="Only open (true) or closed (false) deals")
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state",
                                        label="open, won, lost or all (the web list's selector)")
    mine = chip("filter_mine", "1: only the caller's deals (they are the manager)")
    team = chip("filter_team", "1: only the deals of the caller's team (their managers are people the caller leads)")
    no_next_step = chip("filter_no_next_step", "1: only open deals with no open task and no pending reminder")

    class Meta:
        model = Deal
        fields = {"currency": ["exact"], "expected_close": ["gte", "lte"]}

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return deals_open(queryset, value)

    def filter_state(self, queryset, name, value):
        if value == "open":
            return deals_open(queryset)
        if value in (StageKind.WON, StageKind.LOST):
            return queryset.filter(stage__kind=value)
        return queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(manager=self.caller) if chip_on(value) else queryset

    def filter_team(self, queryset, name, value):
        return queryset.filter(manager__in=team_members(self.caller).values("pk")) if chip_on(value) else queryset

    def filter_no_next_step(self, queryset, name, value):
        return deals_without_next_step(queryset) if chip_on(value) else queryset


class InvoiceFilter(FilterSet):
    """Invoices: by counterparty, deal, own company, responsible, status, currency, number, dates; the web's chips."""

    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")
    own_company = uuid_filter("own_company")
    responsible = uuid_filter("responsible")
    overdue = chip("filter_overdue", "1: only issued, unpaid invoices past their due date")
    mine = chip("filter_mine", "1: only the caller's invoices (they are responsible)")

    class Meta:
        model = Invoice
        fields = {"status": ["exact"], "currency": ["exact"], "number": ["exact"], "date": ["gte", "lte"],
                  "due_date": ["gte", "lte"]}

    def filter_overdue(self, queryset, name, value):
        if not chip_on(value):
            return queryset
        return queryset.filter(status__in=OPEN_INVOICE_STATUSES, due_date__lt=timezone.localdate())

    def filter_mine(self, queryset, name, value):
        return queryset.filter(responsible=self.caller) if chip_on(value) else queryset


class PaymentFilter(FilterSet):
    """Payments: by counterparty, the invoice they are allocated to, currency and date."""

    counterparty = uuid_filter("counterparty")
    invoice = uuid_filter("allocations__invoice", "Payments allocated to this invoice", distinct=True)

    class Meta:
        model = Payment
        fields = {"currency": ["exact"], "date": ["gte", "lte"]}


class StageFilter(FilterSet):
    """Stages: by funnel and kind."""

    funnel = uuid_filter("funnel")

    class Meta:
        model = Stage
        fields = ["kind"]


def deal_search(queryset: QuerySet[Deal], term: str) -> QuerySet[Deal]:
    """Deals whose title or counterparty's name holds `term`."""
    return queryset.filter(Q(title__icontains=term) | Q(counterparty__name__icontains=term))


def invoice_search(queryset: QuerySet[Invoice], term: str) -> QuerySet[Invoice]:
    """Invoices whose number or counterparty's name holds `term`."""
    return queryset.filter(Q(number__icontains=term) | Q(counterparty__name__icontains=term))
