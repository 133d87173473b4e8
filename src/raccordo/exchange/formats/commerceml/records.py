"""Plain records yielded by the CommerceML reader.

Every record is a frozen dataclass (no Django, no database) and carries ``line``
(the source line of the element it came from) and ``path`` (an element path such
as ``/КоммерческаяИнформация/Каталог/Товары/Товар[3]``) so that the exchange engine
can report where a failing record came from.

Text values are stripped of surrounding whitespace; a missing element gives
``None``, an empty one ``""``. Numbers that the engine computes with (prices,
quantities, sums) are :class:`~decimal.Decimal`; free-form values (property values,
requisites) are kept as text — use :func:`parse_decimal` when a number is wanted
(it accepts a decimal comma and spaces as thousand separators).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

__all__ = [
    "CommerceMLError",
    "Counterparty",
    "DocumentLine",
    "DocumentRec",
    "ErrorRec",
    "Group",
    "OfferRec",
    "PackageInfo",
    "Price",
    "PriceTypeRec",
    "ProductRec",
    "Property",
    "Record",
    "StockRow",
    "UnitRec",
    "WarehouseRec",
    "parse_decimal",
    "split_variant_id",
]


class CommerceMLError(Exception):
    """A fatal problem with the whole file: nothing after it can be trusted.

    ``code`` is a stable machine-readable code (``exchange.xml.doctype``,
    ``exchange.xml.malformed``, ``exchange.xml.text_too_long``,
    ``exchange.cml.not_commerceml`` ...); ``file``, ``line`` and ``path`` say where.
    """

    def __init__(
        self,
        message: str,
        code: str,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ):
        self.message = message
        self.code = code
        self.file = file
        self.line = line
        self.path = path
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"line {line}" if line else "",
                f"at {path}" if path else "",
            )
            if part
        )
        super().__init__(f"{message} [{code}]" + (f" ({where})" if where else ""))


def parse_decimal(text: str | None) -> Decimal | None:
    """``"1 234,50"`` -> ``Decimal("1234.50")``; ``None``/blank -> ``None``.

    Raises :class:`ValueError` for anything that is not a finite number.
    """
    if text is None:
        return None
    try:   # the usual "1234.50": Decimal takes it as it is (and trims the same whitespace as below)
        value = Decimal(text)
    except InvalidOperation:
        pass
    else:
        if not value.is_finite():
            raise ValueError(f"not a finite number: {text[:80]!r}")
        return value
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {text[:80]!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text[:80]!r}")
    return value


def split_variant_id(value: str | None) -> tuple[str | None, str | None]:
    """``"product#characteristic"`` -> ``("product", "characteristic")``; no ``#`` -> ``(value, None)``."""
    if value is None:
        return None, None
    product, sep, characteristic = value.partition("#")
    return (product or None), (characteristic or None) if sep else None


# --------------------------------------------------------------------------- package


@dataclass(frozen=True, slots=True)
class PriceTypeRec:
    """Классификатор/ТипыЦен/ТипЦены or ПакетПредложений/ТипыЦен/ТипЦены."""

    id: str
    name: str | None = None
    currency: str | None = None
    vat_included: bool | None = None  # Налог/УчтеноВСумме
    tax_name: str | None = None  # Налог/Наименование (usually НДС)
    deleted: bool = False
    line: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class WarehouseRec:
    """…/Склады/Склад (a warehouse definition, not a stock row)."""

    id: str
    name: str | None = None
    address: str | None = None  # Адрес/Представление
    comment: str | None = None
    deleted: bool = False
    line: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """One container of the file: Классификатор, Каталог, ПакетПредложений or a run of Документ.

    Yielded once per container, before any record of that container. Definitions
    (price types, warehouses, units) that come before the container's first other
    record are held back, put into ``price_types``/``warehouses`` and yielded right
    after the PackageInfo, in document order. So for a ПакетПредложений (ТипыЦен and
    Склады precede Предложения) the PackageInfo lists all of them; in a Классификатор
    where Группы come first, ТипыЦен/Склады arrive later as separate records only.
    Header fields (Ид, ИдКлассификатора, ИдКаталога, child СодержитТолькоИзменения)
    precede the records and are filled in; ``only_changes`` is also true for the
    attribute form and for ИзмененияПакетаПредложений.
    """

    kind: str  # "classifier" | "catalog" | "offers" | "documents"
    only_changes: bool = False
    version: str | None = None  # ВерсияСхемы on the root
    generated_at: str | None = None  # ДатаФормирования on the root
    id: str | None = None
    name: str | None = None
    classifier_id: str | None = None
    catalog_id: str | None = None
    price_types: tuple[PriceTypeRec, ...] = ()
    warehouses: tuple[WarehouseRec, ...] = ()
    namespace: str | None = None
    line: int | None = None
    path: str | None = None


# --------------------------------------------------------------------------- classifier


@dataclass(frozen=True, slots=True)
class Group:
    """Классификатор/Группы/Группа (nested tree flattened; yielded parent first)."""

    id: str
    name: str | None = None
    parent_id: str | None = None
    deleted: bool = False
    line: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Property:
    """Классификатор/Свойства/Свойство; ``values`` maps ИдЗначения -> Значение (Справочник)."""

    id: str
    name: str | None = None
    type: str | None = None  # ТипЗначений: Строка, Число, Справочник, ...
    values: dict[str, str] = field(default_factory=dict)
    for_products: bool | None = None  # ДляТоваров
    deleted: bool = False
    line: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class UnitRec:
    """Классификатор/ЕдиницыИзмерения/ЕдиницаИзмерения."""

    code: str | None
    name: str | None = None  # НаименованиеКраткое
    full_name: str | None = None
    id: str | None = None
    international_abbr: str | None = None
    deleted: bool = False
    line: int | None = None
    path: str | None = None


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True, slots=True)
class ProductRec:
    """Каталог/Товары/Товар.

    ``properties`` maps a property Ид to its value as text (a tuple of texts when
    the product carries several values of one property); ``requisites`` maps
    ЗначениеРеквизита/Наименование to Значение; ``tax_rates`` maps
    СтавкаНалога/Наименование to Ставка (text: "18", "20%", "Без налога").
    """

    id: str
    article: str | None = None
    barcode: str | None = None
    name: str | None = None
    full_name: str | None = None  # ПолноеНаименование
    unit_code: str | None = None  # БазоваяЕдиница/@Код, stripped ("796 " -> "796")
    unit_name: str | None = None  # БазоваяЕдиница text ("шт")
    unit_full_name: str | None = None  # БазоваяЕдиница/@НаименованиеПолное
    group_ids: tuple[str, ...] = ()
    description: str | None = None
    properties: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    requisites: dict[str, str] = field(default_factory=dict)
    tax_rates: dict[str, str] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    characteristics: tuple[tuple[str, str], ...] = ()  # ХарактеристикиТовара: (Наименование, Значение)
    manufacturer: str | None = None  # Изготовитель/Наименование
    deleted: bool = False
    product_id: str | None = None  # Ид before "#"
    characteristic_id: str | None = None  # Ид after "#"
    line: int | None = None
    path: str | None = None

    def property_decimal(self, prop_id: str) -> Decimal | None:
        """The value of a property as a number (decimal comma accepted); ValueError if not numeric."""
        value = self.properties.get(prop_id)
        if isinstance(value, tuple):
            value = value[0] if value else None
        return parse_decimal(value)


# --------------------------------------------------------------------------- offers


class Price(NamedTuple):
    price_type_id: str | None
    value: Decimal
    currency: str | None = None
    unit: str | None = None
    ratio: Decimal | None = None  # Коэффициент


class StockRow(NamedTuple):
    warehouse_id: str
    quantity: Decimal | None


@dataclass(frozen=True, slots=True)
class OfferRec:
    """ПакетПредложений/Предложения/Предложение.

    ``quantity`` is Количество (or Остатки/Остаток/Количество), ``None`` when the
    offer says nothing about the total; ``stock`` holds the per-warehouse rows, from
    ``<Склад ИдСклада= КоличествоНаСкладе=/>`` or Остатки/Остаток/Склад(Ид, Количество).
    A prices-only packet gives ``stock == ()`` and ``quantity is None``; a stock-only
    packet gives ``prices == ()``.
    """

    id: str
    product_id: str | None = None
    characteristic_id: str | None = None
    name: str | None = None
    article: str | None = None
    barcode: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    prices: tuple[Price, ...] = ()
    quantity: Decimal | None = None
    stock: tuple[StockRow, ...] = ()
    characteristics: tuple[tuple[str, str], ...] = ()
    deleted: bool = False
    line: int | None = None
    path: str | None = None


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class Counterparty:
    id: str | None = None
    name: str | None = None
    full_name: str | None = None  # ПолноеНаименование / ОфициальноеНаименование
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    inn: str | None = None
    kpp: str | None = None
    okpo: str | None = None
    role: str | None = None
    address: str | None = None  # АдресРегистрации / ЮридическийАдрес / Адрес -> Представление
    contacts: tuple[tuple[str, str], ...] = ()  # (Тип, Значение)
    representatives: tuple[
        tuple[str | None, str | None, str | None], ...
    ] = ()  # (Отношение, Ид, Наименование)
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """Документ/Товары/Товар."""

    product_id: str | None = None  # the whole Ид (may be "product#characteristic")
    characteristic_id: str | None = None
    catalog_id: str | None = None
    name: str | None = None
    article: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    ratio: Decimal | None = None  # Коэффициент
    quantity: Decimal | None = None
    price: Decimal | None = None  # ЦенаЗаЕдиницу / Цена
    amount: Decimal | None = None  # Сумма
    discount: Decimal | None = None  # sum of Скидки/Скидка/Сумма
    vat_rate: str | None = None  # text: "18", "20", "Без налога"
    vat_amount: Decimal | None = None
    vat_included: bool | None = None
    requisites: dict[str, str] = field(default_factory=dict)
    characteristics: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentRec:
    """Документ (an order: ХозОперация "Заказ товара"; also payments/shipments in CML 3.1 Контейнер).

    ``requisites`` holds every ЗначенияРеквизитов/ЗначениеРеквизита as text
    ("Статус заказа", "Номер по 1С", "Дата по 1С", "Проведен", "ПометкаУдаления",
    "Отменен", "Дата оплаты", "Номер оплаты", "Дата отгрузки", "Номер отгрузки" ...).
    ``number_1c``/``date_1c`` come from CML 3.1 Номер1С/Дата1С or from the
    "Номер по 1С"/"Дата по 1С" requisites; ``deleted`` from the ПометкаУдаления element
    or requisite. ``container`` is the 1-based index of the CML 3.1 Контейнер holding
    the document (documents of one container belong together), ``None`` otherwise.
    """

    id: str | None
    number: str | None = None
    date: str | None = None
    time: str | None = None
    operation: str | None = None  # ХозОперация
    role: str | None = None
    currency: str | None = None
    rate: Decimal | None = None  # Курс
    total: Decimal | None = None  # Сумма
    comment: str | None = None
    number_1c: str | None = None
    date_1c: str | None = None
    deleted: bool = False
    counterparties: tuple[Counterparty, ...] = ()
    lines: tuple[DocumentLine, ...] = ()
    requisites: dict[str, str] = field(default_factory=dict)
    discount: Decimal | None = None
    vat_amount: Decimal | None = None
    container: int | None = None
    line: int | None = None
    path: str | None = None


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class ErrorRec:
    """One record that could not be read; the stream goes on after it."""

    code: str  # exchange.cml.bad_number, exchange.cml.missing_id, exchange.cml.record_too_large ...
    message: str
    line: int | None = None
    path: str | None = None
    element_id: str | None = None  # Ид of the failing element when known
    element: str | None = None  # local name: Товар, Предложение, ...


Record = (
    PackageInfo
    | Group
    | Property
    | PriceTypeRec
    | WarehouseRec
    | UnitRec
    | ProductRec
    | OfferRec
    | DocumentRec
    | ErrorRec
)
