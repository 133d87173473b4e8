"""Serializer fields that keep the access policy: related records resolve only among what the caller sees."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from raccordo.access.policy import is_admin, visible
from raccordo.core.inputs import validate_date_range


def request_user(context: dict):
    request = context.get("request")
    return getattr(request, "user", None)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given by id, looked up only among the records the caller may see.

    An id of a record the caller may not see is refused exactly like an id that does not exist,
    so the API never tells whether someone else's record is there.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if queryset is None:
            return None
        return visible(queryset, request_user(self.context))


class UserField(serializers.PrimaryKeyRelatedField):
    """A user given by id: any active user (users are colleagues, not client data)."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)

    def get_queryset(self):
        user = request_user(self.context)
        if user is None or not user.is_authenticated:
            return get_user_model().objects.none()
        return super().get_queryset()


class ContactPointsField(serializers.Field):
    """Phones or e-mails of a record: objects when read, a list of strings when written (on create only)."""

    default_error_messages = {
        "not_a_list": _("Expected a list of strings."),
        "too_many": _("At most %(max)s items."),
        "blank": _("This item may not be blank."),
    }

    def __init__(self, *, serializer_class, max_items: int = 20, **kwargs):
        self.serializer_class = serializer_class
        self.max_items = max_items
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        items = value.all() if hasattr(value, "all") else value
        # One item serializer for the whole response: building its fields for every row of a page of 100
        # cost more than everything else the page does.
        child = getattr(self, "_child", None)
        if child is None:
            child = self._child = self.serializer_class(context=self.context)
        return [child.to_representation(item) for item in items]

    def to_internal_value(self, data):
        if isinstance(data, str) or not isinstance(data, list | tuple):
            self.fail("not_a_list")
        if len(data) > self.max_items:
            raise serializers.ValidationError(self.error_messages["too_many"] % {"max": self.max_items})
        values, errors = [], {}
        for index, item in enumerate(data):
            if not isinstance(item, str):
                errors[index] = [self.error_messages["not_a_list"]]
            elif not item.strip():
                errors[index] = [self.error_messages["blank"]]
            else:
                values.append(item.strip())
        if errors:
            raise serializers.ValidationError(errors)
        return values


class PrefetchedManyRelatedField(serializers.ManyRelatedField):
    """A many-to-many field that reads the list a view prefetched into `prefetched_<source>` when there is one.

    Django's own prefetch gives each row a queryset of its own for a many-to-many relation, which costs
    more per row than the row's serialization (`Prefetch(..., to_attr=...)` stores a plain list instead).
    """

    def get_attribute(self, instance):
        cached = getattr(instance, f"prefetched_{self.source}", None)
        return cached if cached is not None else super().get_attribute(instance)


def caller_is_admin(context: dict) -> bool:
    """True for administrators, and while drf-spectacular builds the schema (it documents every field)."""
    view = context.get("view")
    if getattr(view, "swagger_fake_view", False):
        return True
    return is_admin(request_user(context))


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as its own named enum component (`enum_name`).

    For a choice set whose values and labels equal another one's (a reminder's importance and a task's
    priority are both low/normal/high): left alone, drf-spectacular would give one choice set two names.
    """

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class _BoundedTemporal:
    """Dates between 1900 and 2999 only (core.inputs): year 1 is a 400 on the field, not an OverflowError."""

    def to_internal_value(self, value):
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            # Year 1 in a time zone east of UTC has no UTC equivalent: it is out of range like any other.
            result = dt.date.min
        try:
            validate_date_range(result)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return result


class BoundedDateTimeField(_BoundedTemporal, serializers.DateTimeField):
    """A date-time the database and time-zone arithmetic can hold."""


class BoundedDateField(_BoundedTemporal, serializers.DateField):
    """A date within the range every date of Raccordo keeps to."""
