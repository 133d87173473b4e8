"""API list pages run a bounded number of queries, whatever the number of rows on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.web.test_query_counts import _populate

pytestmark = pytest.mark.django_db

ENDPOINTS = ["counterparties", "contacts", "deals", "invoices", "tasks", "interactions", "products", "prices",
             "stock-levels", "payments"]


def _counts(api) -> dict[str, int]:
    result = {}
    for name in ENDPOINTS:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/{name}/?page_size=100")
        assert response.status_code == 200, name
        result[name] = len(queries)
    return result


def test_api_lists_do_not_query_per_row(manager, reference_data):
    api = APIClient()
    api.force_authenticate(manager)
    _populate(manager, reference_data, 2, 0)
    small = _counts(api)
    _populate(manager, reference_data, 18, 2)
    large = _counts(api)
    grown = {name: (small[name], large[name]) for name in ENDPOINTS if large[name] > small[name]}
    assert grown == {}, f"queries grew with the rows returned (2 -> 20 records): {grown}"
