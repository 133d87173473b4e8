"""Справочник.Контрагенты and Справочник.БанковскиеСчета of EnterpriseData 1.10, 1.16 and 1.17, both ways.

Plain records in, elements out (and back), properties in the order of each version's package (the
object types are sequenced). What differs between the versions we write:

* 1.17 keys carry ИндивидуальныйПредприниматель: a sole trader is told from a person by the format.
  In 1.10 and 1.16 both are ФизическоеЛицо; the reader then says `sole_trader=None` ("the format does
  not say") and the importer keeps what it has, or decides by the INN for a new record.
* 1.10 has no ОбщиеСвойстваОбъектовФормата; nothing we send needs it.

Contact information (КонтактнаяИнформация.Строка) carries a kind (ВидыКИ) and ЗначенияПолей. 1C's
conversion rules put a serialized contact-information value there; no captured message shows which
serialization a given configuration sends **[INFERENCE]**, so we write the plain presentation (the
phone number, the address, the e-mail) and read back either that, the ``Представление`` of an XML
value or the ``value`` of a JSON one.

Pure module: no Django.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .xdto import ED_BASE

VERSIONS = ("1.10", "1.16", "1.17")
COUNTERPARTY = "Справочник.Контрагенты"
BANK_ACCOUNT = "Справочник.БанковскиеСчета"
DELETION = "УдалениеОбъекта"
LEGAL = "ЮридическоеЛицо"
PERSON = "ФизическоеЛицо"

# Our contact kinds <-> ВидыКИ (every value exists in 1.10 to 1.17).
PHONE_KINDS = {"work": "ТелефонРабочий", "mobile": "Телефон", "fax": "Факс", "other": "ПользовательскаяКИТелефон"}
ADDRESS_KINDS = {"legal": "ЮридическийАдрес", "actual": "ФактическийАдрес", "postal": "ПочтовыйАдрес",
                 "delivery": "ПользовательскаяКИАдрес"}
EMAIL_KIND = "АдресЭлектроннойПочты"
WEBSITE_KIND = "ВебСтраница"
_PHONE_BY_KI = {v: k for k, v in PHONE_KINDS.items()} | {"ТелефонДомашний": "other", "ПользовательскаяКИФакс": "fax"}
_ADDRESS_BY_KI = {v: k for k, v in ADDRESS_KINDS.items()}
_EMAIL_KI = {EMAIL_KIND, "ПользовательскаяКИАдресЭлектроннойПочты"}
_WEBSITE_KI = {WEBSITE_KIND, "ПользовательскаяКИВебСтраница"}

# ISO 3166 alpha-2 -> the numeric code 1C's classifier of countries (ОКСМ) uses, for the countries our
# customers trade with most; another country travels by its alpha-2 code in Наименование.
OKSM = {"RU": "643", "BY": "112", "KZ": "398", "AM": "051", "KG": "417", "UZ": "860", "TJ": "762", "AZ": "031",
        "GE": "268", "MD": "498", "UA": "804", "IT": "380", "DE": "276", "FR": "250", "ES": "724", "GB": "826",
        "US": "840", "CN": "156", "TR": "792", "IN": "356", "AE": "784", "PL": "616", "FI": "246", "LT": "440",
        "LV": "428", "EE": "233", "CH": "756", "AT": "040", "NL": "528", "BE": "056", "CZ": "203", "RS": "688"}
_ALPHA2 = {v: k for k, v in OKSM.items()}
# Currency (ISO 4217) -> numeric code and 1C's short name (ДанныеКлассификатора of Валюты).
CURRENCIES = {"RUB": ("643", "руб."), "USD": ("840", "USD"), "EUR": ("978", "EUR"), "CNY": ("156", "CNY"),
              "KZT": ("398", "KZT"), "BYN": ("933", "BYN"), "GBP": ("826", "GBP"), "CHF": ("756", "CHF"),
              "AMD": ("051", "AMD"), "UZS": ("860", "UZS"), "KGS": ("417", "KGS"), "TRY": ("949", "TRY"),
              "AED": ("784", "AED"), "INR": ("356", "INR")}
_CURRENCY_BY_CODE = {v[0]: k for k, v in CURRENCIES.items()}


class ObjectInvalid(ValueError):
    """One object of a message cannot be read: what is wrong and the element's line."""

    def __init__(self, message: str, *, line: int | None = None, ref: str = ""):
        super().__init__(message)
        self.message, self.line, self.ref = message, line, ref


@dataclass
class CounterpartyRec:
    """A counterparty as the format carries it (no database ids: `ref` is the GUID it travels under)."""

    ref: str
    name: str
    legal: bool = True                  # ЮридическоеФизическоеЛицо
    sole_trader: bool | None = None     # None: the version cannot say (≤ 1.16, a person)
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    country: str = "RU"
    okpo: str = ""
    phones: list[tuple[str, str]] = field(default_factory=list)     # (kind, number)
    emails: list[str] = field(default_factory=list)
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    website: str = ""
    main_account: BankAccountRec | None = None
    line: int | None = None


@dataclass
class BankAccountRec:
    """A bank account and its bank (БИК, correspondent account, SWIFT) as the format carries it."""

    ref: str
    number: str
    owner: CounterpartyRec | None = None   # the owner's keys (КонтрагентыСсылка)
    bank_name: str = ""
    bic: str = ""
    correspondent_account: str = ""
    swift: str = ""
    currency: str = "RUB"
    line: int | None = None


@dataclass
class DeletionRec:
    """УдалениеОбъекта: the peer deleted (or marked deleted) the object with this GUID."""

    object_type: str      # the reference's name in the format, e.g. "КонтрагентыСсылка"
    ref: str
    line: int | None = None


def namespace(version: str) -> str:
    return f"{ED_BASE}/{version}"


class _Builder:
    def __init__(self, version: str):
        if version not in VERSIONS:
            raise ValueError(f"EnterpriseData {version} is not one Raccordo writes counterparties in "
                             f"({', '.join(VERSIONS)})")
        self.version = version
        self.ns = f"{{{namespace(version)}}}"

    def el(self, name: str, parent: etree._Element | None = None, text: str | None = None) -> etree._Element:
        # A root object declares the format's namespace as the default one, as 1C's files do (no ns0: prefixes).
        e = etree.Element(self.ns + name, nsmap={None: self.ns[1:-1]}) if parent is None \
            else etree.SubElement(parent, self.ns + name)
        if text is not None:
            e.text = text
        return e

    def opt(self, parent: etree._Element, name: str, text: str) -> None:
        if text:
            self.el(name, parent, text)

    def keys(self, parent: etree._Element, name: str, rec: CounterpartyRec) -> etree._Element:
        """КлючевыеСвойстваКонтрагент, in package order."""
        k = self.el(name, parent)
        self.el("Ссылка", k, rec.ref)
        self.el("Наименование", k, rec.name)
        self.opt(k, "НаименованиеПолное", rec.full_name)
        self.opt(k, "ИНН", rec.inn)
        self.opt(k, "КПП", rec.kpp)
        self.el("ЮридическоеФизическоеЛицо", k, LEGAL if rec.legal else PERSON)
        if rec.country:
            country = self.el("СтранаРегистрации", k)
            data = self.el("ДанныеКлассификатора", country)
            if rec.country in OKSM:
                self.el("Код", data, OKSM[rec.country])
            else:
                self.el("Наименование", data, rec.country)
        if self.version == "1.17" and not rec.legal:
            self.el("ИндивидуальныйПредприниматель", k, "true" if rec.sole_trader else "false")
        return k

    def account_keys(self, parent: etree._Element, name: str, acc: BankAccountRec, owner: CounterpartyRec
                     ) -> etree._Element:
        """КлючевыеСвойстваБанковскийСчет: number, bank (БИК, КоррСчет, СВИФТБИК), owner's keys."""
        k = self.el(name, parent)
        self.el("Ссылка", k, acc.ref)
        self.el("НомерСчета", k, acc.number)
        if acc.bic or acc.bank_name or acc.swift or acc.correspondent_account:
            bank = self.el("Банк", k)
            data = self.el("ДанныеКлассификатораБанков", bank)
            self.opt(data, "Наименование", acc.bank_name)
            self.opt(data, "БИК", acc.bic)
            self.opt(data, "КоррСчет", acc.correspondent_account)
            self.opt(data, "СВИФТБИК", acc.swift)
        self.keys(self.el("Владелец", k), "КонтрагентыСсылка", owner)
        return k


def counterparty_element(rec: CounterpartyRec, version: str) -> etree._Element:
    """Справочник.Контрагенты of `version`, its properties in the package's order."""
    b = _Builder(version)
    root = b.el(COUNTERPARTY)
    b.keys(root, "КлючевыеСвойства", rec)
    b.opt(root, "ОКПО", rec.okpo)
    rows = ([(PHONE_KINDS.get(kind, PHONE_KINDS["other"]), number) for kind, number in rec.phones]
            + [(EMAIL_KIND, e) for e in rec.emails]
            + [(ADDRESS_KINDS.get(kind, ADDRESS_KINDS["legal"]), text) for kind, text in rec.addresses]
            + ([(WEBSITE_KIND, rec.website)] if rec.website else []))
    if rows:
        ci = b.el("КонтактнаяИнформация", root)
        for kind, value in rows:
            row = b.el("Строка", ci)
            b.el("ВидКонтактнойИнформации", row, kind)
            b.el("ЗначенияПолей", row, value)
    if rec.main_account is not None:
        b.account_keys(root, "ОсновнойБанковскийСчет", rec.main_account, rec)
    return root


def bank_account_element(acc: BankAccountRec, owner: CounterpartyRec, version: str) -> etree._Element:
    """Справочник.БанковскиеСчета of `version`: keys (with the owner), Наименование, the currency."""
    b = _Builder(version)
    root = b.el(BANK_ACCOUNT)
    b.account_keys(root, "КлючевыеСвойства", acc, owner)
    b.opt(root, "Наименование", " ".join(p for p in (acc.bank_name, acc.number) if p)[:150])
    code, short = CURRENCIES.get(acc.currency, ("", acc.currency))
    currency = b.el("ВалютаДенежныхСредств", root)
    data = b.el("ДанныеКлассификатора", currency)
    b.opt(data, "Код", code)
    b.el("Наименование", data, short)
    b.el("ВидСчета", root, "Расчетный")
    return root


def deletion_element(ref_type: str, ref: str, version: str) -> etree._Element:
    """УдалениеОбъекта/СсылкаНаОбъект/СсылкаНаОбъект/<ref_type>: 1C marks the object deleted."""
    b = _Builder(version)
    root = b.el(DELETION)
    inner = b.el("СсылкаНаОбъект", b.el("СсылкаНаОбъект", root))
    b.el(ref_type, inner, ref)
    return root


# ------------------------------------------------------------------------------------------------- reading


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    for ch in el:
        if _local(ch.tag) == name:
            return ch
    return None


def _t(el: etree._Element | None, *path: str) -> str:
    for name in path:
        el = _child(el, name)
    return (el.text or "").strip() if el is not None else ""


def field_value(text: str) -> str:
    """ЗначенияПолей as plain text: the presentation of an XML or JSON contact-information value, or the text."""
    text = (text or "").strip()
    if text.startswith("<"):
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            root = etree.fromstring(text.encode("utf-8"), parser)
        except etree.XMLSyntaxError:
            return text
        return (root.get("Представление") or root.get("Presentation") or "".join(root.itertext())).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            return str(data.get("value") or data.get("Value") or "").strip()
    return text


def _keys(k: etree._Element, version: str) -> CounterpartyRec:
    ref = _t(k, "Ссылка")
    name = _t(k, "Наименование")
    if not name:
        raise ObjectInvalid("the counterparty has no Наименование", line=k.sourceline, ref=ref)
    kind = _t(k, "ЮридическоеФизическоеЛицо")
    if kind not in (LEGAL, PERSON):
        raise ObjectInvalid(f"ЮридическоеФизическоеЛицо is {kind!r}, neither {LEGAL} nor {PERSON}",
                            line=k.sourceline, ref=ref)
    sole = None
    ip = _t(k, "ИндивидуальныйПредприниматель")
    if ip:
        sole = ip.lower() in ("true", "1")
    country_data = _child(_child(k, "СтранаРегистрации"), "ДанныеКлассификатора")
    country = ""
    if country_data is not None:
        code, title = _t(country_data, "Код"), _t(country_data, "Наименование")
        country = _ALPHA2.get(code) or (title.upper() if len(title) == 2 else "")
    return CounterpartyRec(ref=ref, name=name, legal=kind == LEGAL, sole_trader=sole,
                           full_name=_t(k, "НаименованиеПолное"), inn=_t(k, "ИНН"), kpp=_t(k, "КПП"),
                           country=country or "RU", line=k.sourceline)


def _account_keys(k: etree._Element, version: str) -> BankAccountRec:
    bank = _child(_child(k, "Банк"), "ДанныеКлассификатораБанков")
    owner_el = _child(_child(k, "Владелец"), "КонтрагентыСсылка")
    return BankAccountRec(ref=_t(k, "Ссылка"), number=_t(k, "НомерСчета"),
                          owner=_keys(owner_el, version) if owner_el is not None else None,
                          bank_name=_t(bank, "Наименование"), bic=_t(bank, "БИК"),
                          correspondent_account=_t(bank, "КоррСчет"), swift=_t(bank, "СВИФТБИК"),
                          line=k.sourceline)


def contact_info(el: etree._Element) -> Iterator[tuple[str, str]]:
    """(kind, value) of each КонтактнаяИнформация row of `el` that has a value (a counterparty's or a contact
    person's: the rows have the same shape)."""
    rows = _child(el, "КонтактнаяИнформация")
    for row in rows if rows is not None else ():
        kind, value = _t(row, "ВидКонтактнойИнформации"), field_value(_t(row, "ЗначенияПолей"))
        if value:
            yield kind, value


def read_object(el: etree._Element, version: str) -> CounterpartyRec | BankAccountRec | DeletionRec | None:
    """One Body object as a record; None for an object type not read here (it is passed over)."""
    name = _local(el.tag)
    if name == COUNTERPARTY:
        keys = _child(el, "КлючевыеСвойства")
        if keys is None:
            raise ObjectInvalid("the counterparty has no КлючевыеСвойства", line=el.sourceline)
        rec = _keys(keys, version)
        rec.line = el.sourceline
        rec.okpo = _t(el, "ОКПО")
        for kind, value in contact_info(el):
            if kind in _PHONE_BY_KI:
                rec.phones.append((_PHONE_BY_KI[kind], value))
            elif kind in _EMAIL_KI:
                rec.emails.append(value)
            elif kind in _ADDRESS_BY_KI:
                rec.addresses.append((_ADDRESS_BY_KI[kind], value))
            elif kind in _WEBSITE_KI:
                rec.website = value
        main = _child(el, "ОсновнойБанковскийСчет")
        if main is not None:
            rec.main_account = _account_keys(main, version)
        return rec
    if name == BANK_ACCOUNT:
        keys = _child(el, "КлючевыеСвойства")
        if keys is None:
            raise ObjectInvalid("the bank account has no КлючевыеСвойства", line=el.sourceline)
        acc = _account_keys(keys, version)
        acc.line = el.sourceline
        if not acc.number:
            raise ObjectInvalid("the bank account has no НомерСчета", line=el.sourceline, ref=acc.ref)
        code = _t(el, "ВалютаДенежныхСредств", "ДанныеКлассификатора", "Код")
        short = _t(el, "ВалютаДенежныхСредств", "ДанныеКлассификатора", "Наименование")
        acc.currency = _CURRENCY_BY_CODE.get(code) or (short if len(short) == 3 and short.isupper() else "RUB")
        return acc
    if name == DELETION:
        inner = _child(_child(el, "СсылкаНаОбъект"), "СсылкаНаОбъект")
        target = next((ch for ch in inner if isinstance(ch.tag, str)), None) if inner is not None else None
        if target is None:
            raise ObjectInvalid("УдалениеОбъекта names no object", line=el.sourceline)
        return DeletionRec(object_type=_local(target.tag), ref=(target.text or "").strip(), line=el.sourceline)
    return None
