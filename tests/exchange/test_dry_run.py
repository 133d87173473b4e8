"""A dry run of a CommerceML import: everything runs, nothing stays, the run says what would change (issue 7)."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command

from raccordo.catalog.models import Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import Run, RunItem
from raccordo.exchange.services import exchange_import, node_create
from tests.exchange.test_runs import catalog_xml, state

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    skip = {"exchange.run", "exchange.runitem"}
    return {m._meta.label_lower: m.objects.count() for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in skip}


def test_dry_run_of_a_catalog_writes_nothing_and_lists_the_changes(tmp_path):
    node = node_create(user=None, code="acc")
    path = tmp_path / "import.xml"
    path.write_bytes(catalog_xml(20, bad_price_at=3))
    exchange_import(paths=[path], node=node)
    # 5 new products, one renamed in accounting
    path.write_bytes(catalog_xml(25, bad_price_at=3).replace(b"Product 5<", b"Product five<"))
    before, journal, seen = table_counts(), ChangeJournal.objects.count(), state()

    run = exchange_import(paths=[path], node=node, dry_run=True)

    assert table_counts() == before and ChangeJournal.objects.count() == journal and state() == seen
    run.refresh_from_db()
    assert run.kind == "dry-run" and run.status == "partial" and run.failed == 1
    created = RunItem.objects.filter(run=run, outcome="created", object_type="catalog.product")
    assert created.count() == 5
    assert created.filter(external_id="p22").get().changes["name"] == [None, "Product 22"]
    updated = RunItem.objects.get(run=run, outcome="updated", object_type="catalog.product")
    assert updated.external_id == "p5" and updated.changes["name"] == ["Product 5", "Product five"]
    assert RunItem.objects.filter(run=run, outcome="failed").count() == 1

    real = exchange_import(paths=[path], node=node)
    assert real.kind == "import" and Product.objects.count() == 25
    assert Product.objects.get(article="A00005").name == "Product five"


def test_command_line_dry_run(tmp_path):
    path = tmp_path / "import.xml"
    path.write_bytes(catalog_xml(4))
    node_create(user=None, code="local")
    out = io.StringIO()
    call_command("exchange", "import", str(path), "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["kind"] == "dry-run" and data["created"] >= 4
    assert Product.objects.count() == 0 and Run.objects.get().kind == "dry-run"
