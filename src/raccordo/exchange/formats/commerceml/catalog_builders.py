"""Record builders for the catalog side of CommerceML: one finished element in, one record out.

Классификатор/Свойства/Свойство -> :class:`Property`, ТипыЦен/ТипЦены -> :class:`PriceTypeRec`,
Склады/Склад -> :class:`WarehouseRec`, ЕдиницыИзмерения/ЕдиницаИзмерения -> :class:`UnitRec`,
Каталог/Товары/Товар -> :class:`ProductRec`, ПакетПредложений/Предложения/Предложение -> :class:`OfferRec`.
A builder raises :class:`BadRecord` for a problem confined to its record (no Ид, a bad number).
Products and offers are most of a file: their builders index the children once and read every field
from that index.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from .elements import (
    BadRecord,
    attribute,
    base_unit,
    characteristics,
    child_texts,
    children_by_name,
    children_named,
    first_children,
    is_deleted,
    local_name,
    name_value_pairs,
    parse_bool,
    parse_number,
    required_id,
    stripped_text,
    text_at,
    text_of,
)
from .records import (
    OfferRec,
    Price,
    PriceTypeRec,
    ProductRec,
    Property,
    StockRow,
    UnitRec,
    WarehouseRec,
    split_variant_id,
)


def build_property(el: etree._Element, line: int | None, path: str) -> Property:
    """Свойство -> Property, with its ВариантыЗначений as {value id: value}."""
    children = first_children(el)
    values: dict[str, str] = {}
    variants = children.get("ВариантыЗначений")
    if variants is not None:
        for ref in children_named(variants, "Справочник"):
            texts = child_texts(ref)
            vid = texts.get("ИдЗначения")
            if vid:
                values[vid] = texts.get("Значение") or ""
    return Property(
        id=required_id(el, children),
        name=text_of(children, "Наименование"),
        type=text_of(children, "ТипЗначений"),
        values=values,
        for_products=parse_bool(text_of(children, "ДляТоваров")),
        deleted=is_deleted(el, children),
        line=line,
        path=path,
    )


def build_price_type(el: etree._Element, line: int | None, path: str) -> PriceTypeRec:
    """ТипЦены -> PriceTypeRec."""
    children = first_children(el)
    tax = first_children(children.get("Налог"))
    return PriceTypeRec(
        id=required_id(el, children),
        name=text_of(children, "Наименование"),
        currency=text_of(children, "Валюта"),
        vat_included=parse_bool(text_of(tax, "УчтеноВСумме")),
        tax_name=text_of(tax, "Наименование"),
        deleted=is_deleted(el, children),
        line=line,
        path=path,
    )


def build_warehouse(el: etree._Element, line: int | None, path: str) -> WarehouseRec:
    """Склад (a definition, not a stock row) -> WarehouseRec."""
    children = first_children(el)
    return WarehouseRec(
        id=required_id(el, children),
        name=text_of(children, "Наименование"),
        address=text_at(children, "Адрес", "Представление"),
        comment=text_of(children, "Комментарий"),
        deleted=is_deleted(el, children),
        line=line,
        path=path,
    )


def build_unit(el: etree._Element, line: int | None, path: str) -> UnitRec:
    """ЕдиницаИзмерения -> UnitRec; it needs a Код or an Ид."""
    children = first_children(el)
    code = text_of(children, "Код")
    ident = text_of(children, "Ид")
    if not code and not ident:
        raise BadRecord("exchange.cml.missing_id", "<ЕдиницаИзмерения> without Код and Ид")
    return UnitRec(
        code=code or None,
        name=text_of(children, "НаименованиеКраткое"),
        full_name=text_of(children, "НаименованиеПолное"),
        id=ident or None,
        international_abbr=text_of(children, "МеждународноеСокращение"),
        deleted=is_deleted(el, children),
        line=line,
        path=path,
    )


def build_product(el: etree._Element, line: int | None, path: str) -> ProductRec:
    """Товар -> ProductRec."""
    # One pass over the children: the first of each name, and every barcode and picture.
    kids, every = children_by_name(el, ("Штрихкод", "Картинка"))
    barcodes = [text for ch in every["Штрихкод"] if (text := (ch.text or "").strip())]
    images = [text for ch in every["Картинка"] if (text := (ch.text or "").strip())]
    ident = required_id(el, kids)
    product_id, characteristic_id = split_variant_id(ident)
    unit_code, unit_name, unit_full = base_unit(kids.get("БазоваяЕдиница"))
    groups = kids.get("Группы")
    return ProductRec(
        id=ident,
        article=text_of(kids, "Артикул") or None,
        barcode=barcodes[0] if barcodes else None,
        name=text_of(kids, "Наименование"),
        full_name=text_of(kids, "ПолноеНаименование"),
        unit_code=unit_code,
        unit_name=unit_name,
        unit_full_name=unit_full,
        group_ids=tuple(g for g in (stripped_text(x) for x in children_named(groups, "Ид")) if g)
        if groups is not None
        else (),
        description=text_of(kids, "Описание"),
        properties=_property_values(kids.get("ЗначенияСвойств")),
        requisites=name_value_pairs(kids, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"),
        tax_rates=name_value_pairs(kids, "СтавкиНалогов", "СтавкаНалога", "Наименование", "Ставка"),
        images=tuple(images),
        characteristics=characteristics(kids),
        manufacturer=text_at(kids, "Изготовитель", "Наименование"),
        deleted=is_deleted(el, kids),
        product_id=product_id,
        characteristic_id=characteristic_id,
        line=line,
        path=path,
    )


def _property_values(box: etree._Element | None) -> dict[str, str | tuple[str, ...]]:
    """ЗначенияСвойств -> {property id: value, or a tuple of values when there are several}."""
    props: dict[str, str | tuple[str, ...]] = {}
    if box is None:
        return props
    for pv in children_named(box, "ЗначенияСвойства"):
        pid = None
        vals: list[str] = []
        for ch in pv:  # Ид and every Значение, in one pass
            name = local_name(ch.tag)
            if name == "Значение":
                vals.append((ch.text or "").strip())
            elif name == "Ид" and pid is None:
                pid = (ch.text or "").strip()
        if not pid:
            continue
        new: list[str] = vals if vals else [""]
        old = props.get(pid)
        if old is not None:
            new = (list(old) if isinstance(old, tuple) else [old]) + new
        props[pid] = new[0] if len(new) == 1 else tuple(new)
    return props


def build_offer(el: etree._Element, line: int | None, path: str) -> OfferRec:
    """Предложение -> OfferRec: prices, the total quantity and the stock per warehouse."""
    # One pass over the children: the first of each name, and every Склад (stock per warehouse).
    kids, every = children_by_name(el, ("Склад",))
    ident = required_id(el, kids)
    product_id, characteristic_id = split_variant_id(ident)
    prices = _prices(kids.get("Цены"))
    quantity = parse_number(text_of(kids, "Количество"), "Количество")
    stock = _stock_by_warehouse(every["Склад"])
    quantity = _rests(kids.get("Остатки"), stock, quantity)
    unit_code, unit_name, _full = base_unit(kids.get("БазоваяЕдиница"))
    return OfferRec(
        id=ident,
        product_id=product_id,
        characteristic_id=characteristic_id,
        name=text_of(kids, "Наименование"),
        article=text_of(kids, "Артикул") or None,
        barcode=text_of(kids, "Штрихкод") or None,
        unit_code=unit_code,
        unit_name=unit_name,
        prices=tuple(prices),
        quantity=quantity,
        stock=tuple(stock),
        characteristics=characteristics(kids),
        deleted=is_deleted(el, kids),
        line=line,
        path=path,
    )


def _prices(box: etree._Element | None) -> list[Price]:
    """Цены -> Price per Цена; a Цена without ЦенаЗаЕдиницу fails the record."""
    prices: list[Price] = []
    if box is None:
        return prices
    for p in children_named(box, "Цена"):
        pt = child_texts(p)
        value = parse_number(pt.get("ЦенаЗаЕдиницу"), "ЦенаЗаЕдиницу")
        if value is None:
            raise BadRecord("exchange.cml.bad_number", "Цена without ЦенаЗаЕдиницу")
        prices.append(
            Price(
                price_type_id=pt.get("ИдТипаЦены") or None,
                value=value,
                currency=pt.get("Валюта") or None,
                unit=pt.get("Единица") or None,
                ratio=parse_number(pt.get("Коэффициент"), "Коэффициент"),
            )
        )
    return prices


def _stock_by_warehouse(stores: list[etree._Element]) -> list[StockRow]:
    """The offer's Склад children: the attribute form (``ИдСклада``, ``КоличествоНаСкладе``) or the element
    form (``<Склад><Ид/><Количество/></Склад>``)."""
    stock: list[StockRow] = []
    for s in stores:
        wid = attribute(s, "ИдСклада")
        if wid and wid.strip():
            qty = parse_number(attribute(s, "КоличествоНаСкладе"), "КоличествоНаСкладе")
            stock.append(StockRow(wid.strip(), qty))
            continue
        texts = child_texts(s)
        ident = texts.get("Ид")
        if ident:
            stock.append(StockRow(ident, parse_number(texts.get("Количество"), "Количество")))
    return stock


def _rests(rests: etree._Element | None, stock: list[StockRow], quantity: Decimal | None) -> Decimal | None:
    """Остатки/Остаток (CML 2.08+): a Склад in it adds to ``stock``; a bare Количество is the total, used
    when the offer has no Количество of its own. Returns the offer's quantity."""
    if rests is None:
        return quantity
    for rest in children_named(rests, "Остаток"):
        children = first_children(rest)
        wh = children.get("Склад")
        if wh is not None:
            texts = child_texts(wh)
            wid = texts.get("Ид")
            if wid:
                stock.append(StockRow(wid, parse_number(texts.get("Количество"), "Количество")))
            continue
        total = parse_number(text_of(children, "Количество"), "Количество")
        if total is not None:
            quantity = total if quantity is None else quantity
    return quantity
