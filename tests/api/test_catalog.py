"""The catalog through the API: everyone reads it, administrators write it."""

from __future__ import annotations

import pytest

from raccordo.catalog.models import PriceType, Product
from tests import factories

from .conftest import ids

pytestmark = pytest.mark.django_db


def test_manager_cannot_create_products(api):
    response = api.post("/api/v1/products/", {"name": "Widget"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "access.denied"
    assert not Product.objects.exists()


def test_admin_creates_and_updates_products(admin_api):
    response = admin_api.post("/api/v1/products/", {"name": "Widget", "article": "W-1", "vat_rate": "20"},
                              format="json")
    assert response.status_code == 201, response.content
    url = f"/api/v1/products/{response.json()['id']}/"
    assert admin_api.patch(url, {"name": "Widget 2"}, format="json").json()["name"] == "Widget 2"
    assert admin_api.patch(url, {"vat_rate": "-1"}, format="json").status_code == 400


def test_price_type_currency_is_validated(admin_api):
    response = admin_api.post("/api/v1/price-types/", {"name": "Retail", "currency": "ABC"}, format="json")
    assert response.status_code == 400 and "currency" in response.json()["extra"]
    assert not PriceType.objects.exists()
    response = admin_api.post("/api/v1/price-types/", {"name": "Retail", "currency": "EUR"}, format="json")
    assert response.status_code == 201
    assert admin_api.patch(f"/api/v1/price-types/{response.json()['id']}/", {"vat_included": False},
                           format="json").status_code == 200


def test_product_search_and_stock_filter(api, reference_data):
    product = factories.product_with_stock(reference_data, name="Copper pipe", quantity="7")
    factories.product_with_stock(reference_data, name="Steel pipe")
    assert ids(api.get("/api/v1/products/", {"search": "copper"})) == {str(product.pk)}
    stock = api.get("/api/v1/stock-levels/", {"product": str(product.pk)}).json()["results"]
    assert len(stock) == 1 and stock[0]["available"] == "7.000"
    prices = api.get("/api/v1/prices/", {"product": str(product.pk)}).json()["results"]
    assert prices[0]["value"] == "100.00" and prices[0]["currency"] == "RUB"
