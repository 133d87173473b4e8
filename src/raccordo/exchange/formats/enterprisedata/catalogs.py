"""Справочник.Договоры (both ways) and Справочник.Номенклатура (from 1C) of EnterpriseData 1.10, 1.16, 1.17.

Same rules as `counterparties`: plain records in and out, properties in each package's order. What differs
between the versions:

* Номенклатура's СтавкаНДС is the enum СтавкиНДС up to 1.16 (НДС20, НДС20_120, НДС10, НДС0, БезНДС...) and
  the structure КлючевыеСвойстваСтавкиНДС from 1.17 (Ставка, РасчетнаяСтавка, НеОблагается, ВидСтавки).
  Both read to one percent; "without VAT" is None, the catalog's own meaning of an empty rate. A
  calculated rate (НДС20_120, РасчетнаяСтавка) is the same percent applied to a gross amount: the CRM's
  rate is the percent, so it reads as 20.
* ТипНоменклатуры has no Набор before 1.16; Услуга and Работа are services, the rest goods.
* Договоры keys gain ЭтоДоговорЭквайринга in 1.16 (optional, not written).

Pure module: no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from .counterparties import (
    _CURRENCY_BY_CODE,
    CURRENCIES,
    LEGAL,
    PERSON,
    CounterpartyRec,
    ObjectInvalid,
    _Builder,
    _child,
    _keys,
    _local,
    _t,
)

CONTRACT = "Справочник.Договоры"
PRODUCT = "Справочник.Номенклатура"
CONTRACT_KINDS = ("СПокупателем", "СПоставщиком", "СКомиссионером", "СКомитентом", "СКомитентомНаЗакупку",
                  "СКомиссионеромНаЗакупку", "Прочее")
BUYER = "СПокупателем"
SERVICE_TYPES = ("Услуга", "Работа")
# ≤ 1.16: СтавкиНДС enum <-> percent (None: without VAT). The "_1xx" members are the calculated rates.
VAT_ENUM = {"НДС20": Decimal("20"), "НДС20_120": Decimal("20"), "НДС18": Decimal("18"), "НДС18_118": Decimal("18"),
            "НДС10": Decimal("10"), "НДС10_110": Decimal("10"), "НДС4": Decimal("4"), "НДС4_104": Decimal("4"),
            "НДС2": Decimal("2"), "НДС2_102": Decimal("2"), "НДС0": Decimal("0"), "БезНДС": None,
            "НДСИсчисляетсяНалоговымАгентом": None}
_VAT_ENUM_BY_RATE = {Decimal("20"): "НДС20", Decimal("18"): "НДС18", Decimal("10"): "НДС10", Decimal("4"): "НДС4",
                     Decimal("2"): "НДС2", Decimal("0"): "НДС0"}


@dataclass
class OrganizationRec:
    """КлючевыеСвойстваОрганизация: one of our own companies as 1C knows it."""

    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    legal: bool = True
    ref: str = ""


@dataclass
class ContractRec:
    """A contract with a counterparty (Справочник.Договоры), signed by one of our own companies."""

    ref: str
    kind: str                          # ВидДоговора
    organization: OrganizationRec
    counterparty: CounterpartyRec      # the counterparty's keys
    number: str = ""
    date: dt.date | None = None
    name: str = ""
    currency: str = "RUB"
    valid_until: dt.date | None = None
    line: int | None = None


@dataclass
class ProductRec:
    """A product or service (Справочник.Номенклатура); `vat_rate` None is "without VAT"."""

    ref: str
    name: str
    full_name: str = ""
    article: str = ""
    code: str = ""                     # КодВПрограмме
    is_service: bool = False
    unit_code: str = ""                # ОКЕИ code, e.g. "796"
    unit_name: str = ""
    vat_rate: Decimal | None = None
    vat_known: bool = False            # the message carried a rate at all (absent: keep ours)
    description: str = ""
    line: int | None = None


def organization_keys(b: _Builder, parent: etree._Element, name: str, org: OrganizationRec) -> etree._Element:
    """КлючевыеСвойстваОрганизация, in package order."""
    k = b.el(name, parent)
    b.opt(k, "Ссылка", org.ref)
    b.el("Наименование", k, org.name)
    b.opt(k, "НаименованиеПолное", org.full_name)
    b.opt(k, "ИНН", org.inn)
    b.opt(k, "КПП", org.kpp)
    b.el("ЮридическоеФизическоеЛицо", k, LEGAL if org.legal else PERSON)
    return k


def currency_keys(b: _Builder, parent: etree._Element, name: str, currency: str) -> etree._Element:
    """КлючевыеСвойстваВалюта: ДанныеКлассификатора{Код, Наименование} (ОКВ code and 1C's short name)."""
    code, short = CURRENCIES.get(currency, ("", currency))
    data = b.el("ДанныеКлассификатора", b.el(name, parent))
    b.opt(data, "Код", code)
    b.el("Наименование", data, short)
    return data


def contract_keys(b: _Builder, parent: etree._Element, name: str, rec: ContractRec) -> etree._Element:
    """КлючевыеСвойстваДоговор: also what a document's ДанныеВзаиморасчетов/Договор carries."""
    k = b.el(name, parent)
    b.el("Ссылка", k, rec.ref)
    b.el("ВидДоговора", k, rec.kind)
    organization_keys(b, k, "Организация", rec.organization)
    b.keys(k, "Контрагент", rec.counterparty)
    currency_keys(b, k, "ВалютаВзаиморасчетов", rec.currency)
    b.opt(k, "Наименование", rec.name[:150])
    if rec.date:
        b.el("Дата", k, rec.date.isoformat())
    b.opt(k, "Номер", rec.number)
    return k


def contract_element(rec: ContractRec, version: str) -> etree._Element:
    """Справочник.Договоры of `version`: keys, then СрокДействия."""
    b = _Builder(version)
    root = b.el(CONTRACT)
    contract_keys(b, root, "КлючевыеСвойства", rec)
    if rec.valid_until:
        b.el("СрокДействия", root, rec.valid_until.isoformat())
    return root


def vat_element(b: _Builder, parent: etree._Element, name: str, rate: Decimal | None) -> None:
    """СтавкаНДС in the shape of the version: the enum up to 1.16, КлючевыеСвойстваСтавкиНДС from 1.17."""
    if b.version in ("1.10", "1.16"):
        if rate is None:
            b.el(name, parent, "БезНДС")
        elif rate.normalize() in _VAT_ENUM_BY_RATE:
            b.el(name, parent, _VAT_ENUM_BY_RATE[rate.normalize()])
        else:
            raise ValueError(f"EnterpriseData {b.version} has no VAT rate of {rate} %")
        return
    k = b.el(name, parent)
    if rate is not None:
        b.el("Ставка", k, f"{rate:.2f}")
    b.el("РасчетнаяСтавка", k, "false")
    b.el("НеОблагается", k, "true" if rate is None else "false")
    if rate is None:
        kind = "БезНДС"
    elif rate == 0:
        kind = "Нулевая"
    elif rate >= 18:
        kind = "Общая"
    else:
        kind = "Пониженная"
    b.el("ВидСтавки", k, kind)


def product_element(rec: ProductRec, version: str) -> etree._Element:
    """Справочник.Номенклатура of `version` (what 1C sends; the scripted peer of the tests writes it)."""
    b = _Builder(version)
    root = b.el(PRODUCT)
    k = b.el("КлючевыеСвойства", root)
    b.el("Ссылка", k, rec.ref)
    b.opt(k, "НаименованиеПолное", rec.full_name)
    b.opt(k, "КодВПрограмме", rec.code)
    b.opt(k, "Артикул", rec.article)
    b.el("Наименование", k, rec.name)
    b.el("ТипНоменклатуры", root, "Услуга" if rec.is_service else "Товар")
    b.opt(root, "Описание", rec.description)
    data = b.el("ДанныеКлассификатора", b.el("ЕдиницаИзмерения", root))
    b.opt(data, "Код", rec.unit_code)
    b.opt(data, "Наименование", rec.unit_name)
    if rec.vat_known:
        vat_element(b, root, "СтавкаНДС", rec.vat_rate)
    return root


# ------------------------------------------------------------------------------------------------- reading


def _date(text: str, what: str, el: etree._Element, ref: str = "") -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ObjectInvalid(f"{what} is not a date: {text[:40]!r}", line=el.sourceline, ref=ref) from None


def read_currency(el: etree._Element | None, default: str = "RUB") -> str:
    """A КлючевыеСвойстваВалюта as an ISO code: by its ОКВ code, else by a three-letter short name."""
    code = _t(el, "ДанныеКлассификатора", "Код")
    short = _t(el, "ДанныеКлассификатора", "Наименование")
    if code in _CURRENCY_BY_CODE:
        return _CURRENCY_BY_CODE[code]
    if short == "руб.":
        return "RUB"
    return short if len(short) == 3 and short.isascii() and short.isupper() else default


def read_organization(k: etree._Element) -> OrganizationRec:
    """КлючевыеСвойстваОрганизация as a record."""
    name = _t(k, "Наименование")
    if not name:
        raise ObjectInvalid("the organisation has no Наименование", line=k.sourceline)
    return OrganizationRec(name=name, full_name=_t(k, "НаименованиеПолное"), inn=_t(k, "ИНН"), kpp=_t(k, "КПП"),
                           legal=_t(k, "ЮридическоеФизическоеЛицо") != PERSON, ref=_t(k, "Ссылка"))


def read_contract_keys(k: etree._Element, version: str) -> ContractRec:
    """КлючевыеСвойстваДоговор (of the catalog or of a document's settlement data) as a record."""
    ref = _t(k, "Ссылка")
    kind = _t(k, "ВидДоговора")
    if kind not in CONTRACT_KINDS:
        raise ObjectInvalid(f"ВидДоговора is {kind!r}, not one of the format's kinds", line=k.sourceline, ref=ref)
    org, cp = _child(k, "Организация"), _child(k, "Контрагент")
    if org is None or cp is None:
        raise ObjectInvalid("the contract has no Организация or no Контрагент", line=k.sourceline, ref=ref)
    return ContractRec(ref=ref, kind=kind, organization=read_organization(org), counterparty=_keys(cp, version),
                       number=_t(k, "Номер"), date=_date(_t(k, "Дата"), "Дата", k, ref), name=_t(k, "Наименование"),
                       currency=read_currency(_child(k, "ВалютаВзаиморасчетов")), line=k.sourceline)


def read_vat(el: etree._Element | None, version: str) -> tuple[bool, Decimal | None]:
    """СтавкаНДС of either shape: (present, percent or None for "without VAT")."""
    if el is None:
        return False, None
    if len(el) == 0:    # the enum of ≤ 1.16 (1C may also send it so to a 1.17 reader of an older base)
        value = (el.text or "").strip()
        if value not in VAT_ENUM:
            raise ObjectInvalid(f"СтавкаНДС {value!r} is no rate of the format", line=el.sourceline)
        return True, VAT_ENUM[value]
    if _t(el, "НеОблагается").lower() in ("true", "1") or _t(el, "ВидСтавки") == "БезНДС":
        return True, None
    if _t(el, "ВидСтавки") == "Нулевая":
        return True, Decimal("0")
    text = _t(el, "Ставка")
    try:
        return True, Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ObjectInvalid(f"СтавкаНДС/Ставка is not a number: {text[:40]!r}", line=el.sourceline) from None


def read_catalog_object(el: etree._Element, version: str) -> ContractRec | ProductRec | None:
    """A Договоры or Номенклатура object as a record; None for another type."""
    name = _local(el.tag)
    keys = _child(el, "КлючевыеСвойства")
    if name not in (CONTRACT, PRODUCT):
        return None
    if keys is None:
        raise ObjectInvalid(f"{name} has no КлючевыеСвойства", line=el.sourceline)
    if name == CONTRACT:
        rec = read_contract_keys(keys, version)
        rec.valid_until = _date(_t(el, "СрокДействия"), "СрокДействия", el, rec.ref)
        rec.line = el.sourceline
        return rec
    ref = _t(keys, "Ссылка")
    title = _t(keys, "Наименование")
    if not title:
        raise ObjectInvalid("the product has no Наименование", line=keys.sourceline, ref=ref)
    vat_known, vat = read_vat(_child(el, "СтавкаНДС"), version)
    return ProductRec(ref=ref, name=title, full_name=_t(keys, "НаименованиеПолное"), article=_t(keys, "Артикул"),
                      code=_t(keys, "КодВПрограмме"), is_service=_t(el, "ТипНоменклатуры") in SERVICE_TYPES,
                      unit_code=_t(el, "ЕдиницаИзмерения", "ДанныеКлассификатора", "Код"),
                      unit_name=_t(el, "ЕдиницаИзмерения", "ДанныеКлассификатора", "Наименование"),
                      vat_rate=vat, vat_known=vat_known, description=_t(el, "Описание"), line=el.sourceline)

