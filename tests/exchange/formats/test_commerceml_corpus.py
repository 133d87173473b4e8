"""The CommerceML reader against every file of the corpus: the third-party files of shared/ and ours (tests/corpus).

Expected counts are computed here, independently of the reader, with lxml XPath
(``local-name()``, so namespaces do not matter) over the same file, and checked
against a hand-written table so that a broken XPath cannot make both sides zero.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from raccordo.exchange.formats.commerceml import (
    DocumentRec,
    ErrorRec,
    Group,
    OfferRec,
    PackageInfo,
    PriceTypeRec,
    ProductRec,
    Property,
    UnitRec,
    WarehouseRec,
    read,
)
from tests import corpus

# The bundled files always, the shared third-party corpus too when it is beside the checkout (tests/corpus).
FILES = list(corpus.commerceml_files().values())
SHARED = corpus.shared_commerceml_dir()


def _ln(name: str) -> str:
    return f"*[local-name()='{name}']"


def _p(*steps: str) -> str:
    return "/".join(_ln(s) if s not in ("", "*") else s for s in steps)


# independent counts: XPath over the whole document
XPATHS = {
    "groups": f"count(/*/{_ln('Классификатор')}//{_ln('Группы')}/{_ln('Группа')})",
    "properties": f"count(/*/*[local-name()='Классификатор' or local-name()='Каталог']/{_p('Свойства', 'Свойство')})",
    "price_types": f"count(/*/*/{_p('ТипыЦен', 'ТипЦены')})",
    "warehouses": f"count(/*/*/{_p('Склады', 'Склад')})",
    "units": f"count(/*/{_p('Классификатор', 'ЕдиницыИзмерения', 'ЕдиницаИзмерения')})",
    "products": f"count(/*/{_p('Каталог', 'Товары', 'Товар')})",
    "deleted_products": f"count(/*/{_p('Каталог', 'Товары', 'Товар')}"
    f"[{_ln('ПометкаУдаления')}='true' or @*[local-name()='Статус']='Удален'])",
    "offers": f"count(/*/*/{_p('Предложения', 'Предложение')})",
    "prices": f"count(/*/*/{_p('Предложения', 'Предложение', 'Цены', 'Цена')})",
    "stock_rows": f"count(/*/*/{_p('Предложения', 'Предложение', 'Склад')}[@*[local-name()='ИдСклада']])"
    f" + count(/*/*/{_p('Предложения', 'Предложение', 'Остатки', 'Остаток', 'Склад')})",
    "documents": f"count(/*/{_ln('Документ')}) + count(/*/{_p('Контейнер', 'Документ')})",
    "document_lines": f"count(/*/{_p('Документ', 'Товары', 'Товар')}) + count(/*/{_p('Контейнер', 'Документ', 'Товары', 'Товар')})",
    "packages": "count(/*/*[local-name()='Классификатор' or local-name()='Каталог' "
    "or local-name()='ПакетПредложений'])",
}

# fmt: off
# file -> groups, properties, price_types, warehouses, units, products, deleted_products,
#         offers, prices, stock_rows, documents, document_lines
TABLE = {
    "carono__php-commerceml__offers.xml":                          (0, 0, 1, 5, 0, 0, 0, 5, 5, 5, 0, 0),
    "dobromyslov__commerceml-parser__bitrix-query-response-empty.xml": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "dobromyslov__commerceml-parser__bitrix-query-response-full.xml": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 8),
    "dobromyslov__commerceml-parser__import0_1.xml":               (1, 12, 0, 0, 0, 36, 1, 0, 0, 0, 0, 0),
    "dobromyslov__commerceml-parser__offers0_1.xml":               (0, 0, 1, 3, 0, 0, 0, 44, 44, 132, 0, 0),
    "gillbeits__commerceml__import___b815e2db-7a65-4265-9241-5f0c4f0565a7.xml": (97, 1908, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0),
    "gillbeits__commerceml__offers___7f304edc-2527-4d3d-b058-6e4ee53de2e0.xml": (0, 0, 0, 0, 0, 0, 0, 978, 0, 0, 0, 0),
    "gillbeits__commerceml__prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml": (0, 0, 0, 0, 0, 0, 0, 978, 978, 0, 0, 0),
    "gillbeits__commerceml__rests___1af6e7b8-a026-4690-9752-1c9d64cb914d.xml": (0, 0, 0, 0, 0, 0, 0, 978, 0, 978, 0, 0),
    "irpsv__commerceml__bitrix-module-6_documents_2_documents.xml": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4),
    "irpsv__commerceml__bitrix-module-6_goods_1_import.xml":       (0, 0, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__bitrix-module-6_goods_1_prices.xml":       (0, 0, 0, 0, 0, 0, 0, 86, 86, 0, 0, 0),
    "irpsv__commerceml__bitrix-module-6_goods_1_rests.xml":        (0, 0, 0, 0, 0, 0, 0, 86, 0, 1032, 0, 0),
    "irpsv__commerceml__bitrix-module-6_import.xml":               (1, 0, 8, 12, 1, 0, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__cs-cart_import.xml":                       (4, 1, 0, 0, 0, 27, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__off-doc-1c_import.xml":                    (1, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__off-doc-1c_offers.xml":                    (0, 0, 4, 0, 0, 0, 0, 2, 8, 0, 0, 0),
    "irpsv__commerceml__off-doc-1c_orders.xml":                    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2),
    "irpsv__commerceml__ready-script_import.xml":                  (4, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__ready-script_offers.xml":                  (0, 0, 1, 0, 0, 0, 0, 2, 2, 0, 0, 0),
    "irpsv__commerceml__umi-cms_import.xml":                       (1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0),
    "irpsv__commerceml__umi-cms_offers.xml":                       (0, 0, 5, 0, 0, 0, 0, 14, 70, 0, 0, 0),
    # bundled in tests/corpus/commerceml
    "raccordo__cml205_import.xml":                                 (3, 2, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0),
    "raccordo__cml207_offers.xml":                                 (0, 0, 2, 2, 0, 0, 0, 3, 4, 3, 0, 0),
    "raccordo__cml209_rests.xml":                                  (0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0),
    "raccordo__cml31_documents.xml":                               (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3),
}
# fmt: on
TABLE_KEYS = (
    "groups",
    "properties",
    "price_types",
    "warehouses",
    "units",
    "products",
    "deleted_products",
    "offers",
    "prices",
    "stock_rows",
    "documents",
    "document_lines",
)


def xpath_counts(path: Path) -> dict[str, int]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(path), parser)
    return {key: int(tree.xpath(expr)) for key, expr in XPATHS.items()}


def reader_counts(records: list) -> dict[str, int]:
    kinds = Counter(type(r).__name__ for r in records)
    products = [r for r in records if isinstance(r, ProductRec)]
    offers = [r for r in records if isinstance(r, OfferRec)]
    docs = [r for r in records if isinstance(r, DocumentRec)]
    return {
        "groups": kinds["Group"],
        "properties": kinds["Property"],
        "price_types": kinds["PriceTypeRec"],
        "warehouses": kinds["WarehouseRec"],
        "units": kinds["UnitRec"],
        "products": len(products),
        "deleted_products": sum(p.deleted for p in products),
        "offers": len(offers),
        "prices": sum(len(o.prices) for o in offers),
        "stock_rows": sum(len(o.stock) for o in offers),
        "documents": len(docs),
        "document_lines": sum(len(d.lines) for d in docs),
        "packages": sum(1 for r in records if isinstance(r, PackageInfo) and r.kind != "documents"),
    }


def test_table_covers_the_whole_corpus():
    """Every file has its row; with the shared corpus present, every row has its file."""
    expected = TABLE if SHARED else {name for name in TABLE if (corpus.BUNDLED_COMMERCEML / name).is_file()}
    assert sorted(expected) == sorted(f.name for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_counts_match_independent_xpath(path: Path):
    expected = xpath_counts(path)
    assert tuple(expected[k] for k in TABLE_KEYS) == TABLE[path.name]
    records = list(read(path))
    assert [r for r in records if isinstance(r, ErrorRec)] == []
    assert reader_counts(records) == expected


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_record_knows_where_it_came_from(path: Path):
    records = list(read(path))
    for rec in records:
        assert isinstance(rec.line, int) and rec.line > 0, rec
        assert rec.path.startswith("/КоммерческаяИнформация/"), rec
    # document order
    lines = [r.line for r in records if not isinstance(r, PackageInfo)]
    assert lines == sorted(lines)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_package_info_comes_first_in_its_container(path: Path):
    records = list(read(path))
    current = None
    for rec in records:
        if isinstance(rec, PackageInfo):
            current = rec
            continue
        assert current is not None, f"{rec!r} before any PackageInfo"
        assert rec.path.startswith(current.path.rsplit("/", 1)[0]), (rec.path, current.path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_object_and_bytes_give_the_same_records(path: Path):
    from_path = list(read(path))
    with path.open("rb") as fh:
        assert list(read(fh)) == from_path
    assert list(read(path.read_bytes())) == from_path


def _file(fragment: str) -> Path:
    matches = [f for f in FILES if fragment in f.name]
    if not matches and SHARED is None:
        pytest.skip(f"{fragment}: a file of the shared corpus, which is not at {corpus.SHARED_COMMERCEML}")
    assert len(matches) == 1, fragment
    return matches[0]


def test_windows_1251_orders():
    records = list(read(_file("bitrix-query-response-full")))
    info = records[0]
    assert isinstance(info, PackageInfo) and info.kind == "documents" and info.version == "2.05"
    docs = [r for r in records if isinstance(r, DocumentRec)]
    assert [d.id for d in docs] == ["132", "133"]
    first = docs[0]
    assert first.operation == "Заказ товара"
    assert first.role == "Продавец"
    assert first.currency == "руб"
    assert first.total == Decimal("231.7400")
    assert first.requisites["Статус заказа"] == "[N] Принят, ожидается оплата"
    assert first.requisites["Отменен"] == "false"
    assert first.counterparties[0].role == "Покупатель"
    line = first.lines[0]
    assert line.unit_code == "796" and line.unit_name == "шт"
    assert line.quantity == Decimal("1.0000") and line.price == Decimal("231.7400")
    assert line.requisites["СвойствоКорзины#PRODUCT.XML_ID"] == line.product_id


def test_empty_query_response_yields_nothing():
    assert list(read(_file("bitrix-query-response-empty"))) == []


def test_official_orders_sample():
    docs = [r for r in read(_file("off-doc-1c_orders")) if isinstance(r, DocumentRec)]
    assert [d.id for d in docs] == ["36", "92", "93"]
    order = docs[0]
    assert order.date == "2007-10-30" and order.time == "15:19:27"
    assert order.lines[0].product_id == "ORDER_DELIVERY"
    party = order.counterparties[0]
    assert party.last_name == "Иванов" and party.address == "ггг"
    assert party.representatives == (("Контактное лицо", "b342955a9185c40132d4c1df6b30af2f", "admin"),)
    status = docs[1]
    assert {"Номер по 1С", "Дата по 1С", "ПометкаУдаления", "Проведен", "Статус заказа"} <= set(
        status.requisites
    )


def test_cml31_container_documents():
    records = list(read(_file("documents_2_documents")))
    assert isinstance(records[0], PackageInfo) and records[0].namespace == "urn:1C.ru:commerceml_3"
    docs = [r for r in records if isinstance(r, DocumentRec)]
    assert [d.container for d in docs] == [1, 2, 3, 4]
    first = docs[0]
    assert first.number_1c == "L319" and first.date_1c == "2017-08-01"
    assert first.requisites["Проведен"] == "true"
    assert first.deleted is False
    line = first.lines[0]
    assert line.characteristic_id == "9b62e395-ef8b-11e3-9438-00155d020201"
    assert line.unit_code == "796" and line.unit_name == "шт"
    assert line.price == Decimal("1320") and line.vat_rate == "Без налога" and line.vat_amount == Decimal("0")
    assert docs[1].counterparties[0].representatives[1][2] == "Борисов Андрей Владимирович"


def test_nested_groups_have_parents_yielded_first():
    groups = [r for r in read(_file("gillbeits__commerceml__import")) if isinstance(r, Group)]
    seen: set[str] = set()
    for g in groups:
        assert g.parent_id is None or g.parent_id in seen, g
        seen.add(g.id)
    assert len(seen) == len(groups) == 97
    assert sum(g.parent_id is None for g in groups) == 1
    # depth 4 exists in this file
    by_id = {g.id: g for g in groups}

    def depth(g):
        return 1 if g.parent_id is None else 1 + depth(by_id[g.parent_id])

    assert max(depth(g) for g in groups) == 4


def test_classifier_2_09_properties_units_and_flags():
    records = list(read(_file("gillbeits__commerceml__import")))
    infos = [r for r in records if isinstance(r, PackageInfo)]
    assert [(i.kind, i.only_changes) for i in infos] == [("classifier", True), ("catalog", True)]
    assert infos[0].namespace == "urn:1C.ru:commerceml_2"
    props = [r for r in records if isinstance(r, Property)]
    # 1811 Справочник entries, 11 of them empty (<ИдЗначения/><Значение/>, a 1C quirk) and skipped
    tree = etree.parse(str(_file("gillbeits__commerceml__import")))
    filled = tree.xpath(
        f"count(//{_p('ВариантыЗначений', 'Справочник', 'ИдЗначения')}[normalize-space()!=''])"
    )
    assert sum(len(p.values) for p in props) == int(filled) == 1800
    assert sum(p.deleted for p in props) > 0
    units = [r for r in records if isinstance(r, UnitRec)]
    assert all(u.code for u in units)


def test_catalog_2_07_details():
    records = list(read(_file("dobromyslov__commerceml-parser__import0_1")))
    products = [r for r in records if isinstance(r, ProductRec)]
    first = products[0]
    assert first.unit_code == "796"  # Код="796 " in the file
    assert first.unit_full_name == "Штука"
    assert first.barcode == "8809288404089"
    assert first.tax_rates == {"НДС": "20"}
    assert first.manufacturer == "Crazy Boom"
    assert first.properties["38409b0c-29da-11e9-80c9-0cc47ab29cd1"] == "1,4"  # text kept
    assert first.property_decimal("38409b0c-29da-11e9-80c9-0cc47ab29cd1") == Decimal("1.4")
    deleted = [p for p in products if p.deleted]
    assert [p.article for p in deleted] == ["KM-245-BC"]  # Товар Статус="Удален"
    prop = next(r for r in records if isinstance(r, Property) and r.values)
    assert prop.type == "Справочник"


def test_offers_with_warehouse_attributes_and_characteristics():
    records = list(read(_file("carono__php-commerceml__offers")))
    info = next(r for r in records if isinstance(r, PackageInfo) and r.kind == "offers")
    assert len(info.warehouses) == 5 and len(info.price_types) == 1
    # definitions follow their PackageInfo
    idx = records.index(info)
    assert all(isinstance(r, (PriceTypeRec, WarehouseRec)) for r in records[idx + 1 : idx + 7])
    offers = [r for r in records if isinstance(r, OfferRec)]
    with_char = [o for o in offers if o.characteristic_id]
    assert with_char and all(o.product_id and "#" in o.id for o in with_char)
    assert any(o.characteristics for o in offers)
    for o in offers:
        assert o.stock and all(isinstance(s.quantity, Decimal) for s in o.stock)


def test_split_packets_route_by_content():
    prices = [r for r in read(_file("gillbeits__commerceml__prices")) if isinstance(r, OfferRec)]
    assert all(o.prices and not o.stock and o.quantity is None for o in prices)
    assert prices[0].prices[0].value == Decimal("181") and prices[0].prices[0].currency == "RUB"
    rests = [r for r in read(_file("gillbeits__commerceml__rests")) if isinstance(r, OfferRec)]
    assert all(o.stock and not o.prices for o in rests)
    assert rests[0].stock[0].quantity == Decimal("1")
    bare = [r for r in read(_file("gillbeits__commerceml__offers")) if isinstance(r, OfferRec)]
    assert all(not o.prices and not o.stock and o.name for o in bare)


def test_cml31_catalog_text_unit_and_only_changes():
    records = list(read(_file("bitrix-module-6_goods_1_import")))
    assert records[0].kind == "catalog" and records[0].only_changes is True
    first = next(r for r in records if isinstance(r, ProductRec))
    assert first.unit_code == "796" and first.unit_name is None  # <БазоваяЕдиница>796 </БазоваяЕдиница>
    assert first.article is None and first.barcode is None  # empty elements
    assert first.requisites["Код"] == "С0006746"


def test_images_and_price_types():
    products = [r for r in read(_file("umi-cms_import")) if isinstance(r, ProductRec)]
    assert all(p.images and p.images[0].startswith("import_files/") for p in products)
    info = next(r for r in read(_file("off-doc-1c_offers")) if isinstance(r, PackageInfo))
    assert {pt.name for pt in info.price_types} == {"Оптовая", "Закупочная", "Плановая", "Розничная"}
    assert {pt.name: pt.vat_included for pt in info.price_types}["Розничная"] is True


# --- the bundled files (tests/corpus): the same kinds of detail, checked where no shared corpus is ---------------

def _bundled(name: str) -> list:
    return list(read(corpus.BUNDLED_COMMERCEML / name))


def test_bundled_catalog_2_05_with_a_bom():
    records = _bundled("raccordo__cml205_import.xml")
    assert [(i.kind, i.version, i.namespace) for i in records if isinstance(i, PackageInfo)] == [
        ("classifier", "2.05", None), ("catalog", "2.05", None)]
    groups = {g.id: g.parent_id for g in records if isinstance(g, Group)}
    assert groups == {"grp-tools": None, "grp-drills": "grp-tools", "grp-supplies": None}
    products = [r for r in records if isinstance(r, ProductRec)]
    first = products[0]
    assert first.unit_code == "796" and first.unit_full_name == "Штука"  # Код="796 " in the file
    assert first.barcode == "4600000000017" and first.tax_rates == {"НДС": "20"}
    assert first.properties["prop-power"] == "500,5" and first.property_decimal("prop-power") == Decimal("500.5")
    assert products[1].name == "Дрель 800 Вт & кейс"
    assert [p.article for p in products if p.deleted] == ["DR-OLD"]  # Товар Статус="Удален"
    colour = next(r for r in records if isinstance(r, Property) and r.values)
    assert colour.type == "Справочник" and colour.values["colour-blue"] == "Синий"


def test_bundled_offers_stock_rows_and_documents():
    offers = [r for r in _bundled("raccordo__cml207_offers.xml") if isinstance(r, OfferRec)]
    drill, case, bits = offers
    assert [p.value for p in drill.prices] == [Decimal("4990"), Decimal("4100.50")]
    assert [(s.warehouse_id, s.quantity) for s in drill.stock] == [("wh-main", 5), ("wh-shop", 2)]
    assert (case.product_id, case.characteristic_id) == ("prod-drill-800", "char-case")
    assert bits.quantity is None and not bits.stock   # its stock comes in the rests package
    rests = [r for r in _bundled("raccordo__cml209_rests.xml") if isinstance(r, OfferRec)]
    assert all(o.stock and not o.prices for o in rests)
    docs = [r for r in _bundled("raccordo__cml31_documents.xml") if isinstance(r, DocumentRec)]
    assert [(d.container, d.number_1c, d.total) for d in docs] == [(1, "RC-0001", 6170), (2, "RC-0002", 1770)]
    assert docs[0].requisites["Проведен"] == "true" and docs[0].lines[1].quantity == 2
