"""Every CommerceML file of the corpus imports (the third-party files of shared/ when present, ours in
tests/corpus always); what lands in the database is checked against counts taken independently from the
same files with XPath (not by the importer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from raccordo.catalog.models import Price, Product, ProductGroup, StockLevel
from raccordo.core.models import ChangeJournal
from raccordo.exchange.engine import content_hash
from raccordo.exchange.importers.catalog import GROUP, OFFER_PRICES, OFFER_STOCK, PRODUCT
from raccordo.exchange.models import Binding
from raccordo.exchange.services import exchange_import, node_create
from raccordo.sales.models import Invoice
from tests import corpus
from tests.factories import reference_data

FILES = corpus.commerceml_files()
pytestmark = pytest.mark.django_db


def _path(name: str) -> Path:
    """A corpus file by name; a third-party one skips its test when only the bundled files are there."""
    if name not in FILES and corpus.shared_commerceml_dir() is None:
        pytest.skip(f"{name}: a file of the shared corpus, which is not at {corpus.SHARED_COMMERCEML}")
    return FILES[name]


# One exchange per row, files in the order 1C sends them.
SETS = {
    "dobromyslov-ut11": ["dobromyslov__commerceml-parser__import0_1.xml",
                         "dobromyslov__commerceml-parser__offers0_1.xml"],
    "gillbeits-split-2.09": ["gillbeits__commerceml__import___b815e2db-7a65-4265-9241-5f0c4f0565a7.xml",
                             "gillbeits__commerceml__offers___7f304edc-2527-4d3d-b058-6e4ee53de2e0.xml",
                             "gillbeits__commerceml__prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml",
                             "gillbeits__commerceml__rests___1af6e7b8-a026-4690-9752-1c9d64cb914d.xml"],
    "off-doc-1c": ["irpsv__commerceml__off-doc-1c_import.xml", "irpsv__commerceml__off-doc-1c_offers.xml"],
    "ready-script": ["irpsv__commerceml__ready-script_import.xml", "irpsv__commerceml__ready-script_offers.xml"],
    "umi-cms": ["irpsv__commerceml__umi-cms_import.xml", "irpsv__commerceml__umi-cms_offers.xml"],
    "cs-cart": ["irpsv__commerceml__cs-cart_import.xml"],
    "bitrix-3.1": ["irpsv__commerceml__bitrix-module-6_import.xml", "irpsv__commerceml__bitrix-module-6_goods_1_import.xml",
                   "irpsv__commerceml__bitrix-module-6_goods_1_prices.xml",
                   "irpsv__commerceml__bitrix-module-6_goods_1_rests.xml"],
    "carono-offers": ["carono__php-commerceml__offers.xml"],
    "raccordo-bundled": ["raccordo__cml205_import.xml", "raccordo__cml207_offers.xml", "raccordo__cml209_rests.xml"],
}
DOCUMENT_FILES = {
    "irpsv__commerceml__off-doc-1c_orders.xml": 1,                      # two status-only documents are skipped
    "irpsv__commerceml__bitrix-module-6_documents_2_documents.xml": 4,
    "dobromyslov__commerceml-parser__bitrix-query-response-full.xml": 2,
    "dobromyslov__commerceml-parser__bitrix-query-response-empty.xml": 0,
    "raccordo__cml31_documents.xml": 2,
}


def _x(node, path: str):
    """XPath by local names, so 2.03 (no namespace), 2.07+ (commerceml_2) and 3.1 (commerceml_3) read alike."""
    steps = "/".join(s if s in ("", ".", "..") or s.startswith("@") or s == "*" else f"*[local-name()='{s}']"
                     for s in path.split("/"))
    return node.xpath(steps)


def _text(node, path: str) -> str:
    found = _x(node, path)
    return (found[0].text or "").strip() if found else ""


def expected_counts(files: list[str]) -> dict[str, int]:
    groups: set[str] = set()
    catalog: set[str] = set()
    deleted: set[str] = set()
    price_types: set[str] = set()
    offers: dict[str, etree._Element] = {}
    for name in files:
        root = etree.parse(str(_path(name)), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        groups |= {g.text.strip() for g in _x(root, "/*/Классификатор//Группа/Ид")}
        # CommerceML 3.1 keeps groups in the package too.
        groups |= {g.text.strip() for g in _x(root, "/*/Каталог/Группы//Группа/Ид")}
        for item in _x(root, "//Каталог/Товары/Товар"):
            pid = _text(item, "Ид")
            status = item.get("Статус") or _text(item, "Статус")
            if _text(item, "ПометкаУдаления").lower() == "true" or status == "Удален":
                deleted.add(pid)
            else:
                catalog.add(pid)
        price_types |= {p.text.strip() for p in _x(root, "//ТипыЦен/ТипЦены/Ид")}
        for offer in _x(root, "//Предложения/Предложение"):
            offers.setdefault(_text(offer, "Ид"), [])
            offers[_text(offer, "Ид")].append(offer)
    created_from_offers = 0
    prices: set[tuple[str, str]] = set()
    stock: set[tuple[str, str]] = set()
    resolvable = set(catalog)
    for oid, elements in offers.items():
        base = oid.split("#")[0]
        if oid in deleted or base in deleted:
            continue
        if oid not in resolvable:
            named = any(_text(e, "Наименование") for e in elements)
            if ("#" in oid and base in catalog) or named:
                created_from_offers += 1
                resolvable.add(oid)
            else:
                continue
        for e in elements:
            types = [_text(p, "ИдТипаЦены") for p in _x(e, "Цены/Цена")]
            if all(t in price_types for t in types):
                prices |= {(oid, t) for t in types}
            warehouses = [w.get("ИдСклада") for w in _x(e, "Склад") if w.get("ИдСклада")]
            warehouses += [_text(w, "Ид") for w in _x(e, "Остатки/Остаток/Склад")]
            if warehouses:
                stock |= {(oid, w) for w in warehouses}
            elif _x(e, "Количество") or _x(e, "Остатки/Остаток/Количество"):
                stock.add((oid, "total"))
    # Goods marked deleted are kept, inactive, so that no later offer can make them active (docs/commerceml.md).
    return {"groups": len(groups), "products": len(catalog) + len(deleted - catalog) + created_from_offers,
            "active": len(catalog) + created_from_offers, "prices": len(prices), "stock": len(stock)}


def _db_counts(node) -> dict[str, int]:
    return {
        "groups": Binding.objects.filter(node=node, object_type=GROUP).count(),
        "products": Binding.objects.filter(node=node, object_type=PRODUCT).count(),
        "active": Product.objects.filter(is_active=True, pk__in=Binding.objects.filter(
            node=node, object_type=PRODUCT).values("object_id")).count(),
        "prices": Price.objects.count(),
        "stock": StockLevel.objects.count(),
    }


@pytest.mark.parametrize("name", list(SETS))
def test_corpus_set_imports_with_independently_counted_results(name):
    files = [_path(f) for f in SETS[name]]
    node = node_create(user=None, code=name.replace(".", "-"), kind="folder")
    run = exchange_import(paths=files, node=node)
    expected = expected_counts(SETS[name])
    assert run.status == "succeeded", [(i.code, i.message, i.file, i.line) for i in run.items.all()[:5]]
    assert _db_counts(node) == expected
    assert ProductGroup.objects.count() == expected["groups"]
    assert Product.objects.count() == expected["products"]
    # Sanity: the corpus is not trivially empty for this set.
    assert sum(expected.values()) > 0


@pytest.mark.parametrize("name", list(SETS))
def test_importing_the_same_exchange_twice_writes_nothing(name):
    files = [_path(f) for f in SETS[name]]
    node = node_create(user=None, code=f"{name}-twice".replace(".", "-"), kind="folder")
    first = exchange_import(paths=files, node=node)
    journal_after_first = ChangeJournal.objects.count()
    state = (list(Product.objects.order_by("pk").values()), list(Price.objects.order_by("pk").values()),
             list(StockLevel.objects.order_by("pk").values()))
    second = exchange_import(paths=files, node=node)
    assert second.created == second.updated == second.failed == second.deactivated == 0
    assert second.unchanged == first.created + first.updated + first.unchanged
    assert ChangeJournal.objects.count() == journal_after_first
    assert state == (list(Product.objects.order_by("pk").values()), list(Price.objects.order_by("pk").values()),
                     list(StockLevel.objects.order_by("pk").values()))


def test_offer_digests_keep_the_format_earlier_versions_wrote():
    """An offer's price and stock bindings keep content_hash({price type or warehouse pk: value}) as
    earlier versions wrote it, so the bindings of an existing installation still read as unchanged."""
    files = [_path(f) for f in SETS["dobromyslov-ut11"]]
    node = node_create(user=None, code="digests", kind="folder")
    exchange_import(paths=files, node=node)
    checked = 0
    for kind, model, target, value in ((OFFER_PRICES, Price, "price_type_id", "value"),
                                       (OFFER_STOCK, StockLevel, "warehouse_id", "quantity")):
        for binding in Binding.objects.filter(node=node, object_type=kind):
            rows = model.objects.filter(product_id=binding.object_id).values_list(target, value)
            assert binding.content_hash == content_hash({str(t): str(v) for t, v in rows})
            checked += 1
    assert checked


@pytest.mark.parametrize("name,expected", list(DOCUMENT_FILES.items()))
def test_order_documents_from_the_corpus(name, expected):
    reference_data()
    node = node_create(user=None, code="orders", kind="folder")
    run = exchange_import(paths=[_path(name)], node=node)
    assert run.status == "succeeded", [(i.code, i.message) for i in run.items.all()[:5]]
    assert Invoice.objects.count() == expected
    again = exchange_import(paths=[_path(name)], node=node)
    assert again.created == again.updated == 0 and Invoice.objects.count() == expected


def test_bitrix_31_documents_carry_1c_numbers_and_shipments():
    reference_data()
    node = node_create(user=None, code="bx", kind="folder")
    exchange_import(paths=[_path("irpsv__commerceml__bitrix-module-6_documents_2_documents.xml")], node=node)
    shipped = Invoice.objects.get(accounting_number="K479")
    assert shipped.is_posted and shipped.shipment_number == "О0000000966"
    assert str(shipped.shipped_on) == "2017-08-02"
    assert not Invoice.objects.get(accounting_number="K480").is_posted
