"""The line-item editor of deals and invoices: product autocomplete, price and stock of a product, live totals.

The browser only asks; prices, VAT and totals are computed here with `sales.pricing` (the same arithmetic the
services use when the document is saved, which stays the truth).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.catalog.selectors import (
    chosen_price_type,
    price_types,
    product_available,
    product_list,
    product_price,
    product_search,
    product_stock_by_warehouse,
)
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid
from raccordo.core.inputs import search_term
from raccordo.core.money import decimal_from_text
from raccordo.sales.models import DealLine
from raccordo.sales.pricing import document_totals, line_totals
from raccordo.sales.selectors import deal_get
from raccordo.sales.services import combined_discount, deal_set_lines

from ..forms import BaseLineFormSet, InvoiceLineForm, line_inputs
from .base import get_or_404

ZERO = Decimal("0")


# The columns the typed numbers go to (sales.models.DealLine / InvoiceLine), as (max_digits, decimal_places).
QUANTITY, PRICE, PERCENT = (18, 3), (18, 2), (5, 2)


def _decimal(value, default=None, *, digits: tuple[int, int] = PRICE):
    """A typed number, `default` when empty, None when it is no number its column could store (NaN, 1e999999)."""
    try:
        parsed = decimal_from_text(value, max_digits=digits[0], decimal_places=digits[1])
    except ValidationError:
        return None
    return default if parsed is None else parsed


@login_required
@require_GET
def product_autocomplete_view(request):
    """Products matching `q` by name, article or barcode, as a short list to choose from."""
    q = search_term(request.GET.get("q"))
    products = list(product_search(user=request.user, term=q)) if len(q) >= 2 or q.isdigit() else []
    return render(request, "web/lines/_products.html", {"products": products, "q": q})


@login_required
@require_GET
def product_info_view(request):
    """What a line needs once a product is chosen: name, unit, VAT rate, price in the price type, stock."""
    pk = parse_uuid(request.GET.get("product", ""))
    product = product_list(user=request.user).filter(pk=pk).first() if pk else None
    if product is None:
        return JsonResponse({"error": str(_("Product not found."))}, status=404)
    price_type = chosen_price_type(request.user, price_type_id=request.GET.get("price_type", ""),
                                   counterparty_id=request.GET.get("counterparty", ""))
    price = product_price(product=product, price_type=price_type)
    # The invoice's own company sells only from its warehouses (a Moscow invoice does not offer Milan stock).
    stock = product_stock_by_warehouse(user=request.user, product=product,
                                       own_company_id=parse_uuid(request.GET.get("own_company", "")))
    return JsonResponse({
        "id": str(product.pk), "name": product.name, "article": product.article,
        "unit": str(product.unit) if product.unit_id else "",
        "vat_rate": str(product.vat_rate) if product.vat_rate is not None else "",
        "price": str(price) if price is not None else "",
        "price_type": price_type.name if price_type else "", "currency": price_type.currency if price_type else "",
        "stock": [{"warehouse": s["warehouse"], "available": str(s["available"])} for s in stock],
        "available": str(sum((s["available"] for s in stock), ZERO)),
    })


def _typed_line(data, p: str, *, document_discount: Decimal, vat_included: bool) -> tuple[dict, object]:
    """One typed line of the live editor (form prefix `p`): its row for display, and its totals when they count
    towards the document's (a priced, described or product line that is valid), else None."""
    if data.get(f"{p}-DELETE"):
        return {"prefix": p, "deleted": True}, None
    quantity = _decimal(data.get(f"{p}-quantity"), Decimal("1"), digits=QUANTITY)
    price = _decimal(data.get(f"{p}-price"), ZERO)
    discount = _decimal(data.get(f"{p}-discount_percent"), ZERO, digits=PERCENT)
    rate = _decimal(data.get(f"{p}-vat_rate"), None, digits=PERCENT)
    product_id = parse_uuid(data.get(f"{p}-product", ""))
    row = {"prefix": p, "product_id": product_id, "quantity": quantity}
    valid = (quantity is not None and quantity > 0 and price is not None and price >= 0 and discount is not None
             and ZERO <= discount <= 100 and (rate is None or rate >= 0)
             and (data.get(f"{p}-vat_rate", "").strip() == "" or rate is not None))
    totals = None
    if valid:
        try:
            totals = line_totals(quantity=quantity, price=price,
                                 discount_percent=combined_discount(discount, document_discount),
                                 vat_rate=rate, vat_included=vat_included)
        except ValidationError:   # the amount would not fit: the line is shown as invalid
            totals = None
    if totals is None:
        row["invalid"] = True
        return row, None
    row.update(amount=totals.amount, vat=totals.vat)
    counts = bool(price or data.get(f"{p}-description") or product_id)
    return row, totals if counts else None


@login_required
@require_POST
def line_totals_view(request):
    """Totals of the lines as typed so far (not saved), plus each line's amount and stock, for live display."""
    data = request.POST
    prefix = data.get("line_prefix", "lines")
    try:
        count = min(int(data.get(f"{prefix}-TOTAL_FORMS", "0")), 500)
    except ValueError:
        count = 0
    vat_included = data.get("vat_included") in ("on", "true", "True", "1") or data.get("vat_mode") == "included"
    document_discount = _decimal(data.get("discount_percent"), ZERO, digits=PERCENT)
    if document_discount is None or not ZERO <= document_discount <= 100:
        document_discount = ZERO
    currency = (data.get("currency") or data.get("line_currency") or settings.DEFAULT_CURRENCY).upper()[:3]
    rows, computed = [], []
    for i in range(count):
        row, totals = _typed_line(data, f"{prefix}-{i}", document_discount=document_discount,
                                  vat_included=vat_included)
        if totals is not None:
            computed.append(totals)
        rows.append(row)
    product_ids = {row["product_id"] for row in rows if row.get("product_id")}
    visible_products = {p.pk: p for p in product_list(user=request.user).filter(pk__in=product_ids)}
    company = parse_uuid(data.get("own_company", ""))
    available = product_available(product_ids=visible_products, own_company_id=company)
    stock = {pk: product_stock_by_warehouse(user=request.user, product=prod, own_company_id=company)
             for pk, prod in visible_products.items()}
    for row in rows:
        pid = row.get("product_id")
        if pid in visible_products and not visible_products[pid].is_service:
            row["stock"] = stock[pid]
            row["available"] = available.get(pid, ZERO)
            row["short"] = row.get("quantity") is not None and row["quantity"] > row["available"]
    try:
        doc = document_totals(computed)
    except ValidationError:   # lines that fit one by one, but not their sum
        doc = None
    return render(request, "web/lines/_totals.html", {"rows": rows, "doc": doc, "currency": currency,
                                                       "vat_included": vat_included})


class DealLineForm(InvoiceLineForm):
    class Meta(InvoiceLineForm.Meta):
        model = DealLine


def deal_line_formset(*, extra: int):
    """A formset of deal lines: the invoice line editor on DealLine."""
    return forms.modelformset_factory(DealLine, form=DealLineForm, formset=BaseLineFormSet, extra=extra,
                                      can_delete=True)


@login_required
def deal_lines_view(request, pk):
    """Edit a deal's products: the same line editor as invoices; saving reprices them (deal_set_lines)."""
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    existing = deal.lines.select_related("product", "unit")
    formset = deal_line_formset(extra=0 if existing.exists() else 1)(
        request.POST or None, queryset=existing, prefix="lines", form_kwargs={"user": request.user})
    errors = []
    if request.method == "POST" and formset.is_valid():
        try:
            deal_set_lines(user=request.user, deal=deal, lines=line_inputs(formset, deal.counterparty))
        except (ValidationError, ApplicationError) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [exc.message]
        else:
            messages.success(request, _("Deal lines saved."))
            return redirect("web:deal_detail", pk=deal.pk)
    return render(request, "web/deals/lines.html", {
        "object": deal, "formset": formset, "service_errors": errors,
        "price_types": price_types(user=request.user), "counterparty_id": deal.counterparty_id,
        "chosen_price_type": chosen_price_type(request.user, counterparty_id=str(deal.counterparty_id))})

