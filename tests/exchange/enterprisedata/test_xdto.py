"""1C's XDTO packages (SSL 3.1.12) become XML Schemas lxml compiles, and the schemas hold what the packages say."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import envelope as env
from raccordo.exchange.formats.enterprisedata import xdto

from .conftest import PACKAGES, needs_corpus

pytestmark = needs_corpus
XS = "{http://www.w3.org/2001/XMLSchema}"


@pytest.mark.parametrize("version", ["1.10", "1.16", "1.17", "envelope"])
def test_every_type_of_the_package_is_in_the_schema(version):
    package = xdto.read_package(PACKAGES[version])
    schema = xdto.package_to_xsd(package).getroot()
    declared = {el.get("name") for el in schema.findall(XS + "complexType")} | \
               {el.get("name") for el in schema.findall(XS + "simpleType")}
    in_package = {el.get("name") for el in package.root if el.get("name")}
    assert in_package and in_package <= declared
    assert schema.get("targetNamespace") == package.namespace
    if version != "envelope":
        elements = {el.get("name") for el in schema.findall(XS + "element")}
        assert {"Справочник.Контрагенты", "Справочник.БанковскиеСчета", "УдалениеОбъекта", "Body"} <= elements


@pytest.mark.parametrize("version", ["1.10", "1.16", "1.17"])
def test_schema_compiles_and_checks_a_counterparty(message_schema, version):
    schema = message_schema(version)
    rec = fmt.CounterpartyRec(ref="0f9c1f4e-3c0b-4f5e-9a62-5d1c7b0c0001", name="Ромашка", inn="7707083893",
                              kpp="770701001")
    doc = _message(version, [fmt.counterparty_element(rec, version)])
    assert schema.validate(doc), schema.error_log
    # The enumeration, the length facet and the order of a sequenced type are all enforced.
    kind = doc.find(".//{*}ЮридическоеФизическоеЛицо")
    kind.text = "Юрлицо"
    assert not schema.validate(doc)
    kind.text = fmt.LEGAL
    doc.find(".//{*}ИНН").text = "7" * 13
    assert not schema.validate(doc)
    doc.find(".//{*}ИНН").text = "7707083893"
    keys = doc.find(".//{*}КлючевыеСвойства")
    keys.insert(0, keys.find("{*}Наименование"))
    assert not schema.validate(doc)


def test_settings_only_message_validates_against_the_envelope(message_schema):
    header = env.Header(format=env.format_uri(None), sender="RC", recipient="BP", versions=["1.17", "1.16"],
                        object_types=[env.ObjectTypeSupport(fmt.COUNTERPARTY)], prefix="RC")
    out = io.BytesIO()
    env.write_message(out, header)
    doc = etree.fromstring(out.getvalue())
    assert message_schema(None).validate(doc), message_schema(None).error_log
    # Confirmation/From is the one required child.
    doc.find(".//{*}From").getparent().remove(doc.find(".//{*}From"))
    assert not message_schema(None).validate(doc)


def test_unknown_xdto_construct_is_refused_with_its_place(tmp_path):
    path = tmp_path / "Package.bin"
    path.write_text('<package xmlns="http://v8.1c.ru/8.1/xdto" targetNamespace="urn:x">\n'
                    '<valueType name="L" base="xs:string" variety="List"/></package>', encoding="utf-8")
    with pytest.raises(xdto.XdtoUnsupported) as exc:
        xdto.package_to_xsd(xdto.read_package(path))
    assert "List" in str(exc.value) and ":2" in str(exc.value)


def _message(version, objects):
    header = env.Header(format=env.format_uri(version), sender="RC", recipient="BP", message_no=1, received_no=0,
                        versions=[version])
    out = io.BytesIO()
    env.write_message(out, header, objects)
    return etree.fromstring(out.getvalue())
