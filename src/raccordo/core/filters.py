"""The base of every list's filter set (django-filter), shared by the selectors, the web lists and the API.

Each app defines one `FilterSet` per list in its own `filters.py`; its selector applies it
(`deal_list(user=..., filters=request.GET)`), and the API names the same class as its `filterset_class`.
Filters only narrow a queryset that is already limited to what the caller may see. Foreign keys are
filtered by id with plain UUID filters, never with choice filters over the whole related table: those
would answer "not a valid choice" for an id that exists but is not visible, and so tell that it exists.

Two readers, two tempers: the API rejects a bad value with a 400 (DRF's filter backend checks the form
first), while a web list ignores a value it does not understand, except an id that is no id, which
matches nothing, as a link to a record that cannot exist should.
"""

from __future__ import annotations

import django_filters

from .inputs import BoundedDatesMixin

CHIP_ON = "1"


class FilterSet(django_filters.FilterSet):
    """A filter set that knows who asks (`caller`, for chips such as "mine") and accepts dates in 1900-2999 only.

    `user` defaults to the request's user, which is how DRF's backend builds it.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.caller = user if user is not None else getattr(request, "user", None)

    def get_form_class(self):
        return type(f"{super().get_form_class().__name__}Bounded", (BoundedDatesMixin, super().get_form_class()), {})

    @property
    def qs(self):
        """The narrowed queryset; nothing at all when an id filter got a value that is no id (see the module)."""
        if self.is_bound and any(isinstance(self.filters.get(name), django_filters.UUIDFilter)
                                 for name in self.errors):
            return self.queryset.none()
        return super().qs


def uuid_filter(field_name: str, help_text: str = "", distinct: bool = False) -> django_filters.UUIDFilter:
    """A filter on a related record's id (see the module's note on why not a choice filter)."""
    return django_filters.UUIDFilter(field_name=field_name, label=help_text or None, distinct=distinct)


def chip(method: str, help_text: str) -> django_filters.CharFilter:
    """An on/off chip of a list (`?mine=1`): `method` narrows the list when the value is "1", else nothing does."""
    return django_filters.CharFilter(method=method, label=help_text)


def chip_on(value) -> bool:
    """Whether a chip's value switches it on (only "1" does, as the web's checkboxes send it)."""
    return value == CHIP_ON
