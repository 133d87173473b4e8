"""API test helpers: clients for each kind of user and record makers for every endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.catalog.models import Price, PriceType, StockLevel, Warehouse
from raccordo.sales.models import Funnel, Invoice, Payment, Stage
from tests import factories


def _cp(owner):
    return factories.CounterpartyFactory(responsible=owner)


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Endpoint:
    """One API endpoint: how to make a record that belongs to `owner`, and whether everyone sees it."""

    basename: str
    make: Callable  # (owner, ref) -> model instance
    shared: bool = False
    writable: bool = True
    updatable: bool = True

    def __str__(self) -> str:
        return self.basename

    @property
    def list_url(self) -> str:
        return f"/api/v1/{self.path}/"

    @property
    def path(self) -> str:
        return {"counterparty": "counterparties", "contact": "contacts", "price-type": "price-types",
                "stock-level": "stock-levels"}.get(self.basename, f"{self.basename}s")

    def detail_url(self, obj) -> str:
        return f"{self.list_url}{obj.pk}/"


ENDPOINTS = [
    Endpoint("counterparty", lambda owner, ref: _cp(owner)),
    Endpoint("contact", lambda owner, ref: factories.ContactPersonFactory(counterparty=_cp(owner))),
    Endpoint("deal", lambda owner, ref: factories.deal_for(_cp(owner), ref)),
    Endpoint("invoice", lambda owner, ref: Invoice.objects.create(
        own_company=ref["own_company"], counterparty=_cp(owner), date=timezone.localdate(), responsible=owner)),
    Endpoint("payment", lambda owner, ref: Payment.objects.create(
        counterparty=_cp(owner), date=timezone.localdate(), amount=Decimal("10.00")), updatable=False),
    Endpoint("task", lambda owner, ref: Task.objects.create(
        title="Call back", assignee=owner, author=owner, counterparty=_cp(owner))),
    Endpoint("interaction", lambda owner, ref: Interaction.objects.create(
        counterparty=_cp(owner), subject="Call", occurred_at=timezone.now(), author=owner)),
    Endpoint("complaint", lambda owner, ref: Complaint.objects.create(
        counterparty=_cp(owner), subject="Broken", received_at=timezone.now(), responsible=owner)),
    Endpoint("reminder", lambda owner, ref: Reminder.objects.create(
        user=owner, subject="Chase", start_at=timezone.now())),
    Endpoint("product", lambda owner, ref: factories.ProductFactory(), shared=True),
    Endpoint("price-type", lambda owner, ref: PriceType.objects.create(name=_unique("Retail")), shared=True),
    Endpoint("price", lambda owner, ref: Price.objects.create(
        product=factories.ProductFactory(), price_type=ref["price_type"], value=Decimal("5")),
        shared=True, writable=False),
    Endpoint("warehouse", lambda owner, ref: Warehouse.objects.create(name=_unique("Store")),
             shared=True, writable=False),
    Endpoint("stock-level", lambda owner, ref: StockLevel.objects.create(
        product=factories.ProductFactory(), warehouse=ref["warehouse"], quantity=Decimal("3")),
        shared=True, writable=False),
    Endpoint("funnel", lambda owner, ref: Funnel.objects.create(name=_unique("Tenders")),
             shared=True, writable=False),
    Endpoint("stage", lambda owner, ref: Stage.objects.create(funnel=ref["funnel"], name=_unique("Audit")),
             shared=True, writable=False),
]
OWNED = [e for e in ENDPOINTS if not e.shared]
SHARED = [e for e in ENDPOINTS if e.shared]


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made for nearly every test here; a slow password hash would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def api(manager):
    return client_for(manager)


@pytest.fixture
def other_api(other_manager):
    return client_for(other_manager)


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
