"""CommerceML 2 writer for orders (Документ, ХозОперация "Заказ товара") as 1C's site exchange expects them.

Pure: it takes plain `OrderOut` records (no Django) and streams XML with lxml's incremental writer,
so the reader can read back exactly what was written (the round trip is property-tested).
Characters the chosen encoding lacks (windows-1251 has no "€" in some names, no emoji) become
character references, which every XML reader, 1C's included, turns back into the character.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from lxml import etree

from raccordo.core.xmltext import xml_text

SUPPORTED_VERSIONS = ("2.03", "2.04", "2.05", "2.06", "2.07", "2.08", "2.09", "2.10")
NAMESPACED_FROM = "2.07"  # 1C writes urn:1C.ru:commerceml_2 from 2.07 on
NAMESPACE = "urn:1C.ru:commerceml_2"


@dataclass(frozen=True)
class PartyOut:
    id: str
    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    role: str = "Покупатель"
    address: str = ""
    is_person: bool = False
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineOut:
    product_id: str
    name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    article: str = ""
    unit_code: str = "796"
    unit_name: str = "шт"
    discount: Decimal = Decimal("0")
    vat_rate: Decimal | None = None
    vat_amount: Decimal = Decimal("0")
    vat_included: bool = True
    is_service: bool = False


@dataclass(frozen=True)
class OrderOut:
    id: str
    number: str
    date: dt.date
    currency: str
    total: Decimal
    counterparty: PartyOut
    lines: tuple[LineOut, ...]
    time: dt.time = dt.time(0, 0)
    rate: Decimal = Decimal("1")
    comment: str = ""
    requisites: dict[str, str] = field(default_factory=dict)


def _fmt(value: Decimal) -> str:
    """Plain decimal notation with a point, as CommerceML wants (never 1E+2)."""
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    # Children inherit the document's namespace (none before 2.07, commerceml_2 after).
    ns = etree.QName(parent).namespace
    # Every text goes through xml_text: one control character in a name must not fail the whole export
    # (lxml refuses it, and 1C would get `failure` for every order until someone found the record).
    child = etree.SubElement(
        parent, f"{{{ns}}}{tag}" if ns else tag, {k: xml_text(v) for k, v in attrs.items() if v is not None}
    )
    if text is not None:
        child.text = xml_text(text)
    return child


def _requisites(parent: etree._Element, values: dict[str, str]) -> None:
    if not values:
        return
    block = _el(parent, "ЗначенияРеквизитов")
    for name, value in values.items():
        item = _el(block, "ЗначениеРеквизита")
        _el(item, "Наименование", name)
        _el(item, "Значение", value)


def _party(parent: etree._Element, party: PartyOut) -> None:
    cp = _el(parent, "Контрагент")
    _el(cp, "Ид", party.id)
    _el(cp, "Наименование", party.name)
    if party.is_person:
        _el(cp, "ПолноеНаименование", party.full_name or party.name)
    else:
        _el(cp, "ОфициальноеНаименование", party.full_name or party.name)
    _el(cp, "Роль", party.role)
    if party.inn:
        _el(cp, "ИНН", party.inn)
    if party.kpp:
        _el(cp, "КПП", party.kpp)
    if party.address:
        address = _el(cp, "АдресРегистрации" if party.is_person else "ЮридическийАдрес")
        _el(address, "Представление", party.address)
    contacts = [("Телефон рабочий", p) for p in party.phones] + [("Почта", e) for e in party.emails]
    if contacts:
        block = _el(cp, "Контакты")
        for kind, value in contacts:
            contact = _el(block, "Контакт")
            _el(contact, "Тип", kind)
            _el(contact, "Значение", value)


def _line(parent: etree._Element, line: LineOut) -> None:
    item = _el(parent, "Товар")
    _el(item, "Ид", line.product_id)
    if line.article:
        _el(item, "Артикул", line.article)
    _el(item, "Наименование", line.name)
    _el(
        item,
        "БазоваяЕдиница",
        line.unit_name,
        Код=line.unit_code or None,
        НаименованиеПолное=line.unit_name or None,
    )
    _el(item, "ЦенаЗаЕдиницу", _fmt(line.price))
    _el(item, "Количество", _fmt(line.quantity))
    _el(item, "Сумма", _fmt(line.amount))
    if line.discount:
        discounts = _el(item, "Скидки")
        discount = _el(discounts, "Скидка")
        _el(discount, "Сумма", _fmt(line.discount))
        _el(discount, "УчтеноВСумме", "true")
    if line.vat_rate is not None:
        taxes = _el(item, "Налоги")
        tax = _el(taxes, "Налог")
        _el(tax, "Наименование", "НДС")
        _el(tax, "УчтеноВСумме", "true" if line.vat_included else "false")
        _el(tax, "Сумма", _fmt(line.vat_amount))
        _el(tax, "Ставка", _fmt(line.vat_rate))
        rates = _el(item, "СтавкиНалогов")
        rate = _el(rates, "СтавкаНалога")
        _el(rate, "Наименование", "НДС")
        _el(rate, "Ставка", _fmt(line.vat_rate))
    kind = "Услуга" if line.is_service else "Товар"
    _requisites(item, {"ВидНоменклатуры": kind, "ТипНоменклатуры": kind})


def order_element(order: OrderOut, namespace: str | None = None) -> etree._Element:
    """One Документ element."""
    doc = etree.Element(
        f"{{{namespace}}}Документ" if namespace else "Документ",
        nsmap={None: namespace} if namespace else None,
    )
    _el(doc, "Ид", order.id)
    _el(doc, "Номер", order.number)
    _el(doc, "Дата", order.date.isoformat())
    _el(doc, "ХозОперация", "Заказ товара")
    _el(doc, "Роль", "Продавец")
    _el(doc, "Валюта", order.currency)
    _el(doc, "Курс", _fmt(order.rate))
    _el(doc, "Сумма", _fmt(order.total))
    parties = _el(doc, "Контрагенты")
    _party(parties, order.counterparty)
    _el(doc, "Время", order.time.strftime("%H:%M:%S"))
    if order.comment:
        _el(doc, "Комментарий", order.comment)
    goods = _el(doc, "Товары")
    for line in order.lines:
        _line(goods, line)
    _requisites(doc, order.requisites)
    return doc


class _Windows1251:
    """lxml writes UTF-8 into it; it writes windows-1251 to `out`, every character the code page lacks as a
    character reference. Not lxml's own windows-1251 output: it goes through iconv, which silently drops
    some characters (the Unicode tag block U+E0000-E007F) instead of writing them as references. Markup is
    ASCII and Cyrillic, so references only ever land in text and attribute values, where they are valid."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes) -> int:
        self.out.write(self.decoder.decode(bytes(data)).encode("windows-1251", "xmlcharrefreplace"))
        return len(data)


def write_orders(
    orders: Iterable[OrderOut],
    out: IO[bytes],
    *,
    version: str = "2.05",
    encoding: str = "windows-1251",
    generated_at: dt.datetime | None = None,
) -> int:
    """Stream orders as one КоммерческаяИнформация; return how many were written."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"CommerceML version {version!r} is not one of {', '.join(SUPPORTED_VERSIONS)}")
    codec = encoding.lower()
    if codec not in ("windows-1251", "cp1251", "utf-8"):
        raise ValueError(f"encoding {encoding!r}: use windows-1251 or utf-8")
    codec = "windows-1251" if codec == "cp1251" else codec
    stamp = (generated_at or dt.datetime.now()).replace(microsecond=0).isoformat()
    attrs = {"ВерсияСхемы": version, "ДатаФормирования": stamp}
    nsmap = {None: NAMESPACE} if version >= NAMESPACED_FROM else None
    count = 0
    out.write(
        f'<?xml version="1.0" encoding="{codec.upper() if codec == "utf-8" else codec}"?>\n'.encode("ascii")
    )
    sink = _Windows1251(out) if codec == "windows-1251" else out
    with etree.xmlfile(sink, encoding="utf-8") as xf:
        root_tag = f"{{{NAMESPACE}}}КоммерческаяИнформация" if nsmap else "КоммерческаяИнформация"
        with xf.element(root_tag, attrs, nsmap=nsmap):
            for order in orders:
                xf.write(order_element(order, NAMESPACE if nsmap else None))
                count += 1
    return count
