"""Base viewsets: reads through selectors (the access policy), writes through services, in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import translation
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets

from raccordo.access.middleware import preferred_language
from raccordo.access.policy import visible
from raccordo.api.filters import OrderingFilter, SearchFilter


class ApiViewSet(viewsets.GenericViewSet):
    """Every queryset comes from `get_base_queryset()` and then goes through `visible()`.

    Subclasses return a selector's queryset (already filtered by the policy) or a plain queryset; applying
    `visible()` once more costs a repeated WHERE clause and makes forgetting it impossible. A record the
    caller may not see is a 404 on detail, exactly like one that does not exist.
    """

    filter_backends = [DjangoFilterBackend, OrderingFilter, SearchFilter]
    # Cursor pagination pages on the first ordering field, so only non-null fields may be listed here.
    ordering_fields: list[str] = ["created_at"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A token's user is known only now, after the middleware chose from Accept-Language: the language they
        # chose in their profile wins, as on the site (texts rendered for the reader, e.g. a reminder's).
        code = preferred_language(request.user)
        if code and code != translation.get_language():
            translation.activate(code)
            request.LANGUAGE_CODE = code

    def get_base_queryset(self) -> models.QuerySet:
        raise ImproperlyConfigured(f"{type(self).__name__} must say where its records come from "
                                   "(get_base_queryset).")

    def get_queryset(self):
        return visible(self.get_base_queryset(), self.request.user)

    def reload(self, obj: models.Model) -> models.Model:
        """The record as the list/detail endpoints show it (with its prefetches), after a write."""
        return self.get_queryset().filter(pk=obj.pk).first() or obj


class ServiceCreateMixin(mixins.CreateModelMixin):
    """POST: validate with the serializer, create with the app's service (`service_create`)."""

    def create(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        obj = self.service_create(dict(serializer.validated_data))
        serializer.instance = self.reload(obj)

    def service_create(self, data: dict[str, Any]) -> models.Model:
        raise ImproperlyConfigured(f"{type(self).__name__} must name the service that writes (service_create).")


class ServiceUpdateMixin(mixins.UpdateModelMixin):
    """PUT/PATCH: validate with the serializer, change with the app's service (`service_update`)."""

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        obj = self.service_update(serializer.instance, dict(serializer.validated_data))
        serializer.instance = self.reload(obj)

    def service_update(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        raise ImproperlyConfigured(f"{type(self).__name__} must name the service that writes (service_update).")


class ServiceDestroyMixin(mixins.DestroyModelMixin):
    """DELETE through the app's service (`service_delete`)."""

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        self.service_delete(instance)

    def service_delete(self, instance: models.Model) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} must name the service that writes (service_delete).")


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """List and detail."""


class CreateReadViewSet(ServiceCreateMixin, ReadOnlyViewSet):
    """List, detail and create."""


class CreateReadUpdateViewSet(ServiceUpdateMixin, CreateReadViewSet):
    """List, detail, create, update (no delete: the domain keeps these records; close or cancel them)."""


class CrudViewSet(ServiceDestroyMixin, CreateReadUpdateViewSet):
    """List, detail, create, update, delete."""
