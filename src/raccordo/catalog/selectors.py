"""Read queries for the catalog, through the access policy."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Sum

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.core.ids import parse_uuid
from raccordo.parties.selectors import counterparty_list

from .filters import ProductFilter, products_active
from .models import Price, PriceType, Product, ProductImage, StockLevel


def product_list(*, user, search: str = "", filters=None, active_only: bool = False) -> QuerySet[Product]:
    """Products `user` may see, narrowed by `filters` (catalog.filters.ProductFilter; `active_only` is its "active"
    chip, for callers in code), searched by name, article or barcode."""
    qs = visible(Product.objects.select_related("group", "unit"), user)
    if active_only:   # the chip's own definition, without building a filter form on every search keystroke
        qs = products_active(qs)
    if filters is not None:
        qs = ProductFilter(filters, qs, user=user).qs
    if search:
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(article__iexact=term) | Q(article__istartswith=term)
                       | Q(barcode=term))
    return qs


def product_get(*, user, pk) -> Product:
    """One product with its prices and stock, or NotFound."""
    obj = (product_list(user=user)
           .prefetch_related(Prefetch("prices", queryset=Price.objects.select_related("price_type")),
                             Prefetch("stock", queryset=StockLevel.objects.select_related("warehouse")))
           .filter(pk=pk).first())
    if obj is None:
        raise NotFound("Product not found.")
    return obj


def default_price_type(*, user=None) -> PriceType | None:
    """The price type marked as the default (among those `user` may see, when given), or None when none is."""
    qs = PriceType.objects.all() if user is None else visible(PriceType.objects.all(), user)
    return qs.filter(is_default=True).order_by("name").first()


def product_price(*, product: Product, price_type: PriceType | None) -> Decimal | None:
    """The product's price in `price_type` (or the default price type), or None if it has none."""
    if price_type is None:
        price_type = default_price_type()
    if price_type is None:
        return None
    price = Price.objects.filter(product=product, price_type=price_type).values_list("value", flat=True).first()
    return price


def product_stock_total(*, product: Product) -> Decimal:
    """The quantity held across all warehouses."""
    return StockLevel.objects.filter(product=product).aggregate(total=Sum("quantity"))["total"] or Decimal("0")


def product_search(*, user, term: str, limit: int = 10) -> QuerySet[Product]:
    """Active products for an autocomplete: by name (any part), article (from its start) or exact barcode."""
    term = (term or "").strip()
    if not term:
        return product_list(user=user).none()
    return product_list(user=user, search=term, active_only=True).order_by("name")[:limit]


def company_stock(levels: QuerySet[StockLevel], own_company_id) -> QuerySet[StockLevel]:
    """Only the stock `own_company_id` sells from: its warehouses and those of no company in particular.
    No company given (a deal, which belongs to none): every warehouse."""
    if not own_company_id:
        return levels
    return levels.filter(Q(warehouse__own_company_id=own_company_id) | Q(warehouse__own_company__isnull=True))


def product_available(*, product_ids, own_company_id=None) -> dict:
    """What can be sold now per product: quantity minus reserved, summed over the own company's warehouses
    (all of them when none is given), as a DB aggregate."""
    levels = company_stock(StockLevel.objects.filter(product_id__in=list(product_ids)), own_company_id)
    rows = (levels.values("product_id")  # type: ignore[no-redef]  # django-stubs: the annotation shares its name with StockLevel.available, read as a dict key only
            .annotate(available=Sum(F("quantity") - F("reserved"))))
    return {row["product_id"]: row["available"] or Decimal("0") for row in rows}  # type: ignore[misc]


def product_stock_by_warehouse(*, user, product: Product, own_company_id=None) -> list[dict]:
    """The product's stock per warehouse of the own company (see company_stock): quantity, reserved and
    available, for the line editor."""
    levels = company_stock(visible(StockLevel.objects.filter(product=product).select_related("warehouse"), user),
                           own_company_id)
    return [{"warehouse": level.warehouse.name, "quantity": level.quantity, "reserved": level.reserved,
             "available": level.quantity - level.reserved} for level in levels.order_by("warehouse__name")]


def price_types(*, user) -> QuerySet[PriceType]:
    """Price types a line editor offers, the default first."""
    return visible(PriceType.objects.all(), user).order_by("-is_default", "name")


def product_images(*, user, product: Product) -> QuerySet[ProductImage]:
    """The pictures of a product the user may see, in their order."""
    return visible(ProductImage.objects.filter(product=product), user).order_by("position")


def counterparty_price(*, product: Product, counterparty) -> Decimal | None:
    """What `product` costs `counterparty`: its price in the counterparty's price type, else in the default one."""
    return product_price(product=product, price_type=getattr(counterparty, "price_type", None))


def chosen_price_type(user, *, price_type_id: str = "", counterparty_id: str = "") -> PriceType | None:
    """The price type a line editor prices in: the one asked for, else the counterparty's, else the default one
    (None: product_price decides). Ids that are no ids, or name what `user` may not see, are passed over."""
    pk = parse_uuid(price_type_id)
    if pk:
        chosen = price_types(user=user).filter(pk=pk).first()
        if chosen:
            return chosen
    cp_pk = parse_uuid(counterparty_id)
    if cp_pk:
        counterparty = counterparty_list(user=user).filter(pk=cp_pk).select_related("price_type").first()
        if counterparty is not None and counterparty.price_type_id:
            return counterparty.price_type
    return default_price_type(user=user)
