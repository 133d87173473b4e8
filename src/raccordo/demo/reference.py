"""The demo company's staff and reference data: own companies, catalog, price lists, warehouses, funnels, tags.

Created through the services (so the journal shows where every record came from) and only when missing,
so `demo --scale` can run on top of an existing demo or a real installation.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from raccordo.access.models import Role, User
from raccordo.access.records import record_create
from raccordo.catalog import services as catalog
from raccordo.catalog.models import Price, PriceType, Product, Unit, Warehouse
from raccordo.catalog.selectors import default_price_type
from raccordo.parties import services as parties
from raccordo.parties.models import OwnCompany, Tag
from raccordo.sales.models import Funnel, Stage, StageKind
from raccordo.sales.selectors import default_funnel

from . import data
from .generators import inn10_from_body, italian_iban, kpp_for, ogrn_from, partita_iva_from_body, ru_account
from .words import say

# Our own legal entities. The Russian bank is Sberbank's Moscow branch (real BIC and correspondent account,
# so the control keys check); the settlement account is generated with a valid control key.
SBER_BIC, SBER_CORR = "044525225", "30101810400000000225"


@dataclass
class Reference:
    """What the demo's deals, invoices and bulk rows are built from."""

    managers: list[User]
    head: User | None
    own_ru: OwnCompany
    own_it: OwnCompany
    units: dict[str, Unit]
    products: list[Product]
    price_types: dict[str, PriceType]   # "wholesale", "retail", "eur"
    prices: dict[tuple, Decimal]        # (product id, price type id) -> value
    warehouses: list[Warehouse]
    funnel: Funnel
    stages: dict[str, Stage]            # stage name -> stage of the default funnel
    project_funnel: Funnel | None
    project_stages: dict[str, Stage]
    tags: dict[str, Tag] = field(default_factory=dict)
    created_users: list[User] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)   # username -> the password it was created with
    language: str = "en"                # what the names are in (words.py); the word lists' keys stay English


def ensure_staff(*, password: str | None = None,
                 passwords: dict[str, str] | None = None) -> tuple[list[User], User | None, list[User]]:
    """The demo's head of sales and managers, created if missing; existing users are left untouched.

    Each new user gets `password` when one is given (tests), else a random one of their own (finding H1:
    no password anyone could read in the docs); `passwords` receives what each was given.
    """
    created = []
    passwords = passwords if passwords is not None else {}
    for username, first, last, role, language, phone in data.STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last, role=role, language=language,
                        phone=phone, email=f"{username}@raccordo.example")
            passwords[username] = password or secrets.token_urlsafe(12)
            user.set_password(passwords[username])
            user.save()
            created.append(user)
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True, is_superuser=False).order_by("username"))
    head = User.objects.filter(role=Role.HEAD, is_active=True).order_by("username").first()
    return managers, head, created


def _own_companies(rnd: random.Random) -> tuple[OwnCompany, OwnCompany]:
    own_ru = OwnCompany.objects.filter(country="RU").order_by("-is_default", "name").first()
    if own_ru is None:
        inn = inn10_from_body("770461234")
        own_ru = parties.own_company_create(user=None, data={
            "name": "Раккордо Трейд", "full_name": "Общество с ограниченной ответственностью «Раккордо Трейд»",
            "country": "RU", "inn": inn, "kpp": kpp_for(inn), "ogrn": ogrn_from(year=2016, region="77", serial=4561237),
            "address": "115035, г. Москва, ул. Садовническая, д. 82, стр. 2, офис 14",
            "director": "Морозов Андрей Викторович", "chief_accountant": "Лебедева Ольга Ивановна",
            "invoice_prefix": "РТ-", "currency": "RUB", "is_default": True, "vat_rate": Decimal("20")})
        parties.bank_account_add(user=None, data={
            "own_company": own_ru, "bank_name": "ПАО Сбербанк", "bic": SBER_BIC,
            "correspondent_account": SBER_CORR, "account_number": ru_account(bic=SBER_BIC, serial=4561237),
            "currency": "RUB", "is_primary": True})
    own_it = OwnCompany.objects.filter(country="IT").order_by("name").first()
    if own_it is None:
        piva = partita_iva_from_body("0845127", 15)  # 015: the Milan office
        own_it = parties.own_company_create(user=None, data={
            "name": "Raccordo Italia", "full_name": "Raccordo Italia S.r.l.", "country": "IT",
            "vat_number": piva, "tax_code": piva,
            "address": "Via Fabio Filzi 27, 20124 Milano MI", "director": "Marco Ferrari",
            "invoice_prefix": "RI-", "currency": "EUR", "is_default": False, "vat_rate": Decimal("22")})
        parties.bank_account_add(user=None, data={
            "own_company": own_it, "bank_name": "Intesa Sanpaolo S.p.A.", "bic": "BCITITMM",
            "iban": italian_iban(abi="03069", cab="09606", account="100000063518"), "currency": "EUR",
            "is_primary": True})
    return own_ru, own_it


def _catalog(rnd: random.Random, language: str, own_ru: OwnCompany, own_it: OwnCompany) -> None:
    units = {}
    for name, code, full in data.UNITS:
        units[name] = Unit.objects.filter(name=say(name, language)).first() or catalog.unit_create(
            user=None, data={"name": say(name, language), "code": code, "full_name": say(full, language)})
    wholesale = catalog.price_type_create(user=None, data={
        "name": say("Wholesale", language), "currency": "RUB", "vat_included": True, "is_default": True})
    retail = catalog.price_type_create(user=None, data={
        "name": say("Retail", language), "currency": "RUB", "vat_included": True})
    eur = catalog.price_type_create(user=None, data={
        "name": say("Export EUR", language), "currency": "EUR", "vat_included": False})
    # The Milan warehouse is the Italian company's, the others the Russian one's (each invoice sells its own).
    warehouses = [catalog.warehouse_create(user=None, data={
        "name": say(n, language), "address": a, "own_company": own_it if n.startswith("Milano") else own_ru})
        for n, a in data.WAREHOUSES]
    for group_name, rows in data.CATALOG.items():
        group = catalog.product_group_create(user=None, data={"name": say(group_name, language)})
        for article, name, unit, vat, price in rows:
            product = catalog.product_create(user=None, data={
                "article": article, "name": say(name, language), "group": group, "unit": units[unit],
                "vat_rate": vat,
                "is_service": unit == "service"})
            catalog.price_set(user=None, product=product, price_type=wholesale, value=price)
            catalog.price_set(user=None, product=product, price_type=retail,
                              value=(price * Decimal("1.25")).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
            # Export prices are without VAT, in euros, rounded to 5 cents.
            euros = price / Decimal("1.2") / Decimal("92")
            catalog.price_set(user=None, product=product, price_type=eur,
                              value=(euros * 20).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 20)
            if unit == "service":
                continue
            for warehouse in warehouses:
                if warehouse.address.endswith(" MI") and rnd.random() < 0.4:   # the Milan warehouse
                    continue
                quantity = rnd.choice([0, 3, 12, 25, 40, 120, 500]) * (10 if unit == "m" else 1)
                if unit == "kg":
                    quantity = rnd.choice([5, 20, 48])
                catalog.stock_set(user=None, product=product, warehouse=warehouse, quantity=Decimal(quantity))


def _funnel(name: str, stages: list[tuple[str, str, int]], *, order: int, default: bool, language: str) -> Funnel:
    funnel = record_create(Funnel, user=None, data={"name": say(name, language), "order": order,
                                                   "is_default": default},
                           fields=("name", "order", "is_default"))
    for position, (stage_name, kind, probability) in enumerate(stages):
        record_create(Stage, user=None, data={"funnel": funnel, "name": say(stage_name, language), "order": position,
                                              "kind": kind, "probability": probability},
                      fields=("funnel", "name", "order", "kind", "probability"))
    return funnel


def ensure_reference(*, rnd: random.Random, password: str | None = None, language: str = "en") -> Reference:
    """Staff, own companies, catalog, price types, warehouses, funnels and tags; each created only if missing.

    New staff get `password`, or (None) a random password each, listed in `Reference.passwords`. Names are
    in `language` (en, ru, it: words.py).
    """
    passwords: dict[str, str] = {}
    managers, head, created = ensure_staff(password=password, passwords=passwords)
    own_ru, own_it = _own_companies(rnd)
    if not Product.objects.exists():
        _catalog(rnd, language, own_ru, own_it)
    if not Funnel.objects.exists():
        _funnel("Sales", data.SALES_STAGES, order=0, default=True, language=language)
        _funnel("Projects and tenders", data.PROJECT_STAGES, order=1, default=False, language=language)
    tags = {name: parties.tag_get_or_create(user=None, name=say(name, language)) for name in data.TAGS}

    funnel = default_funnel()
    project_funnel = Funnel.objects.exclude(pk=funnel.pk).order_by("order").first()
    price_types = {
        "wholesale": default_price_type() or PriceType.objects.order_by("name").first(),
        "retail": PriceType.objects.filter(name=say("Retail", language)).first(),
        "eur": PriceType.objects.filter(currency="EUR").order_by("name").first(),
    }
    price_types = {k: v or price_types["wholesale"] for k, v in price_types.items()}
    products = list(Product.objects.filter(is_active=True).select_related("unit").order_by("article", "name"))
    prices = {(p.product_id, p.price_type_id): p.value for p in Price.objects.all()}
    return Reference(
        managers=managers or ([head] if head else []), head=head, own_ru=own_ru, own_it=own_it,
        units={u.name: u for u in Unit.objects.all()}, products=products, price_types=price_types,
        prices=prices, warehouses=list(Warehouse.objects.order_by("name")),
        funnel=funnel, stages={s.name: s for s in funnel.stages.order_by("order")},
        project_funnel=project_funnel,
        project_stages={s.name: s for s in project_funnel.stages.order_by("order")} if project_funnel else {},
        tags=tags, created_users=created, passwords=passwords, language=language,
    )


__all__ = ["Reference", "StageKind", "ensure_reference", "ensure_staff"]
