"""An Italian invoice as a FatturaPA 1.2 file (FPR12, between private parties), validated against the official
schema; Raccordo exports it for download and never transmits it to SdI (accounting or an intermediary does).

The schema is the Agenzia delle Entrate's own (schemas/, see SOURCES.md there), read with lxml; its import of the
W3C signature schema resolves to the bundled copy, so validating never reaches the network. Before building,
every datum SdI needs is checked and each missing one named (the company's partita IVA, the client's recipient
code or PEC, addresses...), so the person exporting knows what to fill in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from raccordo.core.errors import ApplicationError
from raccordo.sales.models import Invoice, InvoiceStatus

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILE = SCHEMAS / "Schema_del_file_xml_FatturaPA_v1.2.3.xsd"
SIGNATURE_SCHEMA = "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd"
NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
# "street, CAP city (PR)": how an Italian address is written on one line, e.g. "Via Roma 1, 20121 Milano (MI)".
ADDRESS = re.compile(r"^\s*(?P<street>[^,]+?)\s*,\s*(?P<cap>\d{5})\s+(?P<city>[^,(]+?)\s*(?:\((?P<prov>[A-Za-z]{2})\))?"
                     r"\s*(?:,\s*(?:Italia|Italy|IT))?\s*$")
CENT = Decimal("0.01")
# Ordinary tax regime: the CRM keeps no other, and an accountant exporting a special one does it from accounting.
REGIME = "RF01"


class FatturaPAError(ApplicationError):
    """The invoice cannot be exported as FatturaPA; the message lists what is missing."""

    code = "documents.fatturapa.incomplete"


class _Resolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        if system_url == SIGNATURE_SCHEMA or system_url.endswith("xmldsig-core-schema.xsd"):
            return self.resolve_filename(str(SCHEMAS / "xmldsig-core-schema.xsd"), context)
        return None


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The FatturaPA schema, loaded once per process."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Resolver())
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser))


def validation_errors(xml: bytes) -> list[str]:
    """What the official schema finds wrong with `xml` (empty: valid), one line per error with its line."""
    document = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]


def _amount(value: Decimal, places: str = "0.01") -> str:
    return f"{Decimal(value).quantize(Decimal(places)):f}"


def _digits(vat: str) -> tuple[str, str]:
    vat = (vat or "").upper().replace(" ", "")
    return (vat[:2], vat[2:]) if vat[:2].isalpha() else ("IT", vat)


def _company_address(company, problems: list[str]) -> dict[str, str]:
    match = ADDRESS.match(company.address or "")
    if not match:
        problems.append(_("the own company's address must read “street, CAP city (PR)”, e.g. “Via Roma 1, 20121 "
                          "Milano (MI)”"))
        return {}
    return {"Indirizzo": match["street"], "CAP": match["cap"], "Comune": match["city"],
            "Provincia": (match["prov"] or "").upper(), "Nazione": "IT"}


def _client_address(client, problems: list[str]) -> dict[str, str]:
    address = client.addresses.order_by("kind").first()
    country = ((address.country if address else "") or client.country or "IT").upper()
    if address is None or not address.city or not address.text:
        problems.append(_("the client needs an address with a street and a city"))
        return {}
    cap = address.postcode if country == "IT" else "00000"  # SdI's convention for foreign addresses
    if country == "IT" and not re.fullmatch(r"\d{5}", address.postcode or ""):
        problems.append(_("the client's address needs its 5-digit CAP"))
    return {"Indirizzo": address.text, "CAP": cap or "", "Comune": address.city, "Provincia": "",
            "Nazione": country}


def _recipient(client, problems: list[str]) -> tuple[str, str]:
    """The CodiceDestinatario and the PEC (if any) SdI delivers the client's invoice to."""
    if (client.country or "IT").upper() != "IT":
        return "XXXXXXX", ""              # a foreign client: SdI's fixed code, no delivery in Italy
    if client.sdi_code:
        return client.sdi_code, ""
    if client.pec:
        return "0000000", client.pec
    problems.append(_("the client needs a recipient code (SdI) or a PEC address"))
    return "", ""


def fatturapa_problems(invoice: Invoice) -> list[str]:
    """Everything missing before `invoice` can be a FatturaPA file (empty: it can)."""
    problems: list[str] = []
    company, client = invoice.own_company, invoice.counterparty
    if (company.country or "").upper() != "IT":
        problems.append(_("FatturaPA is for invoices of an Italian own company"))
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID) or not invoice.number:
        problems.append(_("the invoice must be issued (it needs its number)"))
    if not _digits(company.vat_number)[1]:
        problems.append(_("the own company needs its partita IVA"))
    if not client.vat_number and not client.tax_code:
        problems.append(_("the client needs a partita IVA or a codice fiscale"))
    if invoice.currency != "EUR":
        problems.append(_("an Italian e-invoice is in euro"))
    for n, line in enumerate(invoice.lines.all(), start=1):
        if not line.vat_rate:
            problems.append(_("line %(n)s has no VAT: SdI needs the nature of the exemption (Natura), which "
                              "Raccordo does not keep; export this invoice from accounting") % {"n": n})
    _company_address(company, problems)
    _client_address(client, problems)
    _recipient(client, problems)
    return problems


def _add(parent, tag: str, text=None, **children):
    node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = str(text)
    for name, value in children.items():
        if value not in (None, ""):
            etree.SubElement(node, name).text = str(value)
    return node


def _sede(parent, tag: str, address: dict[str, str]) -> None:
    sede = _add(parent, tag)
    for name in ("Indirizzo", "CAP", "Comune", "Provincia", "Nazione"):
        if address.get(name):
            _add(sede, name, address[name][:60])


def _header(root, invoice: Invoice, progressive: str) -> None:
    company, client = invoice.own_company, invoice.counterparty
    problems: list[str] = []
    header = _add(root, "FatturaElettronicaHeader")
    country, code = _digits(company.vat_number)
    recipient, pec = _recipient(client, problems)
    dati = _add(header, "DatiTrasmissione")
    _add(dati, "IdTrasmittente", IdPaese=country, IdCodice=company.tax_code or code)
    _add(dati, "ProgressivoInvio", progressive)
    _add(dati, "FormatoTrasmissione", "FPR12")
    _add(dati, "CodiceDestinatario", recipient)
    if pec:
        _add(dati, "PECDestinatario", pec)
    seller = _add(header, "CedentePrestatore")
    anagrafici = _add(seller, "DatiAnagrafici")
    _add(anagrafici, "IdFiscaleIVA", IdPaese=country, IdCodice=code)
    if company.tax_code:
        _add(anagrafici, "CodiceFiscale", company.tax_code)
    _add(anagrafici, "Anagrafica", Denominazione=(company.full_name or company.name)[:80])
    _add(anagrafici, "RegimeFiscale", REGIME)
    _sede(seller, "Sede", _company_address(company, problems))
    buyer = _add(header, "CessionarioCommittente")
    anagrafici = _add(buyer, "DatiAnagrafici")
    if client.vat_number:
        client_country, client_code = _digits(client.vat_number)
        _add(anagrafici, "IdFiscaleIVA", IdPaese=client_country, IdCodice=client_code)
    if client.tax_code:
        _add(anagrafici, "CodiceFiscale", client.tax_code)
    _add(anagrafici, "Anagrafica", Denominazione=(client.full_name or client.name)[:80])
    _sede(buyer, "Sede", _client_address(client, problems))


def _lines(parent, invoice: Invoice) -> dict[Decimal, dict[str, Decimal]]:
    """The DettaglioLinee at net prices (SdI's prices exclude VAT), and the net and VAT per rate."""
    groups: dict[Decimal, dict[str, Decimal]] = {}
    for n, line in enumerate(invoice.lines.select_related("unit").order_by("position"), start=1):
        net = line.amount - line.vat_amount if invoice.vat_included else line.amount
        unit_price = (net / line.quantity) if line.quantity else net
        row = _add(parent, "DettaglioLinee")
        _add(row, "NumeroLinea", n)
        _add(row, "Descrizione", line.description[:1000])
        _add(row, "Quantita", _amount(line.quantity, "0.001"))
        if line.unit:
            _add(row, "UnitaMisura", str(line.unit)[:10])
        _add(row, "PrezzoUnitario", _amount(unit_price, "0.00000001"))
        _add(row, "PrezzoTotale", _amount(net))
        _add(row, "AliquotaIVA", _amount(line.vat_rate))
        g = groups.setdefault(line.vat_rate, {"net": Decimal("0"), "vat": Decimal("0")})
        g["net"] += net
        g["vat"] += line.vat_amount
    return groups


def _body(root, invoice: Invoice) -> None:
    body = _add(root, "FatturaElettronicaBody")
    general = _add(body, "DatiGenerali")
    _add(general, "DatiGeneraliDocumento", TipoDocumento="TD01", Divisa=invoice.currency,
         Data=invoice.date.isoformat(), Numero=invoice.number[:20], ImportoTotaleDocumento=_amount(invoice.total))
    goods = _add(body, "DatiBeniServizi")
    for rate, g in sorted(_lines(goods, invoice).items()):
        _add(goods, "DatiRiepilogo", AliquotaIVA=_amount(rate), ImponibileImporto=_amount(g["net"]),
             Imposta=_amount(g["vat"]), EsigibilitaIVA="I")
    bank = invoice.own_company.bank_accounts.exclude(iban="").order_by("-is_primary", "bank_name").first()
    if bank is not None:
        payment = _add(body, "DatiPagamento", CondizioniPagamento="TP02")
        _add(payment, "DettaglioPagamento", ModalitaPagamento="MP05",
             DataScadenzaPagamento=invoice.due_date.isoformat() if invoice.due_date else None,
             ImportoPagamento=_amount(invoice.total), IstitutoFinanziario=bank.bank_name[:80], IBAN=bank.iban)


def fatturapa_xml(invoice: Invoice) -> bytes:
    """The invoice as a FatturaPA 1.2 file, valid against the official schema; FatturaPAError names what is
    missing (or what the schema refused)."""
    problems = fatturapa_problems(invoice)
    if problems:
        raise FatturaPAError(_("This invoice cannot be exported as FatturaPA: %(problems)s.")
                             % {"problems": "; ".join(problems)}, extra={"problems": problems})
    root = etree.Element(f"{{{NS}}}FatturaElettronica", nsmap={"p": NS}, versione="FPR12")
    # The schema's elements are unqualified: only the root is in the FatturaPA namespace.
    _header(root, invoice, progressive=re.sub(r"[^A-Za-z0-9]", "", invoice.number)[-10:] or "1")
    _body(root, invoice)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validation_errors(xml)
    if errors:
        raise FatturaPAError(_("The FatturaPA file does not pass the official schema: %(errors)s")
                             % {"errors": "; ".join(errors[:5])}, code="documents.fatturapa.invalid",
                             extra={"errors": errors})
    return xml


def fatturapa_filename(invoice: Invoice) -> str:
    """SdI's file name: country, the sender's id, an underscore and a progressive of up to 5 characters."""
    country, code = _digits(invoice.own_company.vat_number)
    progressive = re.sub(r"[^A-Za-z0-9]", "", invoice.number)[-5:] or "00001"
    return f"{country}{invoice.own_company.tax_code or code}_{progressive}.xml"
