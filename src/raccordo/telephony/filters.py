"""The one filter definition of the calls list (the API's; the card shows a client's calls on its feed)."""

from __future__ import annotations

import django_filters

from raccordo.core.filters import FilterSet, uuid_filter

from .models import Call, CallDirection, CallStatus


class CallFilter(FilterSet):
    """Calls: by counterparty, employee, status, direction, time."""

    counterparty = uuid_filter("counterparty")
    user = uuid_filter("user")
    status = django_filters.ChoiceFilter(choices=CallStatus.choices)
    direction = django_filters.ChoiceFilter(choices=CallDirection.choices)
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = ["counterparty", "user", "status", "direction"]
