"""What Raccordo writes in EnterpriseData, it reads back to the same records: every object type, every version.

One generated message of everything Raccordo sends (counterparties with contact information and their bank
accounts, contracts, orders with goods and services lines, deletions of each kind it sends) is written as a
whole message, validated against its version's schema, then read back through the streaming reader (which
clears each object once the next is asked for) and compared object by object with what was written.

Where the format legitimately loses something, the expected record is normalised, and each normalisation says
why. The per-type tests (test_*_format.py) check the element builders; this one checks the message as a whole,
with wider text (spaces, line breaks, non-BMP characters) and the values Raccordo's own fields can hold.
"""

from __future__ import annotations

import copy
import dataclasses
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.formats.enterprisedata import envelope as env

from .conftest import needs_corpus
from .test_catalogs_format import dates
from .test_counterparties_format import digits, guid

pytestmark = needs_corpus

# Any XML-compatible text, spaces and line breaks included (what a user may type into a name or an address).
_chars = st.characters(codec="utf-8", exclude_categories=("Cs",),
                       exclude_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff")
any_text = st.text(alphabet=_chars, max_size=60)
# A required name: 1C refuses a blank one, and so does our reader; Raccordo's own never is.
name_text = any_text.filter(lambda t: t.strip() != "")
optional = st.one_of(st.just(""), any_text)
money = st.decimals(min_value=0, max_value=10**9, places=2)
currencies = st.sampled_from([*sorted(fmt.CURRENCIES), "GBP"])   # GBP: by its short name, no ОКВ code written


def _rates(version):
    """VAT rates an invoice line may carry that the version can express (≤ 1.16: only its enum's)."""
    enum = st.sampled_from([None, Decimal("0"), Decimal("10"), Decimal("20"), Decimal("18")])
    return enum if version != "1.17" else st.one_of(enum, st.decimals(min_value=0, max_value=99, places=2))


@st.composite
def counterparties(draw, version, *, contacts=True):
    kind = draw(st.sampled_from(["legal", "sole_trader", "individual"]))   # CounterpartyKind, as outgoing maps it
    rec = fmt.CounterpartyRec(
        ref=draw(guid), name=draw(name_text), legal=kind == "legal",
        sole_trader=None if kind == "legal" else kind == "sole_trader", full_name=draw(optional),
        inn=draw(st.one_of(st.just(""), digits(10 if kind == "legal" else 12))),
        kpp=draw(st.one_of(st.just(""), digits(9))) if kind == "legal" else "",
        country=draw(st.sampled_from(["RU", "IT", "KZ", "BY", "DE", "US"])))
    if contacts:
        rec.phones = draw(st.lists(st.tuples(st.sampled_from(sorted(fmt.PHONE_KINDS)),
                                             digits(11).map(lambda d: "+" + d)), max_size=3))
        rec.emails = draw(st.lists(st.from_regex(r"[a-z0-9.]{1,12}@[a-z]{1,8}\.(ru|it|com)", fullmatch=True),
                                   max_size=2))
        rec.addresses = draw(st.lists(st.tuples(st.sampled_from(["legal", "actual", "postal", "delivery"]), any_text),
                                      max_size=3))
        rec.website = draw(st.sampled_from(["", "https://example.ru", "www.пример.рф"]))
        if draw(st.booleans()):
            bic = draw(st.one_of(digits(9), st.from_regex(r"[A-Z]{6}[A-Z0-9]{2}", fullmatch=True)))
            rec.main_account = fmt.BankAccountRec(   # as outgoing._account_rec: a BIC of digits, else a SWIFT code
                ref=draw(guid), number=draw(st.one_of(digits(20), st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}",
                                                                                fullmatch=True))),
                bank_name=draw(optional), bic=bic if bic.isdigit() else "", swift="" if bic.isdigit() else bic,
                correspondent_account=draw(st.one_of(st.just(""), digits(20))), currency=draw(currencies))
    return rec


orgs = st.builds(cat.OrganizationRec, name=name_text, full_name=optional, inn=st.one_of(st.just(""), digits(10)),
                 kpp=st.one_of(st.just(""), digits(9)), legal=st.booleans(), ref=st.one_of(st.just(""), guid))


@st.composite
def contracts(draw, version):
    return cat.ContractRec(ref=draw(guid), kind=draw(st.sampled_from(cat.CONTRACT_KINDS)), organization=draw(orgs),
                           counterparty=draw(counterparties(version, contacts=False)), number=draw(optional),
                           date=draw(st.one_of(st.none(), dates)), name=draw(st.text(alphabet=_chars, max_size=200)),
                           currency=draw(currencies), valid_until=draw(st.one_of(st.none(), dates)))


@st.composite
def orders(draw, version):
    lines = draw(st.lists(st.builds(
        doc.OrderLineRec, name=name_text, quantity=st.decimals(min_value=0, max_value=10**6, places=3), price=money,
        amount=money, vat_rate=_rates(version), vat_amount=money, product_ref=st.one_of(st.just(""), guid),
        article=st.one_of(st.just(""), st.text(alphabet=_chars, max_size=80)), is_service=st.booleans(),
        unit_code=st.sampled_from(["", "796", "166"]), unit_name=st.sampled_from(["", "шт", "кг"])),
        min_size=1, max_size=5))
    return doc.OrderRec(ref=draw(guid), number=draw(name_text), date=draw(dates), organization=draw(orgs),
                        counterparty=draw(counterparties(version, contacts=False)), currency=draw(currencies),
                        total=draw(money), vat_included=draw(st.booleans()),
                        contract=draw(st.one_of(st.none(), contracts(version))), lines=lines)


DELETED_TYPES = ("КонтрагентыСсылка", "ДоговорыСсылка", "ЗаказКлиентаСсылка")   # all Raccordo sends
deletions = st.builds(fmt.DeletionRec, object_type=st.sampled_from(DELETED_TYPES), ref=guid)


def objects(version):
    return st.lists(st.one_of(counterparties(version), contracts(version), orders(version), deletions),
                    min_size=1, max_size=6)


# ---------------------------------------------------------------------------------------- writing, expecting


def _write(rec, version) -> list[tuple[etree._Element, object]]:
    """The elements Raccordo writes for one record, each with the record it must read back as."""
    if isinstance(rec, fmt.CounterpartyRec):
        out = [(fmt.counterparty_element(rec, version), _expected_counterparty(rec, version))]
        if rec.main_account is not None:   # outgoing sends each account as an object of its own too
            out.append((fmt.bank_account_element(rec.main_account, rec, version),
                        _expected_account(rec.main_account, rec, version, with_currency=True)))
        return out
    if isinstance(rec, cat.ContractRec):
        return [(cat.contract_element(rec, version), _expected_contract(rec, version))]
    if isinstance(rec, doc.OrderRec):
        return [(doc.order_element(rec, version), _expected_order(rec, version))]
    return [(fmt.deletion_element(rec.object_type, rec.ref, version), rec)]


def _stripped(value):
    """Every string stripped: the reader strips each value, since 1C pads some (a fixed-width КПП, a number)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_stripped(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _stripped(getattr(value, f.name))
                                             for f in dataclasses.fields(value)})
    return value


def _keys(rec: fmt.CounterpartyRec, version) -> fmt.CounterpartyRec:
    """The counterparty as its КлючевыеСвойства carry it (where it is named, not sent)."""
    keys = fmt.CounterpartyRec(ref=rec.ref, name=rec.name, legal=rec.legal, full_name=rec.full_name, inn=rec.inn,
                               kpp=rec.kpp, country=rec.country,
                               # ≤ 1.16 has no ИндивидуальныйПредприниматель: a person is not known to be one or not.
                               sole_trader=rec.sole_trader if version == "1.17" else None)
    return _stripped(keys)


def _expected_counterparty(rec, version):
    back = copy.deepcopy(rec)
    back.sole_trader = rec.sole_trader if version == "1.17" else None   # as in _keys
    back = _stripped(back)
    # A blank value is not written as a contact row (and 1C's blank rows are passed over when read).
    back.addresses = [(kind, text) for kind, text in back.addresses if text]
    # ЗначенияПолей holding well-formed XML or JSON is 1C's structured contact information and is read as
    # such (its presentation): an address typed like that is read as 1C would read it.
    back.addresses = [(kind, fmt.field_value(text)) for kind, text in back.addresses]
    back.addresses = [(kind, text) for kind, text in back.addresses if text]
    if back.main_account is not None:
        back.main_account = _expected_account(rec.main_account, rec, version, with_currency=False)
    return back


def _expected_account(acc, owner, version, *, with_currency):
    back = _stripped(copy.deepcopy(acc))
    back.owner = _keys(owner, version)   # the account's keys name its owner by the owner's keys
    if not with_currency:   # a counterparty's ОсновнойБанковскийСчет carries the account's keys, not its currency
        back.currency = "RUB"
    return back


def _expected_contract(rec, version, *, in_document=False):
    back = copy.deepcopy(rec)
    back.counterparty = _keys(rec.counterparty, version)
    back.name = back.name[:150]   # КлючевыеСвойстваДоговор/Наименование is written cut to 1C's 150 characters
    if in_document:   # a document names the contract by its keys: СрокДействия is the catalog's, not carried
        back.valid_until = None
    back = _stripped(back)
    back.counterparty = _keys(rec.counterparty, version)
    return back


def _expected_order(rec, version):
    back = _stripped(copy.deepcopy(rec))
    back.counterparty = _keys(rec.counterparty, version)
    if rec.contract is not None:
        back.contract = _expected_contract(rec.contract, version, in_document=True)
    for line, written in zip(back.lines, rec.lines, strict=True):
        line.article = written.article[:50].strip()   # Номенклатура/Артикул is written cut to 1C's 50 characters
        if line.is_service:   # a service row has no ЕдиницаИзмерения in the format
            line.unit_code = line.unit_name = ""
        if line.vat_rate is not None:   # 1.17's Ставка is written with two decimals
            line.vat_rate = line.vat_rate.quantize(Decimal("0.01"))
    back.lines.sort(key=lambda ln: ln.is_service)   # Товары come before Услуги in the format
    return back


def _clear_lines(rec):
    """Source lines are where the record stood in the file: not part of the record's content."""
    if dataclasses.is_dataclass(rec) and not isinstance(rec, type):
        for f in dataclasses.fields(rec):
            value = getattr(rec, f.name)
            if f.name == "line":
                setattr(rec, f.name, None)
            elif dataclasses.is_dataclass(value):
                _clear_lines(value)
    return rec


def _read(el, version):
    return fmt.read_object(el, version) or cat.read_catalog_object(el, version) or doc.read_document(el, version)


@pytest.mark.parametrize("version", fmt.VERSIONS)
def test_what_raccordo_writes_it_reads_back_the_same(message_schema, version):
    schema = message_schema(version)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records=objects(version), message_no=st.integers(min_value=1, max_value=10**6))
    def check(records, message_no):
        pairs = [pair for rec in records for pair in _write(rec, version)]
        out = io.BytesIO()
        header = env.Header(format=env.format_uri(version), sender="RC", recipient="BP", message_no=message_no,
                            received_no=message_no - 1, versions=list(fmt.VERSIONS), prefix="RC")
        assert env.write_message(out, header, [el for el, _expected in pairs]) == len(pairs)
        assert schema.validate(etree.fromstring(out.getvalue())), schema.error_log

        reader = env.MessageReader(io.BytesIO(out.getvalue()), file="Message_RC_BP.xml")
        assert (reader.header.version, reader.header.message_no, reader.header.received_no) == (
            version, message_no, message_no - 1)
        # Each object is read before the next is asked for: the reader clears the previous one.
        back = [_clear_lines(_read(el, version)) for el in reader.objects()]
        assert back == [expected for _el, expected in pairs]

    check()
