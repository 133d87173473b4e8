"""The one filter definition of each parties list (counterparties, contact persons), for selectors, web and API."""

from __future__ import annotations

import django_filters

from raccordo.access.policy import team_members
from raccordo.core.filters import FilterSet, chip, chip_on, uuid_filter
from raccordo.segments.models import SegmentTarget
from raccordo.segments.selectors import segment_list, segment_members

from .models import ContactPerson, Counterparty


class CounterpartyFilter(FilterSet):
    """Counterparties: by responsible, tag, price type, kind, VIP, active, tax ids, country, segment; the web's chips."""

    responsible = uuid_filter("responsible", "Responsible manager's id")
    tag = uuid_filter("tags", "Tag id")
    price_type = uuid_filter("price_type")
    vip = chip("filter_vip", "1: only VIP counterparties (the web list's chip)")
    mine = chip("filter_mine", "1: only the caller's counterparties (they are responsible)")
    team = chip("filter_team", "1: only the counterparties of the caller's team (people the caller leads)")
    saved_segment = django_filters.UUIDFilter(method="filter_saved_segment",
                                              label="A saved segment's id (segments): only its members")

    class Meta:
        model = Counterparty
        fields = ["kind", "is_vip", "is_active", "inn", "kpp", "country", "segment"]

    def filter_vip(self, queryset, name, value):
        return queryset.filter(is_vip=True) if chip_on(value) else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(responsible=self.caller) if chip_on(value) else queryset

    def filter_team(self, queryset, name, value):
        return queryset.filter(responsible__in=team_members(self.caller).values("pk")) if chip_on(value) else queryset

    def filter_saved_segment(self, queryset, name, value):
        # A segment of contact persons, or one the caller does not see, leaves nobody (never everyone).
        segment = segment_list(user=self.caller).filter(pk=value, target=SegmentTarget.COUNTERPARTIES).first()
        if segment is None:
            return queryset.none()
        return queryset.filter(pk__in=segment_members(user=self.caller, segment=segment).values("pk"))


class ContactPersonFilter(FilterSet):
    """Contact persons: by counterparty and whether active."""

    counterparty = uuid_filter("counterparty")

    class Meta:
        model = ContactPerson
        fields = ["is_active"]
