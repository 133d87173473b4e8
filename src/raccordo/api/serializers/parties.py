"""Serializers of counterparties, contact persons and their phones, e-mails and addresses."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from raccordo.api.fields import ContactPointsField, PrefetchedManyRelatedField, UserField, VisibleRelatedField
from raccordo.core.phones import normalize_phone
from raccordo.parties.models import Address, ContactPerson, Counterparty, Email, Phone, Tag

from .base import BaseModelSerializer


class PhoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phone
        fields = ["id", "number", "extension", "kind", "is_primary", "contact"]
        read_only_fields = fields


class EmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = ["id", "address", "is_primary", "contact"]
        read_only_fields = fields


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "kind", "text", "postcode", "city", "country"]
        read_only_fields = fields


def _check_phones(values: list[str]) -> list[str]:
    errors = {}
    for index, value in enumerate(values):
        try:
            normalize_phone(value)
        except DjangoValidationError as exc:
            errors[index] = exc.messages
    if errors:
        raise serializers.ValidationError(errors)
    return values


def _check_emails(values: list[str]) -> list[str]:
    errors = {}
    for index, value in enumerate(values):
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            errors[index] = exc.messages
    if errors:
        raise serializers.ValidationError(errors)
    return values


class ContactPointsMixin(serializers.Serializer):
    """`phones` and `emails`: read as objects; given as lists of strings when the record is created."""

    phones = ContactPointsField(serializer_class=PhoneSerializer,
                                help_text="Phone numbers in any format (stored in E.164); given on create only.")
    emails = ContactPointsField(serializer_class=EmailSerializer, help_text="E-mail addresses; given on create only.")

    def validate_phones(self, value):
        return _check_phones(value)

    def validate_emails(self, value):
        return _check_emails(value)


class CounterpartySerializer(ContactPointsMixin, BaseModelSerializer):
    responsible = UserField(required=False, allow_null=True,
                            help_text="Responsible manager; only administrators set it, others get themselves.")
    addresses = AddressSerializer(many=True, read_only=True)
    tags = PrefetchedManyRelatedField(child_relation=VisibleRelatedField(queryset=Tag.objects.all()),
                                      required=False, allow_empty=True)
    duplicate_confirmed = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="Save although another counterparty has the same INN (+KPP): the caller saw the 409 answer's "
                  "matches. Refused all the same when the server blocks duplicates (RACCORDO_DUPLICATE_CHECK).")

    class Meta:
        model = Counterparty
        fields = ["id", "kind", "name", "full_name", "inn", "kpp", "ogrn", "vat_number", "tax_code", "country",
                  "responsible", "is_vip", "is_active", "tags", "segment", "price_type", "website", "notes",
                  "phones", "emails", "addresses", "created_at", "updated_at", "duplicate_confirmed"]
        read_only_fields = ["id", "created_at", "updated_at"]
        admin_only_fields = ["responsible"]
        create_only_fields = ["phones", "emails"]


class ContactPersonSerializer(ContactPointsMixin, BaseModelSerializer):
    class Meta:
        model = ContactPerson
        fields = ["id", "counterparty", "last_name", "first_name", "middle_name", "position", "role", "birthday",
                  "is_active", "notes", "phones", "emails", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        create_only_fields = ["phones", "emails", "counterparty"]
