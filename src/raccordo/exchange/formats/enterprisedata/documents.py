"""Documents of EnterpriseData 1.10, 1.16, 1.17: customer orders out, bank receipts and sales in.

* Документ.ЗаказКлиента carries Raccordo's issued invoice. 1C:Accounting 3.0 (3.0.169's
  SupportedObjectsInFormat) sends and receives ЗаказКлиента but does not list Документ.СчетПокупателю;
  its conversion rules turn an incoming ЗаказКлиента into its own СчетНаОплатуПокупателю, so this is the
  object BP accepts (NOTES §1.5 **[inference from the listed objects]**). UT and UNF take it as their
  customer order.
* Документ.ПБДСРасчетыСКонтрагентами is 1C's "money received on the bank account" (BP's
  ПоступлениеНаРасчетныйСчет, UT's ПоступлениеБезналичныхДенежныхСредств); each РасшифровкаПлатежа row
  names the order it settles in Заказ/ЗаказКлиента (or ДокументРасчетов/ЗаказКлиентаСсылка).
* Документ.РеализацияТоваровУслуг is a sale (shipment, act, УПД); its Заказ names the order.

Rows' СтавкаНДС take the shape of the version (see `catalogs.vat_element`). Dates of documents are
xs:dateTime; we write midnight of the CRM's date and read the date part.

Pure module: no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from .catalogs import (
    ContractRec,
    OrganizationRec,
    contract_keys,
    currency_keys,
    organization_keys,
    read_contract_keys,
    read_currency,
    read_organization,
    read_vat,
    vat_element,
)
from .counterparties import CounterpartyRec, ObjectInvalid, _Builder, _child, _keys, _local, _t

ORDER = "Документ.ЗаказКлиента"
PAYMENT = "Документ.ПБДСРасчетыСКонтрагентами"
SALE = "Документ.РеализацияТоваровУслуг"
FROM_BUYER = "СПокупателем"          # ВидРасчетов of a payment by a customer
SALE_TO_CUSTOMER = "РеализацияКлиенту"


@dataclass
class DocumentRef:
    """The keys of a document another one names: its GUID, number, date (and organisation)."""

    ref: str = ""
    number: str = ""
    date: dt.date | None = None


@dataclass
class OrderLineRec:
    """One row of an order: a good (Товары) or a service (Услуги)."""

    name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    vat_rate: Decimal | None = None
    vat_amount: Decimal = Decimal("0")
    product_ref: str = ""
    article: str = ""
    is_service: bool = False
    unit_code: str = ""
    unit_name: str = ""


@dataclass
class OrderRec:
    """A customer order (Документ.ЗаказКлиента): Raccordo's issued invoice as 1C receives it."""

    ref: str
    number: str
    date: dt.date
    organization: OrganizationRec
    counterparty: CounterpartyRec
    currency: str = "RUB"
    total: Decimal = Decimal("0")
    vat_included: bool = True
    contract: ContractRec | None = None
    lines: list[OrderLineRec] = field(default_factory=list)
    line: int | None = None


@dataclass
class PaymentRec:
    """Money received on the bank account (Документ.ПБДСРасчетыСКонтрагентами), row by row."""

    ref: str
    number: str
    date: dt.date
    organization: OrganizationRec
    kind: str                                        # ВидРасчетов
    amount: Decimal
    currency: str = "RUB"
    counterparty: CounterpartyRec | None = None
    purpose: str = ""                                # НазначениеПлатежа
    incoming_number: str = ""                        # the payer's document number
    rows: list[tuple[DocumentRef | None, Decimal]] = field(default_factory=list)   # (order, amount)
    line: int | None = None


@dataclass
class SaleRec:
    """A sale (Документ.РеализацияТоваровУслуг) and the order it ships."""

    ref: str
    number: str
    date: dt.date
    organization: OrganizationRec
    counterparty: CounterpartyRec
    operation: str = SALE_TO_CUSTOMER
    currency: str = "RUB"
    amount: Decimal = Decimal("0")
    order: DocumentRef | None = None
    line: int | None = None


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value:.3f}"


def _document_keys(b: _Builder, parent: etree._Element, name: str, ref: str, number: str, date: dt.date,
                   org: OrganizationRec) -> None:
    k = b.el(name, parent)
    b.opt(k, "Ссылка", ref)
    b.el("Дата", k, dt.datetime.combine(date, dt.time()).isoformat())
    b.el("Номер", k, number)
    organization_keys(b, k, "Организация", org)


def _product_data(b: _Builder, parent: etree._Element, line: OrderLineRec) -> None:
    nom = b.el("Номенклатура", b.el("ДанныеНоменклатуры", parent))
    b.opt(nom, "Ссылка", line.product_ref)
    b.opt(nom, "Артикул", line.article[:50])
    b.el("Наименование", nom, line.name)


def order_element(rec: OrderRec, version: str) -> etree._Element:
    """Документ.ЗаказКлиента of `version`: keys, currency, total, counterparty, contract, goods and services."""
    b = _Builder(version)
    root = b.el(ORDER)
    _document_keys(b, root, "КлючевыеСвойства", rec.ref, rec.number, rec.date, rec.organization)
    currency_keys(b, root, "Валюта", rec.currency)
    b.el("Сумма", root, _money(rec.total))
    b.keys(root, "Контрагент", rec.counterparty)
    settlement = b.el("ДанныеВзаиморасчетов", root)
    if rec.contract is not None:
        contract_keys(b, settlement, "Договор", rec.contract)
    currency_keys(b, settlement, "ВалютаВзаиморасчетов", rec.currency)
    b.el("СуммаВключаетНДС", root, "true" if rec.vat_included else "false")
    for table, service in (("Товары", False), ("Услуги", True)):
        rows = [ln for ln in rec.lines if ln.is_service == service]
        if not rows:
            continue
        t = b.el(table, root)
        for n, line in enumerate(rows, start=1):
            row = b.el("Строка", t)
            b.el("НомерСтрокиДокумента", row, str(n))
            _product_data(b, row, line)
            if not service and (line.unit_code or line.unit_name):
                data = b.el("ДанныеКлассификатора", b.el("ЕдиницаИзмерения", row))
                b.opt(data, "Код", line.unit_code)
                b.opt(data, "Наименование", line.unit_name)
            b.el("Количество", row, _quantity(line.quantity))
            b.el("Сумма", row, _money(line.amount))
            b.el("Цена", row, _money(line.price))
            vat_element(b, row, "СтавкаНДС", line.vat_rate)
            b.el("СуммаНДС", row, _money(line.vat_amount))
            if service:
                b.el("Содержание", row, line.name)
    return root


def _order_ref(b: _Builder, parent: etree._Element, name: str, ref: DocumentRef, org: OrganizationRec) -> None:
    _document_keys(b, parent, name, ref.ref, ref.number, ref.date or dt.date(2000, 1, 1), org)


def payment_element(rec: PaymentRec, version: str, *, account: str = "40702810000000000001") -> etree._Element:
    """Документ.ПБДСРасчетыСКонтрагентами of `version` (what 1C sends; the tests' scripted peer writes it).

    `account` is our own account number the money came to (БанковскийСчетОрганизации is required).
    """
    b = _Builder(version)
    root = b.el(PAYMENT)
    _document_keys(b, root, "КлючевыеСвойства", rec.ref, rec.number, rec.date, rec.organization)
    common = b.el("ОбщиеДанные", root)
    b.el("ДатаВыписки", common, rec.date.isoformat())
    b.opt(common, "НомерВходящегоДокумента", rec.incoming_number)
    currency_keys(b, common, "Валюта", rec.currency)
    b.el("Сумма", common, _money(rec.amount))
    bank = b.el("БанковскийСчетОрганизации", common)
    b.el("НомерСчета", bank, account)
    organization_keys(b, b.el("Владелец", bank), "ОрганизацииСсылка", rec.organization)
    b.opt(common, "НазначениеПлатежа", rec.purpose)
    b.el("ВидРасчетов", root, rec.kind)
    if rec.counterparty is not None:
        b.keys(root, "Контрагент", rec.counterparty)
    rows = b.el("РасшифровкаПлатежа", root)
    for order, amount in rec.rows or [(None, rec.amount)]:
        row = b.el("Строка", rows)
        if order is not None:
            _order_ref(b, b.el("Заказ", row), "ЗаказКлиента", order, rec.organization)
        b.el("Сумма", row, _money(amount))
        b.el("ДанныеВзаиморасчетов", row)
    return root


def sale_element(rec: SaleRec, version: str) -> etree._Element:
    """Документ.РеализацияТоваровУслуг of `version`, without rows (what the CRM reads of it; the tests' peer)."""
    b = _Builder(version)
    root = b.el(SALE)
    _document_keys(b, root, "КлючевыеСвойства", rec.ref, rec.number, rec.date, rec.organization)
    b.el("ВидОперации", root, rec.operation)
    currency_keys(b, root, "Валюта", rec.currency)
    b.el("Сумма", root, _money(rec.amount))
    b.keys(root, "Контрагент", rec.counterparty)
    b.el("ДанныеВзаиморасчетов", root)
    if rec.order is not None:
        _order_ref(b, root, "Заказ", rec.order, rec.organization)
    return root


# ------------------------------------------------------------------------------------------------- reading


def _decimal(el: etree._Element, name: str, ref: str, *, required: bool = False) -> Decimal:
    text = _t(el, name)
    if not text:
        if required:
            raise ObjectInvalid(f"{_local(el.tag)} has no {name}", line=el.sourceline, ref=ref)
        return Decimal("0")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ObjectInvalid(f"{name} is not a number: {text[:40]!r}", line=el.sourceline, ref=ref) from None


def _doc_date(k: etree._Element, ref: str) -> dt.date:
    text = _t(k, "Дата")
    try:
        return dt.datetime.fromisoformat(text).date() if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        raise ObjectInvalid(f"Дата is not a date: {text[:40]!r}", line=k.sourceline, ref=ref) from None


def read_document_ref(k: etree._Element | None) -> DocumentRef | None:
    """The keys of a named document (an order in a payment or a sale)."""
    if k is None:
        return None
    ref = _t(k, "Ссылка")
    return DocumentRef(ref=ref, number=_t(k, "Номер"), date=_doc_date(k, ref) if _t(k, "Дата") else None)


def _head(el: etree._Element, what: str) -> tuple[str, str, dt.date, OrganizationRec, etree._Element]:
    keys = _child(el, "КлючевыеСвойства")
    if keys is None:
        raise ObjectInvalid(f"{what} has no КлючевыеСвойства", line=el.sourceline)
    ref = _t(keys, "Ссылка")
    org = _child(keys, "Организация")
    if org is None or not _t(keys, "Номер") or not _t(keys, "Дата"):
        raise ObjectInvalid(f"{what} lacks Номер, Дата or Организация", line=keys.sourceline, ref=ref)
    return ref, _t(keys, "Номер"), _doc_date(keys, ref), read_organization(org), keys


def _counterparty(el: etree._Element, version: str, ref: str, *, required: bool) -> CounterpartyRec | None:
    cp = _child(el, "Контрагент")
    if cp is None:
        if required:
            raise ObjectInvalid("the document has no Контрагент", line=el.sourceline, ref=ref)
        return None
    return _keys(cp, version)


def read_document(el: etree._Element, version: str) -> OrderRec | PaymentRec | SaleRec | None:
    """An order, a payment or a sale as a record; None for another object type."""
    name = _local(el.tag)
    if name == ORDER:
        ref, number, date, org, _k = _head(el, name)
        settlement = _child(el, "ДанныеВзаиморасчетов")
        contract = _child(settlement, "Договор")
        rec = OrderRec(ref=ref, number=number, date=date, organization=org,
                       counterparty=_counterparty(el, version, ref, required=True),  # type: ignore[arg-type]  # required=True: a record or an exception
                       currency=read_currency(_child(el, "Валюта")), total=_decimal(el, "Сумма", ref),
                       vat_included=_t(el, "СуммаВключаетНДС").lower() != "false",
                       contract=read_contract_keys(contract, version) if contract is not None else None,
                       line=el.sourceline)
        for table, service in (("Товары", False), ("Услуги", True)):
            for row in _child(el, table) if _child(el, table) is not None else ():  # type: ignore[union-attr]  # None is tested just before
                nom = _child(_child(row, "ДанныеНоменклатуры"), "Номенклатура")
                _known, rate = read_vat(_child(row, "СтавкаНДС"), version)
                rec.lines.append(OrderLineRec(
                    name=_t(nom, "Наименование"), quantity=_decimal(row, "Количество", ref),
                    price=_decimal(row, "Цена", ref), amount=_decimal(row, "Сумма", ref), vat_rate=rate,
                    vat_amount=_decimal(row, "СуммаНДС", ref), product_ref=_t(nom, "Ссылка"),
                    article=_t(nom, "Артикул"), is_service=service,
                    unit_code=_t(row, "ЕдиницаИзмерения", "ДанныеКлассификатора", "Код"),
                    unit_name=_t(row, "ЕдиницаИзмерения", "ДанныеКлассификатора", "Наименование")))
        return rec
    if name == PAYMENT:
        ref, number, date, org, _k = _head(el, name)
        common = _child(el, "ОбщиеДанные")
        if common is None:
            raise ObjectInvalid("the payment has no ОбщиеДанные", line=el.sourceline, ref=ref)
        payment = PaymentRec(ref=ref, number=number, date=date, organization=org, kind=_t(el, "ВидРасчетов"),
                             amount=_decimal(common, "Сумма", ref, required=True),
                             currency=read_currency(_child(common, "Валюта")),
                             counterparty=_counterparty(el, version, ref, required=False),
                             purpose=_t(common, "НазначениеПлатежа"), incoming_number=_t(common, "НомерВходящегоДокумента"),
                             line=el.sourceline)
        for row in _child(el, "РасшифровкаПлатежа") if _child(el, "РасшифровкаПлатежа") is not None else ():  # type: ignore[union-attr]  # None is tested just before
            order = _child(_child(row, "Заказ"), "ЗаказКлиента")
            if order is None:
                order = _child(_child(row, "ДокументРасчетов"), "ЗаказКлиентаСсылка")
            payment.rows.append((read_document_ref(order), _decimal(row, "Сумма", ref, required=True)))
        return payment
    if name == SALE:
        ref, number, date, org, _k = _head(el, name)
        return SaleRec(ref=ref, number=number, date=date, organization=org,
                       counterparty=_counterparty(el, version, ref, required=True),  # type: ignore[arg-type]  # required=True: a record or an exception
                       operation=_t(el, "ВидОперации"), currency=read_currency(_child(el, "Валюта")),
                       amount=_decimal(el, "Сумма", ref), order=read_document_ref(_child(el, "Заказ")),
                       line=el.sourceline)
    return None
