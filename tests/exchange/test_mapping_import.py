"""The importers honour the node's mapping: update-only, filters, the field map, owners, the responsible."""

from __future__ import annotations

from decimal import Decimal

import pytest

from raccordo.access.records import record_update
from raccordo.catalog.models import Price, Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange.mappings import MappingData, mapping_save
from raccordo.exchange.models import Binding
from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import Counterparty
from tests.exchange.mapping_files import catalog, document, write
from tests.factories import CounterpartyFactory, ProductFactory, UserFactory, inn10
from tests.factories import reference_data as make_reference_data

pytestmark = pytest.mark.django_db
PRODUCTS = "catalog.product"
COUNTERPARTIES = "parties.counterparty"


@pytest.fixture
def node():
    return node_create(user=None, code="ut", kind="folder")


def products_mapping(node, **kwargs):
    return mapping_save(user=None, node=node, data=MappingData(object_type=PRODUCTS, **kwargs))


def run_file(tmp_path, node, data: bytes, name: str = "import.xml"):
    return exchange_import(paths=[write(tmp_path, data, name)], node=node)


def test_update_only_updates_what_it_finds_and_skips_the_rest_saying_why(tmp_path, node):
    ours = ProductFactory(article="A-1", name="Old name")
    products_mapping(node, match_keys=["article"], allow_create=False)
    run = run_file(tmp_path, node, catalog([
        {"id": "p1", "article": "A-1", "name": "New name", "price": "10"},
        {"id": "p2", "article": "A-2", "name": "Unknown", "price": "20"}]))
    # p1 and its offer (a new price) updated; 3 groups and the price type created, no product; p2 and its
    # offer skipped.
    assert (run.updated, run.created, run.skipped, run.failed) == (2, 4, 2, 0)
    ours.refresh_from_db()
    assert ours.name == "New name" and Product.objects.count() == 1
    item = run.items.get(outcome="skipped", object_type="catalog.product")
    assert item.external_id == "p2" and "only updates" in item.message and "A-2" in item.message
    offer = run.items.get(outcome="skipped", object_type="catalog.offer")
    assert offer.external_id == "p2" and "not taken" in offer.message and offer.line
    assert not Binding.objects.filter(node=node, external_id="p2").exists()


def test_a_group_filter_takes_its_groups_and_those_below_and_skips_the_rest(tmp_path, node):
    # The groups must exist for the filter to be chosen: a first exchange brings them.
    run_file(tmp_path, node, catalog([{"id": "p0", "article": "A-0", "name": "Seed", "group": "g21"}]), "seed.xml")
    products_mapping(node, match_keys=["article"], filters={"groups": ["g2"]})
    run = run_file(tmp_path, node, catalog([
        {"id": "p1", "article": "A-1", "name": "Hammer", "group": "g1", "price": "5"},
        {"id": "p2", "article": "A-2", "name": "Bread", "group": "g2", "price": "2"},
        {"id": "p3", "article": "A-3", "name": "Apple", "group": "g21", "price": "1"}]))
    assert run.failed == 0 and run.skipped == 2   # the hammer and its offer: counted, not errors
    assert sorted(Product.objects.values_list("name", flat=True)) == ["Apple", "Bread", "Seed"]
    assert not run.items.filter(outcome="failed").exists()
    # Each listed one by one, where and why.
    skipped = {(i.object_type, i.external_id): i for i in run.items.filter(outcome="skipped")}
    assert set(skipped) == {("catalog.product", "p1"), ("catalog.offer", "p1")}
    assert "groups" in skipped["catalog.product", "p1"].message and skipped["catalog.product", "p1"].line
    assert "not taken" in skipped["catalog.offer", "p1"].message


def test_the_field_map_puts_incoming_fields_where_it_says(tmp_path, node):
    products_mapping(node, match_keys=["article"], field_map={
        "name": "full_name", "requisite:Краткое имя": "name", "requisite:Код": "article", "description": "",
        "group_ids": "group"})
    run_file(tmp_path, node, catalog([{"id": "p1", "article": "ignored", "name": "Drill ZX-500 with case",
                                       "description": "not taken", "group": "g1",
                                       "requisites": {"Код": "00-123", "Краткое имя": "Drill"}}]))
    product = Product.objects.get()
    assert (product.name, product.full_name, product.article, product.description, product.group.name) == (
        "Drill", "Drill ZX-500 with case", "00-123", "", "Tools")


def test_fields_the_crm_owns_are_set_on_create_and_never_overwritten(tmp_path, node):
    owned = ["full_name", "article", "barcode", "description", "group", "unit", "vat_rate", "is_active",
             "is_service", "properties", "stock"]   # accounting owns all but the name and the prices
    products_mapping(node, match_keys=["article"], owned_fields=owned)
    run_file(tmp_path, node, catalog([{"id": "p1", "article": "A-1", "name": "Drill", "description": "v1",
                                       "price": "10"}]))
    product = Product.objects.get()
    assert product.name == "Drill" and Price.objects.get().value == Decimal("10.00")   # created: all set
    record_update(product, user=None, data={"name": "Our drill"}, fields=("name",))
    run = run_file(tmp_path, node, catalog([{"id": "p1", "article": "A-1", "name": "Drill 2", "description": "v2",
                                             "price": "12"}]))
    product.refresh_from_db()
    assert (product.name, product.description) == ("Our drill", "v2")
    assert Price.objects.get().value == Decimal("10.00")       # the CRM owns prices: not overwritten
    assert not run.items.filter(outcome="conflict").exists()  # ownership is not a conflict


def test_importing_the_same_file_twice_writes_nothing_the_second_time(tmp_path, node):
    products_mapping(node, match_keys=["article"], field_map={"name": "name", "requisite:Код": "article"},
                     conflict_policy="ask")
    data = catalog([{"id": f"p{i}", "name": f"P{i}", "requisites": {"Код": f"K{i}"}, "group": "g1",
                     "price": "3"} for i in range(5)])
    first = run_file(tmp_path, node, data)
    assert (first.created, first.updated, first.failed) == (9, 5, 0)   # 5 products, 3 groups, a price type;
    # the products' offers added prices
    entries = ChangeJournal.objects.count()
    second = run_file(tmp_path, node, data)
    assert (second.created, second.updated, second.failed) == (0, 0, 0) and second.unchanged >= 10
    assert ChangeJournal.objects.count() == entries and not second.items.exists()


def reference(node):
    data = make_reference_data()
    ProductFactory(article="T-1", name="Thing")
    return data


def test_new_counterparties_of_documents_get_the_mappings_responsible(tmp_path, node):
    reference(node)
    default, chosen = UserFactory(username="default-mgr"), UserFactory(username="chosen-mgr")
    node.default_responsible = default
    node.save()
    first = run_file(tmp_path, node, document("d1", {"id": "cp1", "name": "Ромашка", "inn": inn10(1)}))
    assert first.created == 1 and Counterparty.objects.get(inn=inn10(1)).responsible == default   # node's default
    mapping_save(user=None, node=node, data=MappingData(object_type=COUNTERPARTIES, match_keys=["inn", "kpp"],
                                                        responsible=str(chosen.pk)))
    run_file(tmp_path, node, document("d2", {"id": "cp2", "name": "Лютик", "inn": inn10(2), "address": "Москва",
                                             "email": "info@lutik.example"}))
    new = Counterparty.objects.get(inn=inn10(2))
    assert new.responsible == chosen
    assert new.addresses.get().text == "Москва" and new.emails.get().address == "info@lutik.example"


def test_documents_honour_update_only_and_the_manager_filter(tmp_path, node):
    reference(node)
    mine, theirs = UserFactory(username="mine"), UserFactory(username="theirs")
    known = CounterpartyFactory(responsible=theirs, inn=inn10(7), kpp="", name="Known")
    CounterpartyFactory(responsible=mine)
    mapping_save(user=None, node=node, data=MappingData(object_type=COUNTERPARTIES, match_keys=["inn", "kpp"],
                                                        allow_create=False))
    run = run_file(tmp_path, node, document("d1", {"id": "cp-new", "name": "Nobody", "inn": inn10(8)}))
    assert (run.created, run.skipped) == (0, 1)
    assert "only updates" in run.items.get(outcome="skipped").message
    assert not Counterparty.objects.filter(inn=inn10(8)).exists()

    mapping_save(user=None, node=node, data=MappingData(object_type=COUNTERPARTIES, match_keys=["inn", "kpp"],
                                                        filters={"managers": [str(mine.pk)]},
                                                        responsible=str(mine.pk)))
    outside = run_file(tmp_path, node, document("d2", {"id": "cp-known", "name": "Known", "inn": inn10(7)}),
                       "d2.xml")
    assert (outside.created, outside.skipped, outside.failed) == (0, 1, 0)
    assert not outside.items.exists() and not known.invoices.exists()   # outside the filter: counted only
    inside = run_file(tmp_path, node, document("d3", {"id": "cp-9", "name": "Fresh", "inn": inn10(9)}), "d3.xml")
    assert inside.created == 1 and Counterparty.objects.get(inn=inn10(9)).responsible == mine


def test_a_nodes_tabular_import_gives_new_counterparties_to_the_mappings_responsible(tmp_path, node):
    from raccordo.exchange import tabular

    chosen = UserFactory(username="chosen")
    mapping_save(user=None, node=node, data=MappingData(object_type=COUNTERPARTIES, match_keys=["inn", "kpp"],
                                                        responsible=str(chosen.pk)))
    path = tmp_path / "cp.csv"
    path.write_text(f"Name,INN\nAlpha,{inn10(21)}\n", encoding="utf-8")
    run = tabular.tabular_import(path=path, kind="counterparties", node=node)
    assert run.created == 1 and Counterparty.objects.get(inn=inn10(21)).responsible == chosen
