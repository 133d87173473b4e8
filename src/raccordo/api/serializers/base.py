"""The base serializer every Raccordo API serializer builds on."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from raccordo.access.policy import assignable_users
from raccordo.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    VisibleRelatedField,
    caller_is_admin,
    request_user,
)


class BaseModelSerializer(serializers.ModelSerializer):
    """Foreign keys resolve only among visible records; privileged and create-only fields are locked.

    Meta may declare:
        admin_only_fields: the fields that give a record to someone (responsible, manager, user). Writable
            by administrators and heads (and only with the people in their reach: anyone else is refused
            like an unknown id), read-only for everyone else (the service fills them in: a manager's own
            record is theirs). Mass assignment of them is never possible.
        create_only_fields: writable on create, read-only on update.
    """

    serializer_related_field = VisibleRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
        models.DateField: BoundedDateField,
    }

    def get_fields(self):
        fields = super().get_fields()
        meta = getattr(self, "Meta", None)
        privileged = [name for name in getattr(meta, "admin_only_fields", ()) if name in fields]
        if privileged and not caller_is_admin(self.context):
            reach = assignable_users(request_user(self.context))
            may_assign = reach.exclude(pk=getattr(request_user(self.context), "pk", None)).exists()
            for name in privileged:
                if may_assign:
                    fields[name].queryset = reach
                else:
                    fields[name].read_only = True
        if self.instance is not None and not getattr(self, "many", False):
            for name in getattr(meta, "create_only_fields", ()):
                if name in fields:
                    fields[name].read_only = True
        return fields
