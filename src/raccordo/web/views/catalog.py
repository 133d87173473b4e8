"""Products: list, card, create and edit (the catalog is shared; only administrators change it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from raccordo.access.history import record_history
from raccordo.access.policy import allows, can, visible
from raccordo.catalog.models import Product
from raccordo.catalog.selectors import product_get, product_images, product_list, product_stock_total
from raccordo.catalog.services import product_create, product_update
from raccordo.core.errors import ApplicationError

from .. import exports
from ..forms import ProductForm
from .base import ListPage, apply_errors, get_or_404, with_defaults

SERVICE_ERRORS = (ValidationError, ApplicationError)


PRODUCT_SORTS = {"name": "name", "article": "article", "group": "group__name", "vat": "vat_rate",
                 "created": "created_at"}


# What the list shows before the user chooses: the active products.
PRODUCT_DEFAULTS = {"active": "1"}


@login_required
def product_list_view(request):
    page = ListPage(request, default_sort="name", sorts=PRODUCT_SORTS)
    filters = with_defaults(request.GET, PRODUCT_DEFAULTS)
    qs = product_list(user=request.user, search=page.q, filters=filters)
    return page.render(qs, template="web/products/list.html", partial="web/products/_table.html",
                       context={"active": filters["active"], "can_add": can(request.user, "add", Product()),
                                "can_export": allows(request.user, "export", "catalog")})


@login_required
def product_export_view(request):
    """The product list as filtered and sorted on screen, as CSV or XLSX, for those who may export the catalog."""
    page = ListPage(request, default_sort="name", sorts=PRODUCT_SORTS)
    qs = product_list(user=request.user, search=page.q, filters=with_defaults(request.GET, PRODUCT_DEFAULTS))
    qs = page.order(visible(qs, request.user, "export"))
    return exports.table_response(qs.iterator(chunk_size=2000), exports.product_columns(), basename="products",
                                  fmt=exports.export_format(request))


@login_required
def product_create_view(request):
    if not can(request.user, "add", Product()):
        raise PermissionDenied
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Product “%(name)s” created.") % {"name": product.name})
            return redirect("web:product_detail", pk=product.pk)
    return render(request, "web/products/form.html", {"form": form})


@login_required
def product_detail_view(request, pk):
    product = get_or_404(product_get, user=request.user, pk=pk)
    return render(request, "web/products/detail.html", {
        "object": product, "prices": product.prices.all(), "stock": product.stock.all(),
        "stock_total": product_stock_total(product=product), "can_change": can(request.user, "change", product),
        "images": list(product_images(user=request.user, product=product)),
        "history": record_history(user=request.user, obj=product)})


@login_required
def product_image_view(request, pk, image_pk):
    """One picture of a product, only for someone signed in who may see the product (media is never public)."""
    product = get_or_404(product_get, user=request.user, pk=pk)
    image = product_images(user=request.user, product=product).filter(pk=image_pk).first()
    if image is None:
        raise Http404
    try:
        handle = image.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    # The type was decided from the file's bytes when it was stored; nothing is sniffed by the browser.
    response = FileResponse(handle, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def product_edit_view(request, pk):
    product = get_or_404(product_get, user=request.user, pk=pk)
    if not can(request.user, "change", product):
        raise PermissionDenied
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            product_update(user=request.user, product=product, data=form.service_data())
        except SERVICE_ERRORS as exc:
            product.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:product_detail", pk=product.pk)
    return render(request, "web/products/form.html", {"form": form, "object": product})
