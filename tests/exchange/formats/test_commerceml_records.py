"""Record-level behaviour of the CommerceML reader on small synthetic files."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from raccordo.exchange.formats.commerceml import (
    DocumentRec,
    ErrorRec,
    Group,
    OfferRec,
    PackageInfo,
    ProductRec,
    parse_decimal,
    read,
    split_variant_id,
)

NS2 = ' xmlns="urn:1C.ru:commerceml_2"'


def cml(body: str, ns: str = "", encoding: str = "UTF-8", version: str = "2.05") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<КоммерческаяИнформация{ns} ВерсияСхемы="{version}">{body}</КоммерческаяИнформация>'
    )
    return text.encode(encoding)


OFFERS = """
<ПакетПредложений СодержитТолькоИзменения="false">
  <Ид>cat#</Ид><Наименование>P</Наименование><ИдКаталога>cat</ИдКаталога><ИдКлассификатора>cls</ИдКлассификатора>
  <ТипыЦен><ТипЦены><Ид>pt</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
  <Склады><Склад><Ид>w1</Ид><Наименование>Main</Наименование></Склад></Склады>
  <Предложения>
    <Предложение><Ид>p1#c1</Ид><Цены><Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>1 234,50</ЦенаЗаЕдиницу>
      <Валюта>RUB</Валюта><Единица>шт</Единица></Цена></Цены><Количество>3,5</Количество></Предложение>
    <Предложение><Ид>p2</Ид><Цены><Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>abc</ЦенаЗаЕдиницу></Цена></Цены></Предложение>
    <Предложение><Ид>p3</Ид><Остатки><Остаток><Количество>7</Количество></Остаток></Остатки></Предложение>
    <Предложение><Ид>p4</Ид><Остатки><Остаток><Склад><Ид>w1</Ид><Количество>2</Количество></Склад></Остаток></Остатки></Предложение>
    <Предложение><Ид>p5</Ид><Склад ИдСклада="w1" КоличествоНаСкладе="1,5"/><ПометкаУдаления>true</ПометкаУдаления></Предложение>
    <Предложение><Ид></Ид></Предложение>
    <Предложение><Ид>p7</Ид><Склад><Ид>w1</Ид><Количество>4</Количество></Склад></Предложение>
    <Предложение><Ид>p6</Ид><Количество>NaN</Количество></Предложение>
  </Предложения>
</ПакетПредложений>
"""


def test_offers_prices_stock_and_bad_records():
    records = list(read(cml(OFFERS)))
    info = records[0]
    assert isinstance(info, PackageInfo)
    assert (info.kind, info.only_changes, info.catalog_id, info.classifier_id) == (
        "offers",
        False,
        "cat",
        "cls",
    )
    assert [pt.id for pt in info.price_types] == ["pt"] and [w.id for w in info.warehouses] == ["w1"]
    offers = {r.id: r for r in records if isinstance(r, OfferRec)}
    errors = [r for r in records if isinstance(r, ErrorRec)]
    p1 = offers["p1#c1"]
    assert (p1.product_id, p1.characteristic_id) == ("p1", "c1")
    assert p1.prices[0] == ("pt", Decimal("1234.50"), "RUB", "шт", None)
    assert p1.quantity == Decimal("3.5")
    assert offers["p3"].quantity == Decimal("7") and offers["p3"].stock == ()
    assert offers["p4"].stock == (("w1", Decimal("2")),) and offers["p4"].quantity is None
    assert offers["p5"].stock == (("w1", Decimal("1.5")),) and offers["p5"].deleted
    assert offers["p7"].stock == (("w1", Decimal("4")),)
    # bad records are reported and the stream goes on
    assert [(e.code, e.element_id, e.element) for e in errors] == [
        ("exchange.cml.bad_number", "p2", "Предложение"),
        ("exchange.cml.missing_id", None, "Предложение"),
        ("exchange.cml.bad_number", "p6", "Предложение"),
    ]
    assert errors[0].path == "/КоммерческаяИнформация/ПакетПредложений/Предложения/Предложение[2]"
    assert errors[0].line == 10  # line of the <Предложение> start tag
    assert "abc" in errors[0].message


def test_namespace_does_not_matter():
    plain = list(read(cml(OFFERS)))
    with_ns = list(read(cml(OFFERS, ns=NS2)))
    cml3 = list(read(cml(OFFERS, ns=' xmlns="urn:1C.ru:commerceml_3"', version="3.1")))
    strip = [r for r in plain if not isinstance(r, PackageInfo)]
    assert strip == [r for r in with_ns if not isinstance(r, PackageInfo)]
    assert strip == [r for r in cml3 if not isinstance(r, PackageInfo)]
    assert with_ns[0].namespace == "urn:1C.ru:commerceml_2"


def test_windows_1251_and_bom():
    body = "<Каталог><Ид>c</Ид><Товары><Товар><Ид>1</Ид><Наименование>Чайник «Ёж»</Наименование></Товар></Товары></Каталог>"
    for data in (cml(body, encoding="windows-1251"), b"\xef\xbb\xbf" + cml(body), cml(body)):
        product = next(r for r in read(data) if isinstance(r, ProductRec))
        assert product.name == "Чайник «Ёж»"


def test_only_changes_as_child_element_and_changes_packet():
    body = "<Каталог><Ид>c</Ид><СодержитТолькоИзменения>true</СодержитТолькоИзменения><Товары/></Каталог>"
    (info,) = list(read(cml(body)))
    assert info.kind == "catalog" and info.only_changes is True
    body = "<ИзмененияПакетаПредложений><Ид>x</Ид><Предложения><Предложение><Ид>a</Ид></Предложение></Предложения></ИзмененияПакетаПредложений>"
    info, offer = list(read(cml(body)))
    assert info.kind == "offers" and info.only_changes and offer.id == "a"


def test_groups_tree_and_group_without_id():
    body = """<Классификатор><Ид>k</Ид><Группы>
      <Группа><Ид>a</Ид><Наименование>A</Наименование><Группы>
        <Группа><Ид>a1</Ид><Наименование>A1</Наименование></Группа>
        <Группа><Наименование>nameless</Наименование></Группа>
        <Группа><Ид>a2</Ид><ПометкаУдаления>true</ПометкаУдаления><Группы><Группа><Ид>a21</Ид></Группа></Группы></Группа>
      </Группы></Группа>
      <Группа><Ид>b</Ид><Наименование>B</Наименование></Группа>
    </Группы></Классификатор>"""
    records = list(read(cml(body)))
    assert isinstance(records[0], PackageInfo) and records[0].classifier_id == "k"
    got = [(r.id, r.parent_id, r.deleted) if isinstance(r, Group) else r.code for r in records[1:]]
    assert got == [
        ("a", None, False),
        ("a1", "a", False),
        "exchange.cml.missing_id",
        ("a2", "a", True),
        ("a21", "a2", False),
        ("b", None, False),
    ]


def test_status_deleted_in_both_spellings_for_groups_and_records():
    """Статус "удален" or "удалён" (any case, attribute or child) marks a group or a record deleted."""
    body = """<Классификатор><Ид>k</Ид><Группы>
        <Группа><Ид>g1</Ид><Статус>удалён</Статус></Группа>
        <Группа><Ид>g2</Ид><Статус> Удален </Статус></Группа>
        <Группа><Ид>g3</Ид><Статус>Активен</Статус></Группа>
      </Группы>
      <Склады><Склад><Ид>w1</Ид><Статус>УДАЛЁН</Статус></Склад><Склад Статус="удален"><Ид>w2</Ид></Склад>
        <Склад><Ид>w3</Ид></Склад></Склады>
    </Классификатор>"""
    records = list(read(cml(body)))
    deleted = {r.id: r.deleted for r in records if not isinstance(r, PackageInfo)}
    assert deleted == {"g1": True, "g2": True, "g3": False, "w1": True, "w2": True, "w3": False}


def test_product_fields():
    body = """<Каталог><Ид>c</Ид><Товары><Товар Статус="Удален"><Ид>p#v</Ид><Артикул>ART</Артикул>
      <Штрихкод>4600000000001</Штрихкод><Наименование>N</Наименование>
      <БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>
      <Группы><Ид>g1</Ид><Ид>g2</Ид></Группы><Описание>D</Описание><Картинка>a.jpg</Картинка><Картинка>b.jpg</Картинка>
      <ЗначенияСвойств><ЗначенияСвойства><Ид>w</Ид><Значение>0,75</Значение></ЗначенияСвойства>
        <ЗначенияСвойства><Ид>m</Ид><Значение>x</Значение><Значение>y</Значение></ЗначенияСвойства></ЗначенияСвойств>
      <СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога></СтавкиНалогов>
      <ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Вес</Наименование><Значение>1</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>
    </Товар></Товары></Каталог>"""
    (_info, p) = list(read(cml(body)))
    assert (p.product_id, p.characteristic_id, p.article, p.barcode) == ("p", "v", "ART", "4600000000001")
    assert (p.unit_code, p.unit_name, p.unit_full_name) == ("796", "шт", "Штука")
    assert p.group_ids == ("g1", "g2") and p.images == ("a.jpg", "b.jpg") and p.description == "D"
    assert p.properties == {"w": "0,75", "m": ("x", "y")}
    assert p.property_decimal("w") == Decimal("0.75")
    assert p.tax_rates == {"НДС": "20"} and p.requisites == {"Вес": "1"}
    assert p.deleted


def test_document_bad_sum_is_an_error_record():
    body = """<Документ><Ид>1</Ид><Сумма>12.3.4</Сумма></Документ>
              <Документ><Ид>2</Ид><Номер>2</Номер><Сумма>10</Сумма>
                <Скидки><Скидка><Сумма>1,5</Сумма></Скидка></Скидки>
                <Товары><Товар><Ид>x</Ид><Количество>2</Количество><ЦенаЗаЕдиницу>5</ЦенаЗаЕдиницу>
                  <Скидки><Скидка><Сумма>1</Сумма></Скидка><Скидка><Сумма>0,5</Сумма></Скидка></Скидки>
                  <Налоги><Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме><Сумма>1,67</Сумма><Ставка>20</Ставка></Налог></Налоги>
                </Товар></Товары>
                <ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>A-1</Значение></ЗначениеРеквизита>
                  <ЗначениеРеквизита><Наименование>ПометкаУдаления</Наименование><Значение>true</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>
              </Документ>"""
    info, err, doc = list(read(cml(body)))
    assert info.kind == "documents"
    assert isinstance(err, ErrorRec) and err.element_id == "1" and err.element == "Документ"
    assert isinstance(doc, DocumentRec) and doc.number_1c == "A-1" and doc.deleted
    assert doc.discount == Decimal("1.5")
    line = doc.lines[0]
    assert (line.discount, line.vat_rate, line.vat_amount, line.vat_included) == (
        Decimal("1.5"),
        "20",
        Decimal("1.67"),
        True,
    )


def test_binary_file_object_without_name():
    records = list(read(io.BytesIO(cml(OFFERS))))
    assert sum(isinstance(r, OfferRec) for r in records) == 5


def test_helpers():
    assert parse_decimal(" 1\u00a0234,5 ") == Decimal("1234.5")
    assert parse_decimal("") is None and parse_decimal(None) is None
    for bad in ("abc", "NaN", "Infinity", "1,2,3"):
        try:
            parse_decimal(bad)
        except ValueError:
            pass
        else:  # pragma: no cover
            raise AssertionError(bad)
    assert split_variant_id("a#b") == ("a", "b")
    assert split_variant_id("a#") == ("a", None)
    assert split_variant_id("a") == ("a", None)


_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(
    products=st.lists(
        st.tuples(_text, _text, st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    ),
    ns=st.sampled_from(["", NS2]),
)
def test_property_products_round_trip(products, ns):
    items = "".join(
        f"<Товар><Ид>{escape(pid)}</Ид><Наименование>{escape(name)}</Наименование>"
        f"<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Цена</Наименование>"
        f"<Значение>{str(price).replace('.', ',')}</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>"
        for pid, name, price in products
    )
    got = [
        r
        for r in read(cml(f"<Каталог><Товары>{items}</Товары></Каталог>", ns=ns))
        if isinstance(r, ProductRec)
    ]
    assert [(p.id, p.name, parse_decimal(p.requisites["Цена"])) for p in got] == [
        (pid, name, price) for pid, name, price in products
    ]
    assert [p.path for p in got] == [
        f"/КоммерческаяИнформация/Каталог/Товары/Товар[{i}]" for i in range(1, len(products) + 1)
    ]
