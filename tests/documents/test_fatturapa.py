"""The FatturaPA export: an Italian invoice becomes a file the official schema accepts; missing data is named."""

from __future__ import annotations

import pytest
from lxml import etree

from raccordo.core.errors import PermissionDenied
from raccordo.documents.fatturapa import FatturaPAError, validation_errors
from raccordo.documents.services import invoice_fatturapa
from tests.factories import UserFactory, reference_data

from .worlds import italian_sale, russian_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db):
    return UserFactory(username="anna", role="manager", email="anna@example.com")


def test_italian_invoice_exports_valid_fatturapa(anna):
    sale = italian_sale(reference_data(), anna)
    name, xml = invoice_fatturapa(user=anna, invoice=sale.invoice)
    assert name.startswith("IT01234567897_") and name.endswith(".xml")
    assert validation_errors(xml) == []
    root = etree.fromstring(xml)
    assert root.get("versione") == "FPR12"
    assert root.findtext(".//CodiceDestinatario") == "ABC1234"
    assert root.findtext(".//CedentePrestatore//IdCodice") == "01234567897"
    assert root.findtext(".//CedentePrestatore/Sede/CAP") == "20121"
    assert root.findtext(".//CessionarioCommittente//IdCodice") == "00743110157"
    assert root.findtext(".//ImportoTotaleDocumento") == "1200.50"
    assert [e.text for e in root.iter("Descrizione")] == ["Pompa centrifuga", "Installazione"]
    # The net amounts and the VAT add up to the total the client owes.
    summary = root.find(".//DatiRiepilogo")
    assert summary.findtext("AliquotaIVA") == "22.00"
    net, vat = summary.findtext("ImponibileImporto"), summary.findtext("Imposta")
    assert float(net) + float(vat) == pytest.approx(1200.50)
    assert root.findtext(".//IBAN") == "IT60X0542811101000000123456"


def test_schema_refuses_a_broken_file(anna):
    sale = italian_sale(reference_data(), anna)
    _name, xml = invoice_fatturapa(user=anna, invoice=sale.invoice)
    broken = xml.replace(b"<CodiceDestinatario>ABC1234</CodiceDestinatario>",
                         b"<CodiceDestinatario>abc</CodiceDestinatario>")
    errors = validation_errors(broken)
    assert errors and "CodiceDestinatario" in errors[0]


def test_pec_instead_of_a_recipient_code(anna):
    sale = italian_sale(reference_data(), anna)
    sale.client.sdi_code, sale.client.pec = "", "bianchi@pec.it"
    sale.client.save()
    _name, xml = invoice_fatturapa(user=anna, invoice=sale.invoice)
    root = etree.fromstring(xml)
    assert (root.findtext(".//CodiceDestinatario"), root.findtext(".//PECDestinatario")) == ("0000000",
                                                                                           "bianchi@pec.it")


def test_missing_data_is_named(anna):
    sale = italian_sale(reference_data(), anna)
    sale.client.sdi_code = ""
    sale.client.save()
    sale.company.vat_number, sale.company.address = "", "Milano"
    sale.company.save()
    with pytest.raises(FatturaPAError) as refused:
        invoice_fatturapa(user=anna, invoice=sale.invoice)
    message = refused.value.message
    assert "partita IVA" in message and "recipient code (SdI) or a PEC" in message and "CAP" in message


def test_russian_invoice_is_not_a_fatturapa(anna):
    sale = russian_sale(reference_data(), anna)
    with pytest.raises(FatturaPAError, match="Italian own company"):
        invoice_fatturapa(user=anna, invoice=sale.invoice)


def test_another_manager_cannot_export(anna):
    sale = italian_sale(reference_data(), anna)
    with pytest.raises(PermissionDenied):
        invoice_fatturapa(user=UserFactory(username="marco", role="manager"), invoice=sale.invoice)
