"""API list pages run a bounded number of queries, whatever the number of rows on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.web.test_query_counts import _populate

pytestmark = pytest.mark.django_db

ENDPOINTS = ["counterparties", "contacts", "deals", "invoices", "tasks", "interactions", "products", "prices",
             "stock-levels", "payments", "complaints", "reminders", "funnels", "stages", "price-types", "warehouses"]


def _counts(api) -> dict[str, int]:
    result = {}
    for name in ENDPOINTS:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/{name}/?page_size=100")
        assert response.status_code == 200, name
        result[name] = len(queries)
    return result


def _more(manager, ref, n: int, start: int) -> None:
    """Rows of the endpoints _populate does not fill: complaints, reminders, stages, price types, warehouses."""
    from django.utils import timezone

    from raccordo.activities.models import Complaint, Reminder
    from raccordo.catalog.models import PriceType, Warehouse
    from raccordo.sales.models import Stage
    from tests.factories import CounterpartyFactory

    for i in range(start, start + n):
        Complaint.objects.create(counterparty=CounterpartyFactory(responsible=manager), subject=f"Leak {i}",
                                 received_at=timezone.now(), responsible=manager)
        Reminder.objects.create(user=manager, subject=f"Chase {i}", start_at=timezone.now())
        Stage.objects.create(funnel=ref["funnel"], name=f"Stage {i}", order=100 + i)
        PriceType.objects.create(name=f"Price type {i}")
        Warehouse.objects.create(name=f"Store {i}")


def test_api_lists_do_not_query_per_row(manager, reference_data):
    api = APIClient()
    api.force_authenticate(manager)
    _populate(manager, reference_data, 2, 0)
    _more(manager, reference_data, 2, 0)
    small = _counts(api)
    _populate(manager, reference_data, 18, 2)
    _more(manager, reference_data, 18, 2)
    large = _counts(api)
    grown = {name: (small[name], large[name]) for name in ENDPOINTS if large[name] > small[name]}
    assert grown == {}, f"queries grew with the rows returned (2 -> 20 records): {grown}"


def test_api_counterparty_detail_does_not_query_per_phone_or_tag(manager, reference_data):
    from raccordo.parties.models import Tag
    from raccordo.parties.services import address_add, email_add, phone_add
    from tests.factories import CounterpartyFactory

    api = APIClient()
    api.force_authenticate(manager)
    cp = CounterpartyFactory(responsible=manager)
    url = f"/api/v1/counterparties/{cp.pk}/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    few = count()
    for i in range(10):
        phone_add(user=manager, counterparty=cp, number=f"+7916{5000000 + i}")
        email_add(user=manager, counterparty=cp, address=f"d{i}@example.com")
        address_add(user=manager, counterparty=cp, data={"text": f"Street {i}"})
        cp.tags.add(Tag.objects.create(name=f"tag {i}"))
    assert count() <= few
