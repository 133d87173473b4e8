"""Record builder for CommerceML documents (orders and the like): Документ -> :class:`DocumentRec`, with
its Контрагенты as :class:`Counterparty` and its Товары as :class:`DocumentLine`.

A bad number anywhere in the document raises :class:`BadRecord`: the whole document becomes an ErrorRec.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from .elements import (
    Index,
    base_unit,
    characteristics,
    child_texts,
    children_named,
    first_children,
    local_name,
    name_value_pairs,
    parse_bool,
    parse_number,
    text_at,
    text_of,
)
from .records import Counterparty, DocumentLine, DocumentRec, split_variant_id


def build_document(el: etree._Element, line: int | None, path: str, container: int | None) -> DocumentRec:
    """Документ -> DocumentRec; ``container`` is the number of its CML 3.1 Контейнер (None outside one)."""
    kids = first_children(el)
    requisites = name_value_pairs(kids, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение")
    parties: list[Counterparty] = []
    box = kids.get("Контрагенты")
    if box is not None:
        for cp in children_named(box, "Контрагент"):
            parties.append(_counterparty(cp))
    lines: list[DocumentLine] = []
    goods = kids.get("Товары")
    if goods is not None:
        for item in children_named(goods, "Товар"):
            lines.append(_document_line(item))
    discount, _ = _discounts(kids)
    vat_amount, _rate, _incl = _taxes(kids)
    deleted = parse_bool(text_of(kids, "ПометкаУдаления"))
    if deleted is None:
        deleted = parse_bool(requisites.get("ПометкаУдаления"))
    return DocumentRec(
        id=text_of(kids, "Ид") or None,
        number=text_of(kids, "Номер"),
        date=text_of(kids, "Дата"),
        time=text_of(kids, "Время"),
        operation=text_of(kids, "ХозОперация"),
        role=text_of(kids, "Роль"),
        currency=text_of(kids, "Валюта"),
        rate=parse_number(text_of(kids, "Курс"), "Курс"),
        total=parse_number(text_of(kids, "Сумма"), "Сумма"),
        comment=text_of(kids, "Комментарий"),
        number_1c=text_of(kids, "Номер1С") or requisites.get("Номер по 1С") or None,
        date_1c=text_of(kids, "Дата1С") or requisites.get("Дата по 1С") or None,
        deleted=bool(deleted),
        counterparties=tuple(parties),
        lines=tuple(lines),
        requisites=requisites,
        discount=discount,
        vat_amount=vat_amount,
        container=container,
        line=line,
        path=path,
    )


def _counterparty(cp: etree._Element) -> Counterparty:
    """Контрагент -> Counterparty; the company's details may sit in Организация or ЮридическоеЛицо."""
    kids = first_children(cp)
    address = None
    for box in ("АдресРегистрации", "ЮридическийАдрес", "Адрес"):
        address = text_at(kids, box, "Представление")
        if address:
            break
    org = kids.get("Организация")
    if org is None:
        org = kids.get("ЮридическоеЛицо")
    base = first_children(org) if org is not None else kids
    return Counterparty(
        id=text_of(kids, "Ид") or None,
        name=text_of(kids, "Наименование") or text_of(base, "Наименование"),
        full_name=text_of(kids, "ПолноеНаименование") or text_of(base, "ОфициальноеНаименование"),
        last_name=text_of(kids, "Фамилия"),
        first_name=text_of(kids, "Имя"),
        middle_name=text_of(kids, "Отчество"),
        inn=text_of(kids, "ИНН") or text_of(base, "ИНН") or None,
        kpp=text_of(kids, "КПП") or text_of(base, "КПП") or None,
        okpo=text_of(kids, "КодПоОКПО") or text_of(kids, "ОКПО") or None,
        role=text_of(kids, "Роль"),
        address=address or None,
        contacts=_contacts(kids.get("Контакты")),
        representatives=_representatives(kids.get("Представители")),
        deleted=bool(parse_bool(text_of(kids, "ПометкаУдаления"))),
    )


def _contacts(box: etree._Element | None) -> tuple[tuple[str, str], ...]:
    """Контакты -> ((type, value), ...)."""
    if box is None:
        return ()
    contacts: list[tuple[str, str]] = []
    for ct in children_named(box, "Контакт"):
        texts = child_texts(ct)
        contacts.append((texts.get("Тип") or "", texts.get("Значение") or ""))
    return tuple(contacts)


def _representatives(box: etree._Element | None) -> tuple[tuple[str | None, str | None, str | None], ...]:
    """Представители -> ((relation, id, name), ...), from Представитель or its nested Контрагент."""
    if box is None:
        return ()
    reps: list[tuple[str | None, str | None, str | None]] = []
    for rep in children_named(box, "Представитель"):
        inner = first_children(rep).get("Контрагент")
        texts = child_texts(inner if inner is not None else rep)
        reps.append((texts.get("Отношение"), texts.get("Ид"), texts.get("Наименование")))
    return tuple(reps)


def _discounts(kids: Index) -> tuple[Decimal | None, bool | None]:
    """Скидки/Скидка -> (total discount, included in sum)."""
    box = kids.get("Скидки")
    if box is None:
        return None, None
    total: Decimal | None = None
    included = None
    for d in children_named(box, "Скидка"):
        texts = child_texts(d)
        amount = parse_number(texts.get("Сумма"), "Скидка/Сумма")
        if amount is not None:
            total = (total or Decimal(0)) + amount
        included = parse_bool(texts.get("УчтеноВСумме")) if included is None else included
    return total, included


def _taxes(kids: Index) -> tuple[Decimal | None, str | None, bool | None]:
    """Налоги/Налог -> (VAT amount, VAT rate text, included in sum)."""
    box = kids.get("Налоги")
    if box is None:
        return None, None, None
    amount: Decimal | None = None
    rate = None
    included = None
    for tax in children_named(box, "Налог"):
        texts = child_texts(tax)
        name = (texts.get("Наименование") or "").upper()
        if name and name != "НДС":
            continue
        value = parse_number(texts.get("Сумма"), "Налог/Сумма")
        if value is not None:
            amount = (amount or Decimal(0)) + value
        rate = rate or texts.get("Ставка") or None
        included = parse_bool(texts.get("УчтеноВСумме")) if included is None else included
    return amount, rate, included


def _document_line(item: etree._Element) -> DocumentLine:
    """Документ/Товары/Товар -> DocumentLine."""
    kids = first_children(item)
    ident = text_of(kids, "Ид") or None
    _product, characteristic = split_variant_id(ident)
    unit_el = kids.get("БазоваяЕдиница")
    if unit_el is None:
        unit_el = kids.get("Единица")
    unit_code, unit_name, _full = base_unit(unit_el)
    if unit_el is not None and local_name(unit_el.tag) == "Единица" and unit_code is None:
        unit_code = (text_of(first_children(unit_el), "Ид") or "").strip() or None
    discount, _ = _discounts(kids)
    vat_amount, vat_rate, vat_included = _taxes(kids)
    rates = name_value_pairs(kids, "СтавкиНалогов", "СтавкаНалога", "Наименование", "Ставка")
    if vat_rate is None:
        vat_rate = rates.get("НДС") or next(iter(rates.values()), None)
    price_text = text_of(kids, "ЦенаЗаЕдиницу")
    if price_text is None:
        price_text = text_of(kids, "Цена")
    return DocumentLine(
        product_id=ident,
        characteristic_id=characteristic,
        catalog_id=text_of(kids, "ИдКаталога") or None,
        name=text_of(kids, "Наименование"),
        article=text_of(kids, "Артикул") or None,
        unit_code=unit_code,
        unit_name=unit_name,
        ratio=parse_number(text_of(kids, "Коэффициент"), "Коэффициент"),
        quantity=parse_number(text_of(kids, "Количество"), "Количество"),
        price=parse_number(price_text, "Цена"),
        amount=parse_number(text_of(kids, "Сумма"), "Сумма"),
        discount=discount,
        vat_rate=vat_rate,
        vat_amount=vat_amount,
        vat_included=vat_included,
        requisites=name_value_pairs(kids, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"),
        characteristics=characteristics(kids),
    )
