"""The run pages: administrators see counters, errors with their place in the file, and the records written."""

import pytest
from django.urls import reverse

from raccordo.catalog.models import Product
from raccordo.exchange.services import exchange_import, node_create
from tests.exchange.test_runs import catalog_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(tmp_path):
    path = tmp_path / "exchange.xml"
    path.write_bytes(catalog_xml(12, bad_price_at=3))
    return exchange_import(paths=[path], node=node_create(user=None, code="ut", kind="folder"))


def test_admin_sees_runs_errors_and_records(client, admin_user, run):
    client.force_login(admin_user)
    listing = client.get(reverse("exchange:run_list"))
    assert listing.status_code == 200 and "exchange.xml" in listing.content.decode()
    page = client.get(reverse("exchange:run_detail", args=[run.pk])).content.decode()
    item = run.items.get()
    assert item.path in page and str(item.line) in page and "exchange.cml.bad_number" in page
    created = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"}).content.decode()
    assert "Product 0" in created                # a record written by the run, linked to its page
    assert reverse("web:product_detail", args=[Product.objects.get(name="Product 0").pk]) in created


def test_managers_do_not_see_the_exchange(client, manager, run):
    client.force_login(manager)
    assert client.get(reverse("exchange:run_list")).status_code == 404
    assert client.get(reverse("exchange:run_detail", args=[run.pk])).status_code == 404
    assert "Exchange" not in client.get(reverse("web:dashboard")).content.decode()
