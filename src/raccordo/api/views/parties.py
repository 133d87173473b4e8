"""API of counterparties and contact persons."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.response import Response

from raccordo.api.serializers.parties import ContactPersonSerializer, CounterpartySerializer
from raccordo.parties import search, selectors, services
from raccordo.parties.filters import ContactPersonFilter, CounterpartyFilter

from .base import CrudViewSet

_DUPLICATE = OpenApiResponse(description="Another counterparty has this INN (+KPP): `{code: "
                              "\"parties.counterparty.duplicate\", message, extra: {blocked, matches}}`; each match is "
                              "`{visible, responsible}`, plus `id, name, inn, kpp` when the caller sees it.")


@extend_schema_view(create=extend_schema(responses={201: CounterpartySerializer, 409: _DUPLICATE}),
                    update=extend_schema(responses={200: CounterpartySerializer, 409: _DUPLICATE}),
                    partial_update=extend_schema(responses={200: CounterpartySerializer, 409: _DUPLICATE}))
class CounterpartyViewSet(CrudViewSet):
    """Companies, sole traders and people we sell to, with their phones, e-mails and addresses.

    A manager sees and changes the counterparties they are responsible for; administrators see all.
    `responsible` is set by administrators only; anyone else's new counterparty is their own.

    A new INN (+KPP) that another counterparty has is answered 409 `parties.counterparty.duplicate` with the
    matches in `extra.matches`: id and name of those the caller sees, only the responsible manager's name of
    the others. Send it again with `duplicate_confirmed: true` to save it anyway (unless `extra.blocked`).
    """

    serializer_class = CounterpartySerializer
    filterset_class = CounterpartyFilter
    ordering_fields = ["name", "inn", "created_at", "updated_at"]
    search_description = ("Name, INN, VAT number, phone (any format) or e-mail. Every word must occur: words of three "
                          "characters or more anywhere, shorter ones at the start of a word.")

    def get_base_queryset(self):
        return selectors.counterparty_list(user=self.request.user).prefetch_related(
            "phones", "emails", "addresses", Prefetch("tags", to_attr="prefetched_tags"))

    def search_queryset(self, queryset, term):
        # `queryset` already went through the access policy (get_queryset); the search only narrows it.
        return search.counterparties_matching(queryset, term)

    def service_create(self, data):
        tags, phones, emails = data.pop("tags", None), data.pop("phones", None), data.pop("emails", None)
        confirmed = data.pop("duplicate_confirmed", False)
        return services.counterparty_create(user=self.request.user, data=data, tags=tags, phones=phones,
                                            emails=emails, duplicate_confirmed=confirmed)

    def service_update(self, instance, data):
        tags, confirmed = data.pop("tags", None), data.pop("duplicate_confirmed", False)
        return services.counterparty_update(user=self.request.user, counterparty=instance, data=data, tags=tags,
                                            duplicate_confirmed=confirmed)

    @extend_schema(responses={204: None, 200: CounterpartySerializer})
    def destroy(self, request, *args, **kwargs):
        """Delete a counterparty (204), or archive it when it has deals, contracts, invoices, payments or
        shipments (200 with the counterparty, `is_active` false)."""
        with transaction.atomic():
            counterparty = self.get_object()
            outcome = services.counterparty_delete(user=request.user, counterparty=counterparty)
        if outcome == "archived":
            return Response(self.get_serializer(self.reload(counterparty)).data)
        return Response(status=204)


class ContactPersonViewSet(CrudViewSet):
    """Contact persons of the counterparties the caller may see."""

    serializer_class = ContactPersonSerializer
    filterset_class = ContactPersonFilter
    ordering_fields = ["last_name", "first_name", "created_at", "updated_at"]
    search_description = ("Name, position, counterparty name, phone (any format) or e-mail. Every word must occur: "
                          "words of three characters or more anywhere, shorter ones at the start of a word.")

    def get_base_queryset(self):
        return selectors.contact_list(user=self.request.user).prefetch_related("phones", "emails")

    def search_queryset(self, queryset, term):
        return search.contacts_matching(queryset, term)

    def service_create(self, data):
        counterparty = data.pop("counterparty")
        phones, emails = data.pop("phones", None), data.pop("emails", None)
        return services.contact_create(user=self.request.user, counterparty=counterparty, data=data,
                                       phones=phones, emails=emails)

    def service_update(self, instance, data):
        return services.contact_update(user=self.request.user, contact=instance, data=data)

    def service_delete(self, instance):
        services.contact_delete(user=self.request.user, contact=instance)
