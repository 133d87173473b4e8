"""factory_boy factories for the domain. Tax ids are generated valid (check digits computed)."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from raccordo.access.models import User
from raccordo.catalog.models import Price, PriceType, Product, StockLevel, Unit, Warehouse
from raccordo.demo.generators import inn10, inn12, partita_iva  # noqa: F401 (re-exported for tests)
from raccordo.parties.models import ContactPerson, Counterparty, OwnCompany
from raccordo.sales.models import Deal, Funnel, Stage, StageKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = "manager"
    password = factory.django.Password("pass-12345")


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    name = factory.Sequence(lambda n: f"Company {n}")
    full_name = factory.LazyAttribute(lambda c: f"LLC {c.name}")
    inn = factory.Sequence(lambda n: inn10(n))
    responsible = factory.SubFactory(UserFactory)


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    counterparty = factory.SubFactory(CounterpartyFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    position = "Buyer"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    article = factory.Sequence(lambda n: f"ART-{n:05d}")
    vat_rate = Decimal("20")


def reference_data() -> dict:
    """Funnel with stages, own company, price type, warehouse, unit: what every sales flow needs."""
    funnel, _ = Funnel.objects.get_or_create(name="Sales", defaults={"is_default": True})
    stages = {}
    for order, (name, kind, prob) in enumerate([("New", StageKind.OPEN, 10), ("Proposal", StageKind.OPEN, 40),
                                                ("Negotiation", StageKind.OPEN, 70), ("Won", StageKind.WON, 100),
                                                ("Lost", StageKind.LOST, 0)]):
        stages[name], _ = Stage.objects.get_or_create(funnel=funnel, name=name,
                                                      defaults={"order": order, "kind": kind, "probability": prob})
    own, _ = OwnCompany.objects.get_or_create(name="Raccordo Trade", defaults={
        "full_name": "LLC Raccordo Trade", "inn": "7736207543", "kpp": "773601001", "is_default": True})
    price_type, _ = PriceType.objects.get_or_create(name="Wholesale", defaults={"currency": "RUB", "is_default": True})
    warehouse, _ = Warehouse.objects.get_or_create(name="Main warehouse")
    unit, _ = Unit.objects.get_or_create(name="pcs", defaults={"code": "796"})
    return {"funnel": funnel, "stages": stages, "own_company": own, "price_type": price_type,
            "warehouse": warehouse, "unit": unit, "now": timezone.now()}


def product_with_stock(ref: dict, *, price: str = "100.00", quantity: str = "10", **kwargs) -> Product:
    product = ProductFactory(unit=ref["unit"], **kwargs)
    Price.objects.create(product=product, price_type=ref["price_type"], value=Decimal(price))
    StockLevel.objects.create(product=product, warehouse=ref["warehouse"], quantity=Decimal(quantity))
    return product


def deal_for(counterparty: Counterparty, ref: dict, **kwargs) -> Deal:
    return Deal.objects.create(title=kwargs.pop("title", "Deal"), counterparty=counterparty,
                               manager=counterparty.responsible, funnel=ref["funnel"], stage=ref["stages"]["New"],
                               **kwargs)
