"""Counterparties and bank accounts of 1.10, 1.16 and 1.17: what we write validates and reads back the same."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import envelope as env

from .conftest import needs_corpus

pytestmark = needs_corpus

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs")),
               min_size=1, max_size=40)
digits = lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)   # noqa: E731
guid = st.uuids().map(str)


@st.composite
def counterparties(draw, version):
    legal = draw(st.booleans())
    rec = fmt.CounterpartyRec(
        ref=draw(guid), name=draw(text), legal=legal,
        sole_trader=None if legal or version != "1.17" else draw(st.booleans()),
        full_name=draw(st.one_of(st.just(""), text)), inn=draw(st.one_of(st.just(""), digits(10 if legal else 12))),
        kpp=draw(digits(9)) if legal and draw(st.booleans()) else "",
        country=draw(st.sampled_from(["RU", "IT", "KZ", "BY", "ZZ"])), okpo=draw(st.one_of(st.just(""), digits(8))),
        phones=draw(st.lists(st.tuples(st.sampled_from(sorted(fmt.PHONE_KINDS)), digits(11).map(lambda d: "+" + d)),
                             max_size=3)),
        emails=draw(st.lists(text.map(lambda t: "x@y.ru" if not t.strip() else f"{abs(hash(t))}@example.ru"),
                             max_size=2)),
        addresses=draw(st.lists(st.tuples(st.sampled_from(sorted(fmt.ADDRESS_KINDS)), text), max_size=2)),
        website=draw(st.one_of(st.just(""), st.just("https://example.ru"))))
    if draw(st.booleans()):
        rec.main_account = fmt.BankAccountRec(ref=draw(guid), number=draw(digits(20)), bank_name=draw(text),
                                              bic=draw(digits(9)), correspondent_account=draw(digits(20)))
    return rec


def _validate(schema, version, objects):
    out = io.BytesIO()
    env.write_message(out, env.Header(format=env.format_uri(version), sender="RC", recipient="BP", message_no=1,
                                      received_no=0, versions=[version]), objects)
    doc = etree.fromstring(out.getvalue())
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize("version", fmt.VERSIONS)
def test_written_counterparties_validate_and_read_back_the_same(message_schema, version):
    schema = message_schema(version)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rec=counterparties(version), currency=st.sampled_from(sorted(fmt.CURRENCIES)))
    def check(rec, currency):
        objects = [fmt.counterparty_element(rec, version)]
        if rec.main_account is not None:
            rec.main_account.currency = currency
            objects.append(fmt.bank_account_element(rec.main_account, rec, version))
        objects.append(fmt.deletion_element("КонтрагентыСсылка", rec.ref, version))
        _validate(schema, version, objects)
        back = fmt.read_object(objects[0], version)
        back.line = None
        if back.main_account is not None:
            assert back.main_account.owner.ref == rec.ref
            back.main_account.owner = None
            back.main_account.line = None
            back.main_account.currency = rec.main_account.currency
        assert back == rec
        if rec.main_account is not None:
            account = fmt.read_object(objects[1], version)
            assert (account.number, account.bic, account.currency) == (rec.main_account.number, rec.main_account.bic,
                                                                        currency)
        deletion = fmt.read_object(objects[-1], version)
        assert (deletion.object_type, deletion.ref) == ("КонтрагентыСсылка", rec.ref)

    check()


def test_a_person_in_1_16_does_not_say_whether_a_sole_trader():
    rec = fmt.CounterpartyRec(ref="r", name="Иванов", legal=False, sole_trader=True, inn="500100732259")
    assert fmt.read_object(fmt.counterparty_element(rec, "1.16"), "1.16").sole_trader is None
    assert fmt.read_object(fmt.counterparty_element(rec, "1.17"), "1.17").sole_trader is True


@pytest.mark.parametrize("value, plain", [
    ("+74951234567", "+74951234567"),
    ('<КонтактнаяИнформация xmlns="http://www.v8.1c.ru/ssl/contactinfo" Представление="+7 495 123-45-67"/>',
     "+7 495 123-45-67"),
    ('{"value": "a@b.ru", "type": "Почта"}', "a@b.ru"),
])
def test_contact_field_values_in_any_of_1cs_forms(value, plain):
    assert fmt.field_value(value) == plain


def test_a_counterparty_without_name_is_refused_with_its_line():
    el = fmt.counterparty_element(fmt.CounterpartyRec(ref="r", name="x"), "1.17")
    el.find(".//{*}Наименование").text = ""
    with pytest.raises(fmt.ObjectInvalid) as exc:
        fmt.read_object(el, "1.17")
    assert exc.value.ref == "r" and "Наименование" in exc.value.message
